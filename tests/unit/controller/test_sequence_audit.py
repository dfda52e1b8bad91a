from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hall_controller.sequence_audit import SequenceAudit


def test_out_of_order_within_grace_is_no_gap() -> None:
    a = SequenceAudit(grace_s=10)
    for seq in (1, 2, 5, 3, 4):
        a.observe("k", seq, now=0)
    assert a.new_gaps(now=100) == []


def test_a_number_still_missing_after_grace_is_reported_once() -> None:
    a = SequenceAudit(grace_s=10)
    for seq in (1, 2, 4):
        a.observe("k", seq, now=0)
    assert a.new_gaps(now=5) == []
    [gap] = a.new_gaps(now=11)
    assert (gap.device_id, gap.seq) == ("k", 3)
    assert a.new_gaps(now=20) == []


def test_replays_are_counted_not_reported() -> None:
    a = SequenceAudit()
    for seq in (1, 2, 2, 1):
        a.observe("k", seq, now=0)
    assert a.devices["k"].replays == 2
    assert a.new_gaps(now=1000) == []


def test_the_first_number_seen_starts_the_count() -> None:
    a = SequenceAudit(grace_s=1)
    a.observe("k", 500, now=0)  # a controller that started after the device had sent 499 messages
    assert a.new_gaps(now=10) == []


@given(st.permutations(list(range(1, 40))), st.sets(st.integers(2, 38), max_size=5))
def test_exactly_the_dropped_numbers_are_gaps(order: list[int], dropped: set[int]) -> None:
    a = SequenceAudit(grace_s=1)
    a.observe("k", 1, now=0)
    for seq in order:
        if seq not in dropped and seq != 1:
            a.observe("k", seq, now=0)
    a.observe("k", 40, now=0)
    assert {g.seq for g in a.new_gaps(now=5)} == dropped
