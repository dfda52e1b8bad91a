"""The simulated halls: services, window layouts, the day's demand and staff timetable.

Every scenario shares one kind of hall (the same service catalogue, distributions, behaviour of citizens
and staff, and OneVisit settings); they differ only in size, demand, the layout of their windows and the
day's events. Nothing is set for one scenario to favour one policy.

Sources for the shapes (not for exact numbers, which no public data set gives per hall):
- two daily peaks (mid-morning, mid-afternoon) with a lunch dip, Monday heavier: the usual pattern of
  government service halls' published daily statistics;
- service times: lognormal (the usual fit for counter service times; Brown et al., "Statistical analysis of
  a telephone call center", JASA 2005), means by kind of business;
- a third of the front windows are comprehensive (综合窗口, 无差别受理) in a reformed hall; a pre-reform hall
  has department windows only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hall_protocol.config_files import convert
from hall_protocol.hall_config import HallConfig


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name_zh: str
    dept: str
    mean_min: float  # at a window
    cv: float
    share: float  # of first steps
    target_min: float = 20
    kiosk_capable: bool = False
    kiosk_min: float = 3.0  # at a kiosk, for the kiosk-capable ones


CATALOGUE: tuple[ServiceSpec, ...] = (
    ServiceSpec("S01", "社会保障卡申领", "HRSS", 5, 0.5, 0.12),
    ServiceSpec("S02", "退休待遇核定", "HRSS", 12, 0.6, 0.04, target_min=30),
    ServiceSpec("S03", "就业失业登记", "HRSS", 6, 0.5, 0.06),
    ServiceSpec("S04", "医保参保登记", "HSA", 6, 0.5, 0.07),
    ServiceSpec("S05", "医疗费用报销", "HSA", 10, 0.6, 0.06),
    ServiceSpec("S06", "住房公积金提取", "HPF", 7, 0.5, 0.10),
    ServiceSpec("S07", "住房公积金贷款", "HPF", 16, 0.5, 0.03, target_min=30),
    ServiceSpec("S08", "不动产登记", "NRB", 15, 0.6, 0.08, target_min=30),
    ServiceSpec("S09", "企业开办", "AMR", 15, 0.6, 0.05, target_min=30),
    ServiceSpec("S10", "户籍业务", "PSB", 8, 0.5, 0.10),
    ServiceSpec("S11", "税务申报与发票", "TAX", 7, 0.6, 0.11),
    ServiceSpec("S12", "社保缴费证明打印", "HRSS", 3, 0.5, 0.10, kiosk_capable=True, kiosk_min=2.5),
    ServiceSpec("S13", "公积金查询打印", "HPF", 3, 0.5, 0.08, kiosk_capable=True, kiosk_min=2.5),
)

# Visits of several services (一件事一次办): the steps, and their share of all visits.
BUNDLES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("S10", "S04", "S01"), 0.04),  # birth: household registration, medical insurance, social security card
    (("S08", "S11"), 0.04),  # property transfer: registration, then its tax
    (("S09", "S11"), 0.02),  # business start-up, then tax registration
    (("S03", "S05"), 0.02),
)

# Arrivals per half hour from 08:30 to 16:30 (relative): morning peak, lunch dip, afternoon peak.
PROFILE: tuple[float, ...] = (0.8, 1.3, 1.6, 1.6, 1.4, 1.1, 0.7, 0.4, 0.4, 0.6, 0.9, 1.2, 1.3, 1.2, 0.9, 0.6)
MONDAY_MORNING = 1.35  # the morning half-hours of a Monday, relative to an ordinary day


@dataclass(frozen=True)
class Behaviour:
    """How citizens and staff behave: one setting for every scenario."""

    green_share: float = 0.06  # elderly / disabled green channel
    vip_share: float = 0.01
    appointment_share: float = 0.15
    patience_median_min: float = 45.0
    patience_cv: float = 0.8
    away_on_call: float = 0.04  # stepped out when called; back 5-15 min later
    kiosk_self: float = 0.2  # of kiosk-capable visits, go to a kiosk on their own
    kiosk_accept: float = 0.7  # accept the kiosk when it is proposed (elderly: a third of that)
    walk_s: tuple[float, float] = (20.0, 60.0)  # from the call to the counter
    recall_every_s: float = 30.0
    manager_reaction_s: float = 180.0  # from advice to an overflow window open


@dataclass(frozen=True)
class Outage:
    window: str
    at_min: float  # minutes after midnight
    minutes: float


@dataclass(frozen=True)
class Scenario:
    name: str
    visits: int
    windows: int  # staffed front windows
    comprehensive_share: float
    services: tuple[str, ...]
    kiosks: int
    reserve: int  # windows staff can open from the back office when advised (OneVisit only)
    monday: bool = False
    outage: Outage | None = None
    behaviour: Behaviour = field(default_factory=Behaviour)

    def specs(self) -> tuple[ServiceSpec, ...]:
        return tuple(s for s in CATALOGUE if s.code in self.services)

    def bundles(self) -> tuple[tuple[tuple[str, ...], float], ...]:
        return tuple((b, w) for b, w in BUNDLES if all(code in self.services for code in b))

    def profile(self) -> tuple[float, ...]:
        if not self.monday:
            return PROFILE
        return tuple(w * MONDAY_MORNING if i < 7 else w for i, w in enumerate(PROFILE))


SCENARIOS: dict[str, Scenario] = {
    "township": Scenario(
        name="township",
        visits=200,
        windows=8,
        comprehensive_share=0.5,
        services=("S01", "S03", "S04", "S05", "S06", "S10", "S11", "S12"),
        kiosks=1,
        reserve=1,
        outage=Outage("W02", 14 * 60, 45),
    ),
    "district": Scenario(
        name="district",
        visits=1000,
        windows=30,
        comprehensive_share=1 / 3,
        services=tuple(s.code for s in CATALOGUE),
        kiosks=4,
        reserve=3,
        outage=Outage("W05", 14 * 60, 45),
    ),
    "city": Scenario(
        name="city",
        visits=2500,
        windows=60,
        comprehensive_share=1 / 3,
        services=tuple(s.code for s in CATALOGUE),
        kiosks=8,
        reserve=5,
        monday=True,
        outage=Outage("W10", 10 * 60, 60),
    ),
}


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` seats by largest remainder, at least one each (as long as there are seats)."""
    keys = sorted(weights)
    out = dict.fromkeys(keys, 1 if total >= len(keys) else 0)
    left = total - sum(out.values())
    s = sum(weights.values())
    exact = {k: weights[k] / s * left for k in keys}
    for k in keys:
        out[k] += math.floor(exact[k])
    rest = total - sum(out.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - math.floor(exact[k])), k))[:rest]:
        out[k] += 1
    return out


def workload(specs: tuple[ServiceSpec, ...], bundles: tuple[tuple[tuple[str, ...], float], ...]) -> dict[str, float]:
    """Expected window minutes per visit, by service (steps of bundles included)."""
    single = 1 - sum(w for _, w in bundles)
    total_share = sum(s.share for s in specs)
    load = {s.code: single * s.share / total_share * s.mean_min for s in specs}
    by_code = {s.code: s for s in specs}
    for steps, w in bundles:
        for code in steps:
            load[code] += w * by_code[code].mean_min
    return load


@dataclass(frozen=True)
class Layout:
    """Which window serves what. ``dedicated``: department windows only (the pre-reform hall)."""

    skills: dict[str, dict[str, float]]  # window → service → weight (empty: comprehensive)
    staffed: tuple[str, ...]
    reserve: tuple[str, ...]


def layout(scenario: Scenario, *, dedicated: bool) -> Layout:
    specs = scenario.specs()
    load = workload(specs, scenario.bundles())
    depts: dict[str, list[str]] = {}
    for s in specs:
        depts.setdefault(s.dept, []).append(s.code)
    dept_load = {d: sum(load[c] for c in codes) for d, codes in depts.items()}
    n_comp = 0 if dedicated else round(scenario.windows * scenario.comprehensive_share)
    seats = apportion(scenario.windows - n_comp, dept_load)
    skills: dict[str, dict[str, float]] = {}
    i = 0
    for dept in sorted(seats):
        for _ in range(seats[dept]):
            i += 1
            skills[f"W{i:02d}"] = {code: 1.0 for code in depts[dept]}
    for _ in range(n_comp):
        i += 1
        skills[f"W{i:02d}"] = {}
    staffed = tuple(skills)
    reserve = []
    for _ in range(scenario.reserve):
        i += 1
        skills[f"W{i:02d}"] = {}
        reserve.append(f"W{i:02d}")
    return Layout(skills=skills, staffed=staffed, reserve=tuple(reserve))


def hall_config(
    specs: tuple[ServiceSpec, ...],
    lay: Layout,
    *,
    onevisit: bool,
    name: str = "sim",
    all_day: bool = False,
) -> HallConfig:
    """The engine's config for a layout. ``onevisit``: the OneVisit call order, the 2:1 class ratio and
    the reserve windows as overflow windows; otherwise the configured defaults."""
    prefixes = [chr(ord("A") + i) for i in range(26)]
    services = [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.code,
            "prefix": prefixes[i],
            "zone": "H",
            "daily_cap": 9999,
            "issue_from": "00:00" if all_day else "08:30",
            "issue_until": "23:59" if all_day else "16:30",
            "target_wait_min": s.target_min,
            "expected_service_min": s.mean_min,
            "queue_alert_threshold": 15,
            "kiosk_capable": s.kiosk_capable,
        }
        for i, s in enumerate(specs)
    ]
    windows: list[dict[str, Any]] = []
    for wid, sk in lay.skills.items():
        w: dict[str, Any] = {"id": wid, "name_zh": f"{wid}窗口", "name_en": wid, "zone": "H"}
        if sk:
            w["skills"] = sk
        else:
            w["comprehensive"] = True
        windows.append(w)
    raw: dict[str, Any] = {
        "hall": {"id": name, "name_zh": "模拟大厅", "name_en": "Simulated hall"},
        "zones": [{"id": "H", "name_zh": "大厅", "name_en": "Hall"}],
        "services": services,
        "windows": windows,
    }
    if onevisit:
        raw["routing"] = {"call_order": "onevisit", "class_ratio": [2, 1], "overflow_windows": list(lay.reserve)}
    return convert(raw, HallConfig)
