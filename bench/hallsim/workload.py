"""The day's visits, drawn once per scenario and seed so that every policy meets the same citizens
(common random numbers: the differences between policies are not noise of the draw)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from bench.hallsim.scenarios import Scenario, ServiceSpec
from hall_protocol.tickets import Priority

OPEN_MIN = 8 * 60 + 30  # tickets from 08:30
SLOT_MIN = 30.0
FIRST_SLOT_MIN = 9 * 60


@dataclass(frozen=True)
class Visit:
    vid: int
    arrival_s: float  # seconds after midnight
    steps: tuple[str, ...]
    service_s: tuple[float, ...]
    priority: Priority  # NORMAL, GREEN or VIP; appointments check in (class ``appointment``)
    patience_s: float  # per step; inf: never leaves
    slot_s: float | None = None  # an appointment's slot start
    away: bool = False  # not there at the first call
    away_s: float = 0.0
    kiosk_self: bool = False  # uses a kiosk on its own when the service allows
    kiosk_accept: bool = False  # takes the kiosk when it is proposed
    kiosk_s: float = 0.0
    walk_s: float = 30.0


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def _arrivals(rng: random.Random, n: int, profile: tuple[float, ...]) -> list[float]:
    """``n`` arrival times (s after midnight) from the piecewise-constant rate ``profile`` (half hours from
    08:30): a non-homogeneous Poisson process conditioned on its count."""
    total = sum(profile)
    out = []
    for _ in range(n):
        u = rng.random() * total
        i = 0
        while u > profile[i]:
            u -= profile[i]
            i += 1
        out.append((OPEN_MIN + (i + u / profile[i]) * SLOT_MIN) * 60)
    out.sort()
    return out


def draw(scenario: Scenario, seed: int) -> list[Visit]:
    rng = random.Random(f"{scenario.name}:{seed}")
    b = scenario.behaviour
    specs = {s.code: s for s in scenario.specs()}
    bundles = scenario.bundles()
    singles = [s for s in specs.values()]
    single_share = 1 - sum(w for _, w in bundles)
    choices: list[tuple[tuple[str, ...], float]] = [
        ((s.code,), single_share * s.share / sum(x.share for x in singles)) for s in singles
    ]
    choices += list(bundles)
    weights = [w for _, w in choices]
    visits = []
    for vid, arrival in enumerate(_arrivals(rng, scenario.visits, scenario.profile())):
        steps = rng.choices([c for c, _ in choices], weights)[0]
        service_s = tuple(lognormal(rng, specs[c].mean_min * 60, specs[c].cv) for c in steps)
        u = rng.random()
        slot = None
        priority = Priority.NORMAL
        if u < b.appointment_share:
            # a slot on the half hour, in the windows' hours; arrives between 20 min early and 10 min late
            slot = max(math.floor((arrival / 60 + 5) / SLOT_MIN) * SLOT_MIN, FIRST_SLOT_MIN) * 60
            arrival = max(OPEN_MIN * 60, slot + rng.uniform(-20 * 60, 10 * 60))
        elif u < b.appointment_share + b.green_share:
            priority = Priority.GREEN
        elif u < b.appointment_share + b.green_share + b.vip_share:
            priority = Priority.VIP
        patience_mean = b.patience_median_min * 60 * math.exp(math.log(1 + b.patience_cv**2) / 2)
        patience = lognormal(rng, patience_mean, b.patience_cv)
        if slot is not None:
            patience *= 2  # who booked is not leaving soon
        first = specs[steps[0]]
        accept = b.kiosk_accept / 3 if priority is Priority.GREEN else b.kiosk_accept
        visits.append(
            Visit(
                vid=vid,
                arrival_s=arrival,
                steps=steps,
                service_s=service_s,
                priority=priority,
                patience_s=patience,
                slot_s=slot,
                away=rng.random() < b.away_on_call,
                away_s=rng.uniform(5 * 60, 15 * 60),
                kiosk_self=first.kiosk_capable and rng.random() < b.kiosk_self,
                kiosk_accept=first.kiosk_capable and rng.random() < accept,
                kiosk_s=lognormal(rng, first.kiosk_min * 60, 0.5),
                walk_s=rng.uniform(*b.walk_s),
            )
        )
    visits.sort(key=lambda v: (v.arrival_s, v.vid))
    return visits


def spec_of(scenario: Scenario) -> dict[str, ServiceSpec]:
    return {s.code: s for s in scenario.specs()}
