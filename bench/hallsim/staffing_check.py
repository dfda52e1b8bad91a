"""The staffing advice against a simulated day: the forecast comes from four earlier days of the same
weekday (drawn like the scenario), the advice from ``hall_controller.staffing`` (Erlang-A), and the day is
run with exactly the advised windows each hour (all comprehensive, as the model pools them, no breaks).
Per hour of arrival, the model's predictions are set beside what the simulated citizens met."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace

from bench.hallsim.metrics import visit_wait
from bench.hallsim.scenarios import Layout, Scenario, hall_config, workload
from bench.hallsim.sim import MIDNIGHT, HallDay
from bench.hallsim.workload import draw
from hall_controller.staffing import HourAdvice, advise, hourly_forecast

TARGET_MIN = 20.0
BUCKET_MIN = 30  # the forecast in half hours: the arrival profile and the issuing stop (16:30) move by them
WEEK_S = 7 * 86400


@dataclass(frozen=True)
class HourCheck:
    advice: HourAdvice
    arrivals: int
    within_target: float
    mean_wait_min: float
    abandon: float


def check(scenario: Scenario, seed: int) -> tuple[list[HourCheck], dict[str, float]]:
    b = scenario.behaviour
    history = []
    for k in range(1, 5):
        history += [MIDNIGHT - k * WEEK_S + v.arrival_s for v in draw(scenario, 1000 + seed * 10 + k)]
    forecast = hourly_forecast(history, weekday=0, bucket_min=BUCKET_MIN)
    # A window's time per visit: service, plus the walk to the counter at each step.
    steps = 1 + sum(w * (len(b_steps) - 1) for b_steps, w in scenario.bundles())
    minutes_per_visit = sum(workload(scenario.specs(), scenario.bundles()).values()) + steps * sum(b.walk_s) / 120
    # Erlang-A's patience is exponential; fit its rate to the share who would leave within the target
    # (θ = −ln(1 − F(T)) / T), as halls estimate it from abandonment over waits, not from the mean patience.
    sigma = math.sqrt(math.log(1 + b.patience_cv**2))
    leave = statistics.NormalDist().cdf(math.log(TARGET_MIN / b.patience_median_min) / sigma)
    patience_s = TARGET_MIN * 60 / -math.log(1 - leave)
    advice = advise(
        forecast, minutes_per_visit * 60, TARGET_MIN * 60, mean_patience_s=patience_s, bucket_min=BUCKET_MIN
    )
    staffing = {a.hour: a.windows for a in advice}
    advised_hours = sum(staffing.values()) * BUCKET_MIN / 60
    last = max(staffing)
    for start in range(last + BUCKET_MIN, 24 * 60, BUCKET_MIN):  # the last windows stay until all are served
        staffing[start] = staffing[last]
    n = max(staffing.values())
    ids = tuple(f"W{i + 1:02d}" for i in range(n))
    lay = Layout(skills={w: {} for w in ids}, staffed=ids, reserve=())
    specs = tuple(replace(s, target_min=TARGET_MIN, kiosk_capable=False) for s in scenario.specs())
    config = hall_config(specs, lay, onevisit=True, name=scenario.name)
    visits = [replace(v, kiosk_self=False, kiosk_accept=False) for v in draw(scenario, seed)]
    day = HallDay(
        config,
        visits,
        policy="onevisit",
        staffed=lay.staffed,
        pauses=[],
        kiosks=0,
        kiosk_proposals=False,
        follow_advice=False,
        staffing=staffing,
        windows_open_s=8 * 3600.0,
    )
    result = day.run()
    out = []
    for a in advice:
        recs = [r for r in result.records if int(r.visit.arrival_s // 60) // BUCKET_MIN * BUCKET_MIN == a.hour]
        served = [r for r in recs if r.done]
        waits = [visit_wait(r) / 60 for r in served]
        out.append(
            HourCheck(
                advice=a,
                arrivals=len(recs),
                within_target=sum(w <= TARGET_MIN for w in waits) / len(waits) if waits else 1.0,
                mean_wait_min=statistics.fmean(waits) if waits else 0.0,
                abandon=(len(recs) - len(served)) / len(recs) if recs else 0.0,
            )
        )
    summary = {
        "window_hours_advised": advised_hours,
        "minutes_per_visit": minutes_per_visit,
        "patience_min": patience_s / 60,
    }
    return out, summary

