"""Run a day under each policy: the same visits, the same staff timetable, the real engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.hallsim import predictors
from bench.hallsim.metrics import day_metrics, ewt_metrics
from bench.hallsim.scenarios import Behaviour, Layout, Scenario, ServiceSpec, hall_config, layout
from bench.hallsim.sim import WINDOWS_OPEN_S, DayResult, HallDay, Pause
from bench.hallsim.workload import Visit, draw

POLICIES = ("dedicated_fifo", "novosga", "qsystem", "qmatic_longest_wait", "onevisit")
ABLATION = "onevisit_order"  # OneVisit's call order alone: no kiosk proposals, no overflow windows


@dataclass(frozen=True)
class Setup:
    """A hall to simulate: its services, its layouts (reformed or dedicated) and its day."""

    name: str
    specs: tuple[ServiceSpec, ...]
    layouts: Callable[[bool], Layout]  # dedicated? → layout
    pauses: Callable[[tuple[str, ...]], list[Pause]]
    kiosks: int
    behaviour: Behaviour
    windows_open_s: float = WINDOWS_OPEN_S
    all_day: bool = False  # issue tickets at any hour (a replayed trace)


@dataclass(frozen=True)
class PolicyRun:
    policy: str
    metrics: dict[str, Any]
    ewt: dict[str, dict[str, float]]
    seconds: float
    result: DayResult


def timetable(staffed: tuple[str, ...], scenario: Scenario) -> list[Pause]:
    """Staggered breaks: 15 min mid-morning and mid-afternoon, lunch in two shifts; the outage."""
    out = []
    for i, wid in enumerate(staffed):
        stagger = (i % 4) * 15
        out.append(Pause(wid, (10 * 60 + stagger) * 60, 15, "break"))
        out.append(Pause(wid, (15 * 60 + stagger) * 60, 15, "break"))
        lunch = 11 * 60 + 30 if i % 2 == 0 else 12 * 60 + 30
        out.append(Pause(wid, lunch * 60, 60, "lunch"))
    if scenario.outage is not None and scenario.outage.window in staffed:
        o = scenario.outage
        out.append(Pause(o.window, o.at_min * 60, o.minutes, "outage"))
    return out


def setup_of(scenario: Scenario) -> Setup:
    return Setup(
        name=scenario.name,
        specs=scenario.specs(),
        layouts=lambda dedicated: layout(scenario, dedicated=dedicated),
        pauses=lambda staffed: timetable(staffed, scenario),
        kiosks=scenario.kiosks,
        behaviour=scenario.behaviour,
    )


def run_policy(setup: Setup, policy: str, visits: list[Visit], *, dedicated: bool = False) -> PolicyRun:
    onevisit = policy.startswith("onevisit")
    lay = setup.layouts(dedicated or policy == "dedicated_fifo")
    config = hall_config(setup.specs, lay, onevisit=onevisit, name=setup.name, all_day=setup.all_day)
    full = policy == "onevisit"
    day = HallDay(
        config,
        visits,
        policy=policy,
        staffed=lay.staffed,
        pauses=setup.pauses(lay.staffed),
        kiosks=setup.kiosks,
        kiosk_proposals=full,
        follow_advice=full,
        manager_reaction_s=setup.behaviour.manager_reaction_s,
        recall_every_s=setup.behaviour.recall_every_s,
        predictors=predictors.PREDICTORS if onevisit else {},
        windows_open_s=setup.windows_open_s,
    )
    t0 = time.process_time()
    result = day.run()
    seconds = time.process_time() - t0
    targets = {s.code: s.target_min for s in setup.specs}
    ewt = {name: ewt_metrics(result.records, name) for name in predictors.PREDICTORS} if onevisit else {}
    return PolicyRun(policy, day_metrics(result, targets, setup.windows_open_s), ewt, seconds, result)


def run_scenario(
    scenario: Scenario, seed: int, policies: tuple[str, ...] = (*POLICIES, ABLATION)
) -> dict[str, PolicyRun]:
    visits = draw(scenario, seed)
    setup = setup_of(scenario)
    return {p: run_policy(setup, p, visits) for p in policies}
