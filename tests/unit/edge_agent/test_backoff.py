from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_runtime.backoff import Backoff

unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@given(st.lists(unit, min_size=1, max_size=200))
def test_delays_stay_within_full_jitter_bounds(draws: list[float]) -> None:
    source = iter(draws)
    b = Backoff(rand=lambda: next(source))
    for n, r in enumerate(draws):
        delay = b.next_delay()
        upper = min(30.0, 0.5 * 2.0**n)
        assert 0.0 <= delay <= upper
        assert delay == pytest.approx(r * upper)
    assert b.attempts == len(draws)


@given(st.integers(min_value=0, max_value=10_000), unit)
def test_reset_returns_to_the_base(failures: int, r: float) -> None:
    b = Backoff(rand=lambda: r)
    for _ in range(min(failures, 300)):
        b.next_delay()
    b.reset()
    assert b.attempts == 0
    assert b.next_delay() <= 0.5
    assert b.ceiling(failures) <= 30.0


def test_ceiling_doubles_then_caps() -> None:
    b = Backoff(rand=lambda: 0.999999)
    ceilings = [b.ceiling(n) for n in range(9)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert b.ceiling(10**6) == 30.0  # a week-long outage does not overflow


def test_bad_configuration_and_bad_random_source() -> None:
    with pytest.raises(ValueError, match="base"):
        Backoff(base=0)
    with pytest.raises(ValueError, match="cap"):
        Backoff(base=2, cap=1)
    with pytest.raises(ValueError, match="rand"):
        Backoff(rand=lambda: 1.0).next_delay()
