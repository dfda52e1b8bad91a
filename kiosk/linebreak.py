"""Line breaking for the device UIs' wrapped text: Chinese kinsoku (禁则) rules and whole English words.

Kivy breaks a line wherever the text reaches the edge: punctuation can start a line (，、”), a lone character
can end a paragraph (号/页/价), and an English word too long for what is left is cut in two ("departm/ent").
``break_lines`` chooses the breaks itself and the label shows them as they are:

* a line never starts with closing punctuation (``NO_START``) and never ends with an opening one
  (``NO_END``): they stay with the character they belong to;
* an English word (or number) is never split; spaces are where it breaks, and a no-break space glues;
* the last line of a paragraph is not one character alone: the line before gives up its last unit.

Kivy-free: the width of a piece of text comes from the ``measure`` function the caller passes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

NO_START: Final = frozenset("，、。．,.:;!?：；！？）)]】》」』”’〉〕…‥—％%·・〜～ー")
NO_END: Final = frozenset("（([【《「『“‘〈〔")
NBSP: Final = "\u00a0"

Measure = Callable[[str], float]


def is_wide(ch: str) -> bool:
    """A character that a line may break before or after on its own (CJK ideographs, kana, full-width forms)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


@dataclass(slots=True)
class Unit:
    """The smallest piece a line may not be broken inside; ``space`` says a space separates it from the
    unit before (and is dropped when a line breaks there)."""

    text: str
    space: bool = False


def units(paragraph: str) -> list[Unit]:
    out: list[Unit] = []
    space = False
    glue = False  # the next character belongs to the unit before (after a no-break space or an opening mark)
    word = False  # the last unit is a run of narrow characters still being extended
    for ch in paragraph:
        if ch == " " or ch == "\t":
            if glue and out and out[-1].text.rstrip(NBSP)[-1:] in NO_END:
                continue  # an opening mark stays with what follows it, space or not
            space, glue, word = True, False, False
            continue
        if ch == NBSP:
            if out:
                out[-1].text += NBSP
                glue = True
            continue
        if ch in NO_START and out:
            out[-1].text += (" " if space else "") + ch  # closing marks never begin a line, even after a space
            space = False
            word = not is_wide(ch) and word
            continue
        if glue and out:
            out[-1].text += ch
            glue = ch in NO_END
            word = not is_wide(ch)
            continue
        if word and not is_wide(ch) and not space and ch not in NO_END:
            out[-1].text += ch
            continue
        out.append(Unit(ch, space and bool(out)))
        space = False
        glue = ch in NO_END
        word = not is_wide(ch) and ch not in NO_END
    return out


def _join(line: list[Unit]) -> str:
    return "".join((" " if i and u.space else "") + u.text for i, u in enumerate(line))


def visible_chars(text: str) -> int:
    """Characters that are not punctuation or space: what a reader sees as content."""
    return sum(1 for ch in text if not unicodedata.category(ch).startswith(("P", "Z")) and ch != NBSP)


def _wrap(paragraph: list[Unit], width: float, measure: Measure) -> list[list[Unit]]:
    lines: list[list[Unit]] = []
    line: list[Unit] = []
    for u in paragraph:
        if line and measure(_join([*line, u])) > width:
            lines.append(line)
            line = [Unit(u.text)]
        else:
            line.append(u if line else Unit(u.text))
    if line:
        lines.append(line)
    return lines


def _no_orphan(lines: list[list[Unit]], width: float, measure: Measure) -> None:
    """A paragraph's last line of one character takes the last unit of the line before, when that line
    keeps at least one unit and the new last line still fits."""
    if len(lines) < 2 or visible_chars(_join(lines[-1])) > 1 or len(lines[-2]) < 2:
        return
    moved = lines[-2][-1]
    candidate = [Unit(moved.text), *lines[-1]]
    candidate[1] = Unit(candidate[1].text, lines[-1][0].space or moved.space)
    if measure(_join(candidate)) <= width:
        lines[-2] = lines[-2][:-1]
        lines[-1] = candidate


def break_lines(text: str, width: float, measure: Measure) -> list[str]:
    """The lines to show ``text`` in at most ``width`` (as ``measure`` counts it). A unit wider than the
    width on its own gets a line of its own (the caller shrinks the font so it fits: see ``widest_unit``)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        lines = _wrap(units(paragraph), width, measure)
        _no_orphan(lines, width, measure)
        out += [_join(line) for line in lines] or [""]
    return out


def widest_unit(text: str, measure: Measure) -> float:
    """The width of the widest piece that cannot be broken: the line must be at least this wide."""
    return max((measure(u.text) for p in text.split("\n") for u in units(p)), default=0.0)
