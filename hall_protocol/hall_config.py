"""The hall's configuration: zones, services, windows, priority bounds, calling rules.

Loaded strictly from TOML (``configs/*/hall.toml``); a typo is an error that names file, field and value.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from hall_protocol.config_files import ConfigStruct, load_toml
from hall_protocol.devices import Role
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


WINDOW_ROLES = (Role.WINDOW_TERMINAL, Role.WINDOW_DISPLAY, Role.EVALUATOR)
"""Roles of devices that stand at one window and act only for it."""


class DeviceEntry(ConfigStruct, frozen=True):
    """A device the controller knows without enrolment (a demo hall, tests, a hall run on a closed network).

    An enrolled hall keeps its devices in the enrolment registry instead; both give the controller each
    device's role and, for a window's devices, the window it stands at."""

    id: Code
    role: Role
    zone: Code
    window: Code | None = None


class PriorityBounds(ConfigStruct, frozen=True):
    """Maximum wait in minutes per class: past it, a ticket is served first (ageing; no class starves)."""

    normal: Minutes = 90
    green: Minutes = 15
    appointment: Minutes = 10
    vip: Minutes = 10


class Calling(ConfigStruct, frozen=True):
    """What happens after a call: the citizen has time to arrive (staff press start); unanswered, the
    controller recalls after ``recall_after_s``, up to ``recall_limit`` times; ``grace_s`` after the last
    recall the ticket is a no-show, recycled to the queue's tail once when ``recycle_no_show``."""

    recall_limit: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    grace_s: Annotated[int, msgspec.Meta(ge=10, le=3600)] = 120
    """Seconds after the last recall before an unanswered call becomes a no-show."""
    recall_after_s: Annotated[int, msgspec.Meta(ge=0, le=3600)] = 60
    """Seconds after a call (or recall) nobody answered before the controller recalls by itself; 0: only
    staff recall."""
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


class RoutingRules(ConfigStruct, frozen=True):
    """Crowd routing (智能分流): how windows pick the next ticket and what the hall is advised to do.

    Method and measured effect: docs/routing.md."""

    call_order: Literal["skill-tiers", "onevisit"] = "onevisit"
    """``onevisit`` (the default): a window calls where its call shortens waits most, weighing each queue head's
    wait against its expected service time and target (``engine/routing.py``; its effect in docs/routing.md).
    ``skill-tiers``: a window serves its highest-weight services first, others only when those are empty
    (``engine/selection.py``), as halls did before routing."""
    class_ratio: tuple[Annotated[int, msgspec.Meta(ge=1, le=20)], Annotated[int, msgspec.Meta(ge=1, le=20)]] | None = (
        None
    )
    """Guaranteed calls ``[normal, priority]`` while both wait in a service, e.g. ``[2, 1]``: two ordinary
    tickets for each green-channel/VIP/appointment one. Class bounds still come first. None: by deadline only."""
    kiosk_offer: bool = True
    """Propose the self-service kiosk for ``kiosk_capable`` services when the windows' wait is longer."""
    overflow_windows: tuple[Code, ...] = ()
    """Windows the manager may be asked to open (with the reason) when a queue passes its alert threshold."""
    advice_close_idle_min: Annotated[float, msgspec.Meta(ge=1, le=240)] = 20
    """Advise closing an overflow window that has had nothing to call for this long."""


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
    routing: RoutingRules = msgspec.field(default_factory=RoutingRules)
    devices: tuple[DeviceEntry, ...] = ()

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
        _unique("devices", [d.id for d in self.devices])
        window_ids = {w.id for w in self.windows}
        for i, wid in enumerate(self.routing.overflow_windows):
            if wid not in window_ids:
                raise ValueError(f"routing.overflow_windows[{i}]: {wid!r} is not one of the windows")
        for i, d in enumerate(self.devices):
            if d.zone not in zone_ids:
                raise ValueError(f"devices[{i}].zone: {d.zone!r} is not one of the zones {sorted(zone_ids)}")
            if d.role in WINDOW_ROLES and d.window not in window_ids:
                raise ValueError(f"devices[{i}] ({d.id}): a {d.role} needs window = one of {sorted(window_ids)}")
            if d.role not in WINDOW_ROLES and d.window is not None:
                raise ValueError(f"devices[{i}] ({d.id}): a {d.role} does not stand at a window")

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


