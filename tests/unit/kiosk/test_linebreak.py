"""Line breaking for wrapped text: kinsoku rules for Chinese, whole English words, no lone last character."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.linebreak import NBSP, NO_END, NO_START, break_lines, is_wide, units, visible_chars, widest_unit


def measure(text: str) -> float:
    """A monospace stand-in: a wide (CJK) character is 2, anything else 1."""
    return float(sum(2 if is_wide(ch) else 1 for ch in text))


HAN = st.sampled_from("请刷身份证社保卡或扫码开始号页价办理取材料打印查进度")
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)
PUNCT = st.sampled_from(sorted(NO_START | NO_END))
PIECE = st.one_of(HAN, HAN, HAN, PUNCT, WORD.map(lambda w: f" {w} "), st.just(NBSP))
TEXT = st.lists(PIECE, min_size=1, max_size=40).map(lambda parts: "".join(parts).strip())


def squash(text: str) -> str:
    return "".join(ch for ch in text if ch not in " \n")


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(min_value=4, max_value=40))
def test_no_text_is_lost_or_reordered(text: str, width: int) -> None:
    assert squash("".join(break_lines(text, width, measure))) == squash(text)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(min_value=4, max_value=40))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(text: str, width: int) -> None:
    lines = break_lines(text, width, measure)
    for before, line in itertools.pairwise(lines):
        if before.strip(" " + NBSP):  # a break after real text, not at a paragraph made of one mark
            assert line[:1] not in NO_START, lines
    for line in lines[:-1]:
        if line.strip():
            assert line.rstrip()[-1:] not in NO_END or len(units(line)) == 1, lines


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(min_value=4, max_value=40))
def test_lines_fit_unless_one_piece_is_wider_than_the_line(text: str, width: int) -> None:
    pieces = {u.text for u in units(text)}
    for line in break_lines(text, width, measure):
        assert measure(line) <= width or line in pieces, line


@settings(max_examples=300, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=12), st.integers(min_value=9, max_value=30))
def test_english_words_are_never_cut(words: list[str], width: int) -> None:
    lines = break_lines(" ".join(words), width, measure)
    assert [w for line in lines for w in line.split()] == words


@settings(max_examples=300, deadline=None)
@given(st.lists(HAN, min_size=3, max_size=40).map("".join), st.integers(min_value=4, max_value=30))
def test_the_last_line_is_not_one_character_alone(text: str, width: int) -> None:
    lines = break_lines(text, width, measure)
    if len(lines) > 1:
        assert visible_chars(lines[-1]) >= 2, lines


def test_the_cases_seen_on_the_kiosk() -> None:
    # "、" and "）" would have started a line; "页" and "单" would have stood alone
    assert break_lines("取号、查材料", 6, measure) == ["取号、", "查材料"]
    assert break_lines("您需要准备的材料（4 项）", 18, measure)[-1].startswith("项") is False
    assert break_lines("办完了，返回首页", 14, measure) == ["办完了，返回", "首页"]
    assert break_lines("By department", 10, measure) == ["By", "department"]
    assert widest_unit("By department", measure) == len("department")
    assert break_lines("第\u00a01\u00a0题", 4, measure) == ["第\u00a01\u00a0题"]  # glued by no-break spaces
