"""Loading and checking guides: no dangling references, no cycles, nothing unreachable, every path ends.

Each problem names the file and the node (question / option) so a content editor can fix it directly.
"""

from __future__ import annotations

import re
from pathlib import Path

from hall_protocol.config_files import ConfigError, ConfigProblem, load_toml
from kiosk.guide.model import Guide, Question

MAX_PATHS = 10_000
"""Guides are short; a tree with more complete paths than this is a content mistake, not a guide."""


def _line_of_id(text: str, value: str) -> int | None:
    pattern = re.compile(r'"' + re.escape(value) + r'"')
    for n, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return n
    return None


def validate_guide(guide: Guide, *, source: str = "<guide>", text: str = "") -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []

    def bad(field: str, value: str, message: str, line_hint: str | None = None) -> None:
        line = _line_of_id(text, line_hint if line_hint is not None else value)
        problems.append(ConfigProblem(source, field, repr(value), message, line))

    stem = Path(source).stem
    if source != "<guide>" and guide.id != stem:
        bad("id", guide.id, f"the guide id must equal the file name ({stem!r})")
    questions: dict[str, Question] = {}
    for i, q in enumerate(guide.questions):
        if q.id in questions:
            bad(f"questions[{i}].id", q.id, f"question {q.id!r} is defined twice")
        questions.setdefault(q.id, q)
        seen: set[str] = set()
        for j, o in enumerate(q.options):
            node = f"questions[{i}].options[{j}] (question {q.id!r}, option {o.id!r})"
            if o.id in seen:
                bad(f"{node}.id", o.id, f"option {o.id!r} appears twice in question {q.id!r}")
            seen.add(o.id)
            for k, m in enumerate(o.add):
                if m not in guide.materials:
                    bad(f"{node}.add[{k}]", m, f"no material {m!r} in [materials]")
            for k, m in enumerate(o.remove):
                if m not in guide.materials:
                    bad(f"{node}.remove[{k}]", m, f"no material {m!r} in [materials]")
            if o.next is not None and o.next not in {qq.id for qq in guide.questions}:
                bad(f"{node}.next", o.next, f"no question {o.next!r}: this path would dangle")
    for k, m in enumerate(guide.base):
        if m not in guide.materials:
            bad(f"base[{k}]", m, f"no material {m!r} in [materials]")
    if guide.start not in questions:
        bad("start", guide.start, f"no question {guide.start!r} to start from")
        return problems
    if problems:
        return problems  # the walk below needs sound references

    # cycles: a depth-first walk with the current path on a stack
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(qid: str, path: list[str]) -> None:
        state[qid] = 1
        for o in questions[qid].options:
            if o.next is None:
                continue
            if state.get(o.next) == 1:
                cycle = [*path[path.index(o.next):], qid, o.next] if o.next in path else [qid, o.next]
                bad(f"question {qid!r}, option {o.id!r}.next", o.next,
                    "cycle: " + " → ".join(cycle) + "; a guide must always come to an end", o.next)
            elif state.get(o.next) is None:
                visit(o.next, [*path, qid])
        state[qid] = 2

    visit(guide.start, [])
    for i, q in enumerate(guide.questions):
        if q.id not in state:
            bad(f"questions[{i}].id", q.id, f"question {q.id!r} cannot be reached from {guide.start!r}")
    if problems:
        return problems

    # every complete path must leave something to bring, or the checklist is a blank sheet
    paths = 0

    def walk(qid: str, materials: list[str], trail: list[str]) -> None:
        nonlocal paths
        for o in questions[qid].options:
            paths += 1
            if paths > MAX_PATHS:
                return
            current = [m for m in materials if m not in o.remove] + [m for m in o.add if m not in materials]
            step = [*trail, f"{qid}={o.id}"]
            if o.next is None:
                if not current:
                    bad(f"question {qid!r}, option {o.id!r}", o.id,
                        "this path ends with an empty checklist: " + ", ".join(step))
            else:
                walk(o.next, current, step)

    walk(guide.start, list(dict.fromkeys(guide.base)), [])
    if paths > MAX_PATHS:
        bad("questions", guide.id, f"more than {MAX_PATHS} answer paths; split the guide")
    return problems


def load_guide_file(path: str | Path) -> Guide:
    """Load and check one guide file; ConfigError names file, node and bad value."""
    p = Path(path)
    guide = load_toml(p, Guide)
    problems = validate_guide(guide, source=str(p), text=p.read_text(encoding="utf-8"))
    if problems:
        raise ConfigError(problems)
    return guide


def load_guides(directory: str | Path) -> dict[str, Guide]:
    """Every ``*.toml`` in ``directory``, keyed by guide id; all files' problems are reported together."""
    guides: dict[str, Guide] = {}
    problems: list[ConfigProblem] = []
    for path in sorted(Path(directory).glob("*.toml")):
        try:
            g = load_guide_file(path)
        except ConfigError as err:
            problems.extend(err.problems)
            continue
        guides[g.id] = g
    if problems:
        raise ConfigError(problems)
    return guides
