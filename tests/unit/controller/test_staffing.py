"""Staffing advice: Erlang-C against textbook values, Erlang-A against its own limit and an independent
simulation of the same queue, the forecast by weekday and hour, and the advice."""

from __future__ import annotations

import heapq
import math
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_controller.staffing import (
    advise,
    erlang_a,
    erlang_c,
    erlang_c_performance,
    hourly_forecast,
    windows_needed,
)

TZ = ZoneInfo("Asia/Shanghai")


def test_erlang_c_textbook_values() -> None:
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = ρ
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # a classic call-centre example: 100 calls/h of 3 min on 6 agents (load 5) waits 59 %
    assert erlang_c(6, 5.0) == pytest.approx(0.5875, abs=1e-4)
    assert erlang_c(3, 3.0) == 1.0  # unstable


def test_erlang_c_service_level() -> None:
    p = erlang_c_performance(6, 100 / 3600, 1 / 180, 20)
    assert p.within_target == pytest.approx(1 - 0.5875 * math.exp(-(6 / 180 - 100 / 3600) * 20), abs=1e-4)
    assert p.mean_wait_s == pytest.approx(0.5875 / (6 / 180 - 100 / 3600), rel=1e-3)


def test_erlang_a_tends_to_erlang_c_without_abandonment() -> None:
    a = erlang_a(10, 8 / 60, 1 / 60, 1e-9, 60)
    c = erlang_c_performance(10, 8 / 60, 1 / 60, 60)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-5)
    assert a.within_target == pytest.approx(c.within_target, rel=1e-5)
    assert a.mean_wait_s == pytest.approx(c.mean_wait_s, rel=1e-4)
    assert a.abandon == pytest.approx(0.0, abs=1e-6)


def _simulate(n: int, lam: float, mu: float, theta: float, target: float, customers: int = 40_000) -> tuple[float, ...]:
    """M/M/n+M by discrete events: (P(wait), P(V ≤ target), mean wait, P(abandon))."""
    rng = random.Random(5)
    t = 0.0
    free_at = [0.0] * n  # FCFS: each arrival's virtual wait is when the earliest server frees for it
    heapq.heapify(free_at)
    waited = within = abandoned = 0
    total_wait = 0.0
    for _ in range(customers):
        t += rng.expovariate(lam)
        patience = rng.expovariate(theta)
        start = max(free_at[0], t)
        v = start - t
        waited += v > 0
        within += v <= target
        if v > patience:  # leaves: the server's time is not taken
            abandoned += 1
            total_wait += patience
            continue
        total_wait += v
        heapq.heapreplace(free_at, start + rng.expovariate(mu))
    return waited / customers, within / customers, total_wait / customers, abandoned / customers


@pytest.mark.parametrize(("n", "lam", "mu", "theta"), [(5, 5 / 60, 1 / 50, 1 / 600), (12, 15 / 60, 1 / 45, 1 / 300)])
def test_erlang_a_matches_a_simulation(n: int, lam: float, mu: float, theta: float) -> None:
    perf = erlang_a(n, lam, mu, theta, 120)
    p_wait, within, mean_wait, abandon = _simulate(n, lam, mu, theta, 120)
    assert perf.p_wait == pytest.approx(p_wait, abs=0.02)
    assert perf.within_target == pytest.approx(within, abs=0.02)
    assert perf.mean_wait_s == pytest.approx(mean_wait, rel=0.08)
    assert perf.abandon == pytest.approx(abandon, abs=0.015)


@given(
    st.integers(1, 40),
    st.floats(0.1, 60),
    st.floats(1, 30),
    st.floats(5, 120),
    st.floats(1, 60),
)
def test_erlang_a_is_a_distribution_and_improves_with_windows(
    n: int, per_hour_per_window: float, service_min: float, patience_min: float, target_min: float
) -> None:
    lam, mu, theta = n * per_hour_per_window / 3600, 1 / (service_min * 60), 1 / (patience_min * 60)
    a = erlang_a(n, lam, mu, theta, target_min * 60)
    b = erlang_a(n + 1, lam, mu, theta, target_min * 60)
    for p in (a.p_wait, a.within_target, a.abandon, a.occupancy):
        assert -1e-9 <= p <= 1 + 1e-9
    assert b.within_target >= a.within_target - 1e-9
    assert b.abandon <= a.abandon + 1e-9
    assert b.mean_wait_s <= a.mean_wait_s + 1e-6


def test_windows_needed_is_the_fewest_that_meet_the_targets() -> None:
    rate, service, target, patience = 200 / 3600, 7 * 60, 20 * 60, 3000
    p = windows_needed(rate, service, target, mean_patience_s=patience)
    assert p.within_target >= 0.8
    assert p.abandon <= 0.05
    fewer = erlang_a(p.windows - 1, rate, 1 / service, 1 / patience, target)
    assert fewer.within_target < 0.8 or fewer.abandon > 0.05


def test_forecast_by_weekday_and_hour() -> None:
    def ts(day: str, hhmm: str) -> float:
        return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=TZ).timestamp()

    history = [
        ts("2025-03-03", "09:10"),  # Mondays
        ts("2025-03-03", "09:40"),
        ts("2025-03-03", "14:05"),
        ts("2025-03-10", "09:20"),
        ts("2025-03-04", "09:00"),  # a Tuesday: not counted
    ]
    assert hourly_forecast(history, weekday=0) == {9: 1.5, 14: 0.5}
    assert hourly_forecast(history, weekday=0, bucket_min=30) == {540: 1.0, 570: 0.5, 840: 0.5}
    assert hourly_forecast(history, weekday=4) == {}


def test_advice_per_hour() -> None:
    out = advise({9: 120.0, 12: 30.0}, 6 * 60, 20 * 60, mean_patience_s=3000)
    assert [a.hour for a in out] == [9, 12]
    assert out[0].windows > out[1].windows >= 1
    assert all(a.within_target >= 0.8 and a.abandon <= 0.05 for a in out)
    # the same arrivals in half an hour need more windows than spread over an hour
    half = advise({540: 120.0}, 6 * 60, 20 * 60, mean_patience_s=3000, bucket_min=30)
    assert half[0].windows > out[0].windows
