"""The de-duplicator (sans-IO): a code held in front of the camera is reported once per presentation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.scanner import CodeDeduplicator


def run(frames: list[tuple[float, list[str]]], forget_after: float = 1.0) -> list[tuple[float, list[str]]]:
    dedup = CodeDeduplicator(forget_after)
    return [(ts, new) for ts, texts in frames if (new := dedup.feed(texts, ts))]


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        # held for many consecutive frames: once
        ([(0.0, ["A"]), (0.1, ["A"]), (0.2, ["A"]), (0.3, ["A"])], [(0.0, ["A"])]),
        # missed in a frame or two (glare): still once
        ([(0.0, ["A"]), (0.1, []), (0.2, []), (0.3, ["A"])], [(0.0, ["A"])]),
        # taken away for longer than forget_after, shown again: twice
        ([(0.0, ["A"]), (0.1, []), (1.5, []), (1.6, ["A"])], [(0.0, ["A"]), (1.6, ["A"])]),
        # two codes in one frame, one of them repeated within the frame: each once
        ([(0.0, ["A", "B", "A"]), (0.1, ["B", "A"])], [(0.0, ["A", "B"])]),
        # a second code joins a held one: only the newcomer is reported
        ([(0.0, ["A"]), (0.1, ["A", "B"]), (0.2, ["B"])], [(0.0, ["A"]), (0.1, ["B"])]),
        # exactly forget_after apart still counts as the same presentation
        ([(0.0, ["A"]), (1.0, ["A"])], [(0.0, ["A"])]),
    ],
)
def test_table(frames: list[tuple[float, list[str]]], expected: list[tuple[float, list[str]]]) -> None:
    assert run(frames) == expected


def test_forget_starts_over() -> None:
    dedup = CodeDeduplicator(1.0)
    assert dedup.feed(["A"], 0.0) == ["A"]
    dedup.forget()
    assert dedup.feed(["A"], 0.1) == ["A"]


def test_forget_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CodeDeduplicator(0)


@given(gaps=st.lists(st.floats(min_value=0.001, max_value=0.99), min_size=1, max_size=200))
def test_a_code_seen_at_least_every_forget_after_is_reported_once(gaps: list[float]) -> None:
    dedup = CodeDeduplicator(1.0)
    now, reports = 0.0, dedup.feed(["A"], 0.0)
    for gap in gaps:
        now += gap
        reports += dedup.feed(["A"], now)
    assert reports == ["A"]


@given(st.lists(st.tuples(st.floats(min_value=0, max_value=5), st.lists(st.sampled_from("ABC"), max_size=4))))
def test_reports_are_a_subset_of_what_was_seen_without_repeats_per_frame(
    frames: list[tuple[float, list[str]]],
) -> None:
    dedup = CodeDeduplicator(1.0)
    now = 0.0
    for gap, texts in frames:
        now += gap
        new = dedup.feed(texts, now)
        assert set(new) <= set(texts)
        assert len(new) == len(set(new))
