"""The hall's configuration: zones, services, windows, priority bounds, calling rules.

Loaded strictly from TOML (``configs/*/hall.toml``); a typo is an error that names file, field and value.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from hall_protocol.config_files import ConfigStruct, load_toml
from hall_protocol.topics import check_id

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="identifier: A-Z a-z 0-9 _ -")]
Clock = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24-hour")]
Minutes = Annotated[float, msgspec.Meta(gt=0, le=24 * 60)]


def parse_clock(value: str) -> time:
    hh, mm = value.split(":")
    return time(int(hh), int(mm))


class HallInfo(ConfigStruct, frozen=True):
    id: Code
    name_zh: str
    name_en: str
    timezone: str = "Asia/Shanghai"
    status_base_url: str = "http://127.0.0.1:8080"
    """Base of the phone status page printed as a QR on tickets."""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"hall.timezone: unknown time zone {self.timezone!r}") from err


class Zone(ConfigStruct, frozen=True):
    id: Code
    name_zh: str
    name_en: str


class Service(ConfigStruct, frozen=True):
    code: Code
    name_zh: str
    name_en: str
    prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{1,2}$", description="ticket prefix letters")]
    zone: Code
    department_zh: str = ""
    department_en: str = ""
    daily_cap: Annotated[int, msgspec.Meta(ge=1, le=9999)] = 999
    opens: Clock = "09:00"
    closes: Clock = "17:00"
    issue_from: Clock = "08:30"
    issue_until: Clock = "16:30"
    target_wait_min: Minutes = 20
    expected_service_min: Minutes = 8
    queue_alert_threshold: Annotated[int, msgspec.Meta(ge=1)] = 30
    kiosk_capable: bool = False
    """Can be done entirely at a self-service kiosk (printing, progress look-up)."""
    materials: tuple[str, ...] = ()


class Window(ConfigStruct, frozen=True):
    id: Code
    name_zh: str
    name_en: str
    zone: Code
    skills: dict[str, Annotated[float, msgspec.Meta(gt=0, le=1)]] = msgspec.field(default_factory=dict)
    """Service code → skill weight (1 = primary, smaller = serves it when nothing better is waiting)."""
    comprehensive: bool = False
    """A 综合窗口 serves every service (weight 0.5 unless listed in ``skills``)."""


class PriorityBounds(ConfigStruct, frozen=True):
    """Maximum wait in minutes per class: past it, a ticket is served first (ageing; no class starves)."""

    normal: Minutes = 90
    green: Minutes = 15
    appointment: Minutes = 10
    vip: Minutes = 10


class Calling(ConfigStruct, frozen=True):
    recall_limit: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    grace_s: Annotated[int, msgspec.Meta(ge=10, le=3600)] = 120
    recycle_no_show: bool = True
    call_expiry_s: Annotated[int, msgspec.Meta(ge=10, le=3600)] = 300
    pre_alert_positions: Annotated[int, msgspec.Meta(ge=0, le=20)] = 3
    """Send "you are nearly next" when a ticket reaches this position."""


class AppointmentRules(ConfigStruct, frozen=True):
    """When an appointment may be checked in, relative to its slot's start."""

    checkin_early_min: Annotated[float, msgspec.Meta(ge=0, le=24 * 60)] = 30
    """Check-in opens this many minutes before the slot starts."""
    checkin_late_min: Annotated[float, msgspec.Meta(ge=0, le=24 * 60)] = 15
    """Check-in closes this many minutes after the slot starts; later, take an ordinary ticket."""


class AlertRules(ConfigStruct, frozen=True):
    """Thresholds of the efficiency alerts (效能监管) besides each service's own target wait."""

    idle_window_s: Annotated[int, msgspec.Meta(ge=0, le=3600)] = 60
    """An open window idle this long while its services have people waiting raises an alert."""
    overrun_factor: Annotated[float, msgspec.Meta(ge=1, le=20)] = 2.0
    """A ticket in service longer than this × the service's expected time raises an alert."""


class EstimateRules(ConfigStruct, frozen=True):
    """How the engine learns service times from the day's finished tickets."""

    ewma_alpha: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.2
    """Weight of each new observation in the exponentially weighted mean and variance."""
    seed_cv: Annotated[float, msgspec.Meta(ge=0, le=5)] = 0.5
    """Assumed coefficient of variation of a service time before anything was observed."""


class HallConfig(ConfigStruct, frozen=True):
    hall: HallInfo
    zones: tuple[Zone, ...]
    services: tuple[Service, ...]
    windows: tuple[Window, ...]
    priorities: PriorityBounds = msgspec.field(default_factory=PriorityBounds)
    calling: Calling = msgspec.field(default_factory=Calling)
    appointments: AppointmentRules = msgspec.field(default_factory=AppointmentRules)
    alerts: AlertRules = msgspec.field(default_factory=AlertRules)
    estimates: EstimateRules = msgspec.field(default_factory=EstimateRules)

    def __post_init__(self) -> None:
        check_id(self.hall.id, "hall.id")
        zone_ids = {z.id for z in self.zones}
        _unique("zones", [z.id for z in self.zones])
        _unique("services", [s.code for s in self.services])
        _unique("windows", [w.id for w in self.windows])
        service_codes = {s.code for s in self.services}
        for i, s in enumerate(self.services):
            if s.zone not in zone_ids:
                raise ValueError(f"services[{i}].zone: {s.zone!r} is not one of the zones {sorted(zone_ids)}")
            if parse_clock(s.issue_from) >= parse_clock(s.issue_until):
                raise ValueError(f"services[{i}] ({s.code}): issue_from must be before issue_until")
        for i, w in enumerate(self.windows):
            if w.zone not in zone_ids:
                raise ValueError(f"windows[{i}].zone: {w.zone!r} is not one of the zones {sorted(zone_ids)}")
            for code in w.skills:
                if code not in service_codes:
                    raise ValueError(f"windows[{i}].skills: {code!r} is not a configured service")
            if not w.skills and not w.comprehensive:
                raise ValueError(f"windows[{i}] ({w.id}): give it skills or make it comprehensive")

    def service(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise KeyError(code)

    def skill(self, window: Window, service: str) -> float:
        """How well ``window`` serves ``service``: 0 means not at all."""
        if service in window.skills:
            return window.skills[service]
        return 0.5 if window.comprehensive else 0.0


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: {i!r} appears twice")
        seen.add(i)


def load_hall_config(path: str | Path) -> HallConfig:
    return load_toml(path, HallConfig)


