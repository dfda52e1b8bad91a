"""Wait predictors compared at issue time.

- ``engine``: what the engine tells citizens now (``hall_controller.engine.estimates``): the time until a
  window is free plus the people ahead times the queue's measured pace, with a range calibrated on the
  day's own errors.
- ``heuristic``: the band the engine gave before (docs/estimates.md, "previous method"): the people ahead
  times the expected service time over the windows' shares, ±1.28 σ, widened by 0.9 / 1.25. Kept here,
  outside the product, only to be compared.
"""

from __future__ import annotations

import math

from bench.hallsim.sim import Predictor
from hall_controller.engine import EngineState, estimate, position


def engine_estimate(state: EngineState, ticket_id: str, now: float) -> tuple[float, float, float]:
    e = estimate(state, ticket_id, now)
    return (e.low, e.seconds, e.high)


def heuristic(state: EngineState, ticket_id: str, now: float) -> tuple[float, float, float]:
    t = state.tickets[ticket_id]
    service = t.service
    stats = state.stats[service]
    mean, sd = stats.mean, math.sqrt(max(stats.var, 0.0))
    capacity, residual = 0.0, None
    for window_id, weight in state.index.service_windows[service]:
        rt = state.windows[window_id]
        if not rt.active:
            continue
        own = weight * max(len(state.queues[service]), 1)
        total = own + sum(
            wt * len(state.queues[code]) for wt, code in state.index.window_skills[window_id] if code != service
        )
        capacity += own / total
        remaining = 0.0
        if rt.current is not None:
            cur = state.tickets[rt.current]
            cur_mean = state.stats[cur.service].mean
            elapsed = cur.served_s + (now - cur.started_at if cur.started_at is not None else 0.0)
            remaining = max(cur_mean - elapsed, 0.1 * cur_mean)
        residual = remaining if residual is None else min(residual, remaining)
    if capacity <= 0:
        return (0.0, 0.0, 0.0)
    ahead = position(state, ticket_id) - 1
    seconds = (residual or 0.0) + ahead * mean / capacity
    spread = 1.2816 * math.sqrt(ahead * sd * sd / (capacity * capacity) + (0.5 * (residual or 0.0)) ** 2)
    return (max(0.0, (seconds - spread) * 0.9), seconds, max((seconds + spread) * 1.25, seconds))


PREDICTORS: dict[str, Predictor] = {"engine": engine_estimate, "heuristic": heuristic}
