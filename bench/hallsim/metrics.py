"""Figures of one simulated day.

- wait of a visit: the sum over its steps of the time from joining the step's queue to the first call
  (a kiosk visit: its wait for a free kiosk); mean, p90, p95 over visits that were served;
- within target: share of served visits whose wait is within their first service's target wait;
- abandoned: share of all visits that left before being served (or were refused a ticket);
- longest wait of the lowest class: the longest single-step wait of an ordinary (normal-class) ticket;
- past bound: calls made after the ticket's deadline (order time + class bound), by class, and the
  latest of them in minutes; the deadline counts from no earlier than the step joined its queue and the
  windows opened;
- utilisation: time windows spent on calls (walk-up, service, recalls of absent citizens) over the time they
  were open and not paused;
- EWT, per predictor: the estimate recorded when the ticket was issued against the wait of its first step
  (issue → first call), over tickets that were called: coverage of the range, median width of the range
  over the mean wait, and mean absolute error of the point estimate.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench.hallsim.sim import DayResult, Record


def quantile(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def visit_wait(r: Record) -> float:
    if r.kiosk:
        return r.kiosk_wait_s
    return sum(st.waited_before_s + (st.called_s - st.queued_s) for st in r.steps if st.called_s is not None)


def day_metrics(result: DayResult, targets_min: dict[str, float], opens_s: float) -> dict[str, Any]:
    records = result.records
    served = [r for r in records if r.done]
    waits = [visit_wait(r) / 60 for r in served]
    within = [visit_wait(r) / 60 <= targets_min[r.visit.steps[0]] for r in served]
    left = [r for r in records if not r.done]
    normal_waits = [
        (st.called_s - st.queued_s) / 60
        for r in records
        if not r.kiosk
        for st in r.steps
        if st.called_s is not None and st.priority == "normal"
    ]
    late: dict[str, int] = {}
    latest = 0.0
    for r in records:
        for st in r.steps:
            # a later step may join its queue past the visit's deadline (its earlier steps took long), and
            # nobody can be called before the windows open: the bound holds from the later of these
            due = max(st.deadline_s, st.queued_s, opens_s)
            if st.called_s is not None and st.called_s > due:
                late[st.priority] = late.get(st.priority, 0) + 1
                latest = max(latest, (st.called_s - due) / 60)
    busy = sum(result.busy_s.values())
    opened = sum(result.open_s.values())
    return {
        "visits": len(records),
        "served": len(served),
        "kiosk": sum(1 for r in records if r.kiosk),
        "mean_wait_min": round(statistics.fmean(waits), 2) if waits else 0.0,
        "p90_wait_min": round(quantile(waits, 0.90), 2),
        "p95_wait_min": round(quantile(waits, 0.95), 2),
        "within_target": round(sum(within) / len(within), 4) if within else 0.0,
        "abandoned": round(len(left) / len(records), 4) if records else 0.0,
        "max_wait_lowest_class_min": round(max(normal_waits, default=0.0), 2),
        "past_bound": late,
        "past_bound_max_min": round(latest, 2),
        "utilisation": round(busy / opened, 4) if opened else 0.0,
        "window_hours": round(opened / 3600, 1),
        "overflow_opened": len(result.overflow_opened),
    }


def ewt_metrics(records: list[Record], name: str) -> dict[str, float]:
    rows = []
    for r in records:
        if name not in r.est or not r.steps or r.issued_s is None:
            continue
        first = r.steps[0].first_call_s  # a no-show's first call counts: the wait ended there
        if first is not None and (r.left_s is None or r.left_s > first):
            rows.append((r.est[name], first - r.issued_s))
    if not rows:
        return {"ewt_mae_min": 0.0, "ewt_coverage": 0.0, "ewt_width_rel": 0.0, "n": 0}
    mean_wait = statistics.fmean(a for _, a in rows)
    cover = sum(1 for (lo, _, hi), a in rows if lo - 1e-6 <= a <= hi + 1e-6) / len(rows)
    width = statistics.median(hi - lo for (lo, _, hi), _ in rows)
    mae = statistics.fmean(abs(p - a) for (_, p, _), a in rows)
    return {
        "ewt_mae_min": round(mae / 60, 2),
        "ewt_coverage": round(cover, 4),
        "ewt_width_rel": round(width / mean_wait, 4) if mean_wait > 0 else 0.0,
        "n": len(rows),
    }
