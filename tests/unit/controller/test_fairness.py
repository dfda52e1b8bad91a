"""Fair scheduling across devices (FairQueue), refusal budgets (TokenBucket) and rate-limited logging."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_controller.fairness import FairQueue, TokenBucket
from hall_runtime.log_limit import LogLimiter, RateLimitFilter

# -- FairQueue -------------------------------------------------------------------------------------


def filled(**per_sender: int) -> FairQueue[str, str]:
    q: FairQueue[str, str] = FairQueue()
    for sender, n in per_sender.items():
        for i in range(n):
            assert q.put(sender, f"{sender}{i}")
    return q


def test_one_round_takes_a_few_from_each_sender_in_turn() -> None:
    q = filled(a=5, b=2, c=1)
    assert q.take(100, 2) == ["a0", "a1", "b0", "b1", "c0"]
    assert q.take(100, 2) == ["a2", "a3"]
    assert q.take(100, 2) == ["a4"]
    assert q.take(100, 2) == []
    assert q.size == 0


def test_a_flooding_sender_waits_behind_itself() -> None:
    q = filled(flood=900)
    assert q.put("quiet", "q0")
    batch = q.take(256, 16)
    assert batch[:16] == [f"flood{i}" for i in range(16)]
    assert batch[16:] == ["q0"]  # the quiet device's one request is in the very next batch


def test_whoever_was_cut_short_goes_last_next_round() -> None:
    q = filled(a=5, b=2, c=1)
    assert q.take(3, 2) == ["a0", "a1", "b0"]
    assert q.take(3, 2) == ["c0", "a2", "a3"]
    assert q.take(3, 2) == ["b1", "a4"]


def test_per_sender_cap_refuses_only_that_sender() -> None:
    q: FairQueue[str, int] = FairQueue(per_sender_cap=3)
    assert [q.put("a", i) for i in range(5)] == [True, True, True, False, False]
    assert q.put("b", 0)
    assert (q.pending("a"), q.pending("b"), q.pending("nobody"), q.size) == (3, 1, 0, 4)
    q.take(1, 1)
    assert q.put("a", 9)  # room again once one was taken


async def test_get_waits_for_the_first_item() -> None:
    q: FairQueue[str, int] = FairQueue()
    waiter = asyncio.create_task(q.get(10, 2))
    await asyncio.sleep(0)
    assert not waiter.done()
    q.put("a", 1)
    assert await asyncio.wait_for(waiter, 1) == [1]


# (put, sender) or (take, max_items, per_sender)
ops = st.lists(st.tuples(st.sampled_from(["put", "put", "take"]), st.sampled_from("abcde"), st.integers(1, 12),
                         st.integers(1, 4)), max_size=120)


@settings(max_examples=300)
@given(ops, st.integers(1, 8))
def test_fair_queue_never_loses_duplicates_or_reorders(script: list[tuple[str, str, int, int]], cap: int) -> None:
    q: FairQueue[str, tuple[str, int]] = FairQueue(per_sender_cap=cap)
    accepted: dict[str, list[tuple[str, int]]] = defaultdict(list)
    taken: list[tuple[str, int]] = []
    serial = 0
    for op, sender, max_items, per_sender in script:
        if op == "put":
            serial += 1
            waiting = q.pending(sender)
            ok = q.put(sender, (sender, serial))
            assert ok == (waiting < cap)
            if ok:
                accepted[sender].append((sender, serial))
        else:
            before = {s: q.pending(s) for s in "abcde"}
            batch = q.take(max_items, per_sender)
            assert len(batch) <= max_items
            counts = {s: sum(1 for x in batch if x[0] == s) for s in "abcde"}
            assert all(n <= per_sender for n in counts.values())
            if len(batch) < max_items:  # room left: nobody who was waiting was skipped
                assert all(counts[s] == min(per_sender, before[s]) for s in "abcde")
            taken += batch
        assert q.size == sum(q.pending(s) for s in "abcde")
    while q.size:
        taken += q.take(7, 3)
    assert sorted(taken, key=lambda x: x[1]) == sorted((x for xs in accepted.values() for x in xs),
                                                       key=lambda x: x[1])
    assert len(set(taken)) == len(taken)
    for sender, items in accepted.items():
        assert [x for x in taken if x[0] == sender] == items


# -- TokenBucket -----------------------------------------------------------------------------------


def test_token_bucket_starts_full_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(100.4)  # 0.8 of a token
    assert bucket.take(100.5)
    assert not bucket.take(100.5)
    assert [bucket.take(1000.0) for _ in range(4)] == [True, True, True, False]  # never more than the burst


@given(st.lists(st.floats(0, 5, allow_nan=False), max_size=60))
def test_token_bucket_never_allows_more_than_burst_plus_rate_times_time(gaps: list[float]) -> None:
    bucket = TokenBucket(rate=2.0, burst=5.0)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += bucket.take(now)
    assert allowed <= 5 + 2.0 * now + 1e-9


# -- LogLimiter ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_log_limiter_writes_the_first_line_per_interval_and_counts_the_rest() -> None:
    clock = Clock()
    limiter = LogLimiter(10.0, clock=clock)
    assert limiter.allow("k") == (True, 0)
    assert [limiter.allow("k") for _ in range(3)] == [(False, 0)] * 3
    assert limiter.allow("other") == (True, 0)  # keys are independent
    clock.now = 10.0
    assert limiter.allow("k") == (True, 3)  # the next line says how many were held back
    assert limiter.allow("k") == (False, 0)


def test_log_limiter_forgets_keys_rather_than_grow() -> None:
    limiter = LogLimiter(10.0, clock=Clock(), max_keys=4)
    assert all(limiter.allow(f"k{i}")[0] for i in range(100))
    assert len(limiter._last) <= 4


def test_a_flood_of_one_message_is_one_line_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter, logger = LogLimiter(10.0, clock=clock), logging.getLogger("test.flood")
    with caplog.at_level(logging.WARNING, logger="test.flood"):
        for i in range(5000):
            clock.now = i * 0.001  # 5 s of flood
            limiter.log(logger, logging.WARNING, "bad", "device %s sent a bad request", "kiosk-1")
        clock.now = 11.0
        limiter.log(logger, logging.WARNING, "bad", "device %s sent a bad request", "kiosk-1")
    assert [r.getMessage() for r in caplog.records] == [
        "device kiosk-1 sent a bad request",
        "device kiosk-1 sent a bad request (4999 more like this held back)",
    ]


def test_rate_limit_filter_for_a_librarys_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.library")
    logger.addFilter(RateLimitFilter(60.0))
    with caplog.at_level(logging.WARNING, logger="test.library"):
        for n in range(1000):
            logger.warning("pending publish calls: %d", n)
        logger.warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["pending publish calls: 0", "something else"]
