"""The engine's state: immutable records held in persistent containers, so a command costs a few small
copies, never a copy of the whole hall."""

from __future__ import annotations

from typing import Any

import msgspec

from hall_controller.engine.clock import day_bounds, local_date
from hall_controller.engine.ids import TicketKeys
from hall_controller.engine.persistent import PMap, PSortedList
from hall_protocol.hall import CallView, Notice
from hall_protocol.hall_config import HallConfig, Service, Window
from hall_protocol.tickets import Priority, TicketState

QueueKey = tuple[float, float, str, str]
"""(deadline, order_time, number, ticket_id): a service queue is served in this order. Numbers are unique
per day, so ties end on the number (the printed order) and the opaque ticket id is never compared."""

QUEUED = TicketState.WAITING
AT_WINDOW = frozenset({TicketState.CALLED, TicketState.RECALLED, TicketState.SERVING})
CALLED_STATES = frozenset({TicketState.CALLED, TicketState.RECALLED})


class StepRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One service of a visit, as it happened (for reports)."""

    service: str
    window_id: str | None
    called_at: float | None
    started_at: float | None
    ended_at: float
    served_s: float
    outcome: str  # "finished" or "transferred"


class Ticket(msgspec.Struct, frozen=True, kw_only=True):
    ticket_id: str
    number: str
    day: str
    service: str  # the current step's service
    steps: tuple[str, ...]
    step_index: int
    priority: Priority
    state: TicketState
    arrival: float
    order_time: float
    deadline: float
    issued_at: float
    source_device: str = ""
    lease_id: str | None = None
    appointment_id: str | None = None
    masked_name: str = ""
    token: str = ""
    lang: str = "zh"
    window_id: str | None = None  # the window holding it, or the last one that did
    called_at: float | None = None  # first call of the current step
    last_call_at: float | None = None
    call_count: int = 0  # every call and recall of the ticket's life: call ids are f"{ticket_id}:{n}"
    recall_count: int = 0  # recalls of the current call
    started_at: float | None = None  # start of the current stretch of service
    served_s: float = 0.0  # service time of the current step before the current stretch (parking)
    finished_at: float | None = None
    ended_at: float | None = None  # when it reached a final state (finished, no-show, cancelled)
    no_show_count: int = 0
    transfer_count: int = 0
    park_reason: str = ""
    ratings: tuple[tuple[int, int], ...] = ()  # (step, level): one rating per finished step
    history: tuple[StepRecord, ...] = ()
    est_s: float = 0.0  # the uncalibrated wait estimate given at issue (``estimates.py``)

    @property
    def key(self) -> QueueKey:
        return (self.deadline, self.order_time, self.number, self.ticket_id)

    @property
    def rating(self) -> int | None:
        """The level of the newest rating."""
        return self.ratings[-1][1] if self.ratings else None

    @property
    def finished_steps(self) -> tuple[StepRecord, ...]:
        """The visit's finished steps in order: the n-th is step n (a transferred stretch is not a step)."""
        return tuple(r for r in self.history if r.outcome == "finished")


class WindowRt(msgspec.Struct, frozen=True, kw_only=True):
    """A window's live session."""

    window_id: str
    staff_id: str | None = None
    open: bool = False
    paused: bool = False
    pause_reason: str = ""
    current: str | None = None  # ticket called, recalled or in service here
    idle_since: float = 0.0
    served: int = 0

    @property
    def active(self) -> bool:
        """Open, staffed and not paused: it can call."""
        return self.open and not self.paused and self.staff_id is not None


class ServiceStats(msgspec.Struct, frozen=True, kw_only=True):
    """Exponentially weighted mean and variance of the day's service times (seconds)."""

    mean: float
    var: float
    n: int = 0


class Flow(msgspec.Struct, frozen=True, kw_only=True):
    """How fast a service's queue moves: calls from it while people were left waiting.

    ``interval`` and ``var`` are the exponentially weighted mean and variance (seconds) of the time between
    two calls from the queue when the first of them left somebody waiting (a busy stretch); ``busy`` is
    whether the last call did. An interval that began on an empty queue measures arrivals, not service, so
    it is not counted."""

    last_call: float
    busy: bool
    interval: float = 0.0
    var: float = 0.0
    n: int = 0


class Calibration(msgspec.Struct, frozen=True, kw_only=True):
    """Exponentially weighted mean and variance of log((wait + c) / (estimate + c)) over the first calls of
    tickets: how the estimates given at issue compared with the waits that followed (``estimates.py``)."""

    mean: float = 0.0
    var: float = 0.0
    n: int = 0


class Lease(msgspec.Struct, frozen=True, kw_only=True):
    lease_id: str
    device_id: str
    service: str
    prefix: str
    day: str
    first: int
    last: int
    granted_at: float
    used: frozenset[int] = frozenset()


class Appointment(msgspec.Struct, frozen=True, kw_only=True):
    appointment_id: str
    service: str
    steps: tuple[str, ...]
    slot_start: float
    masked_name: str = ""
    id_lookup: str = ""
    ticket_id: str | None = None


class AlertAck(msgspec.Struct, frozen=True, kw_only=True):
    """Who acknowledged an alert episode, and when."""

    by: str
    at: float


class ConfigIndex:
    """Lookups derived from the config once. Two indexes are equal when their configs are."""

    __slots__ = (
        "bounds_s",
        "config",
        "normal_bound_unique",
        "service_windows",
        "services",
        "target_s",
        "window_skills",
        "windows",
        "zones",
    )

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.services: dict[str, Service] = {s.code: s for s in config.services}
        self.target_s: dict[str, float] = {s.code: s.target_wait_min * 60 for s in config.services}
        self.windows: dict[str, Window] = {w.id: w for w in config.windows}
        self.zones = {z.id: z for z in config.zones}
        p = config.priorities
        self.bounds_s: dict[Priority, float] = {
            Priority.NORMAL: p.normal * 60,
            Priority.GREEN: p.green * 60,
            Priority.APPOINTMENT: p.appointment * 60,
            Priority.VIP: p.vip * 60,
        }
        self.normal_bound_unique = p.normal not in (p.green, p.appointment, p.vip)
        order = {s.code: i for i, s in enumerate(config.services)}
        self.window_skills: dict[str, tuple[tuple[float, str], ...]] = {}
        service_windows: dict[str, list[tuple[str, float]]] = {s.code: [] for s in config.services}
        for w in config.windows:
            skills = [(config.skill(w, s.code), s.code) for s in config.services]
            skills = [(wt, code) for wt, code in skills if wt > 0]
            skills.sort(key=lambda ws: (-ws[0], order[ws[1]]))
            self.window_skills[w.id] = tuple(skills)
            for wt, code in skills:
                service_windows[code].append((w.id, wt))
        self.service_windows: dict[str, tuple[tuple[str, float], ...]] = {
            k: tuple(v) for k, v in service_windows.items()
        }

    def skill(self, window_id: str, service: str) -> float:
        for wt, code in self.window_skills[window_id]:
            if code == service:
                return wt
        return 0.0

    def seed_stats(self) -> dict[str, ServiceStats]:
        cv = self.config.estimates.seed_cv
        out = {}
        for s in self.config.services:
            mean = s.expected_service_min * 60
            out[s.code] = ServiceStats(mean=mean, var=(cv * mean) ** 2)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigIndex) and (self.config is other.config or self.config == other.config)

    def __hash__(self) -> int:
        return id(self.config)

    def __repr__(self) -> str:
        return f"ConfigIndex(hall={self.config.hall.id!r})"


class EngineState(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the engine knows. Immutable: ``handle`` and ``apply`` return new states.

    ``==`` compares content, so a state rebuilt from the event log equals the live one.
    """

    index: ConfigIndex  # the configuration in force: ``plan`` with the day's changes from the console
    plan: HallConfig  # the configuration as loaded; the day's changes are dropped at the day's end
    keys: TicketKeys  # the hall secret ticket ids and tokens are derived from
    day: str
    day_start: float
    day_end: float
    tickets: PMap[str, Ticket]
    queues: dict[str, PSortedList[QueueKey]]  # service → waiting tickets in call order
    windows: dict[str, WindowRt]
    counters: dict[str, int]  # prefix → last number handed out or leased today
    issued: dict[str, int]  # service → tickets issued today (first steps), for the daily cap
    leases: dict[str, Lease]
    appointments: PMap[str, Appointment]
    stats: dict[str, ServiceStats]
    seen_today: PMap[str, bool]
    seen_before: PMap[str, bool]  # the previous local day's request ids (late outbox replays)
    recent_calls: tuple[CallView, ...] = ()  # newest first, across the hall
    reserved: dict[str, str] = msgspec.field(default_factory=dict)
    """Waiting ticket id → the window a transfer sent it to: only that window calls it, before its queues."""
    zone_calls: dict[str, tuple[CallView, ...]] = msgspec.field(default_factory=dict)
    turns: dict[str, tuple[int, int]] = msgspec.field(default_factory=dict)
    """service → (normal, priority) calls while both classes wait (``routing.class_ratio``)."""
    flow: dict[str, Flow] = msgspec.field(default_factory=dict)
    calibration: dict[str, Calibration] = msgspec.field(default_factory=dict)
    """service → how its estimates compared with the real waits today; ``"*"``: the whole hall; keys ending
    in ``:idle`` for tickets that found a window idle (``estimates._keys``)."""
    notices: tuple[Notice, ...] = ()
    alert_acks: dict[str, AlertAck] = msgspec.field(default_factory=dict)  # today's, by alert episode id

    @property
    def config(self) -> HallConfig:
        return self.index.config

    @classmethod
    def initial(cls, config: HallConfig, now: float, *, secret: bytes | None = None) -> EngineState:
        """The state before any event. ``secret`` (16-32 bytes) keys ticket ids and tokens: the controller
        passes the one it keeps in its store, so that ids issued after a restart stay unguessable and
        distinct; without one a random secret is drawn (ids already in a log are read back, not derived)."""
        index = ConfigIndex(config)
        day = local_date(now, config.hall.timezone)
        start, end = day_bounds(day, config.hall.timezone)
        return cls(
            index=index,
            plan=config,
            keys=TicketKeys(secret) if secret is not None else TicketKeys.generate(),
            day=day,
            day_start=start,
            day_end=end,
            tickets=PMap(),
            queues={s.code: PSortedList() for s in config.services},
            windows={w.id: WindowRt(window_id=w.id, idle_since=now) for w in config.windows},
            counters={},
            issued={},
            leases={},
            appointments=PMap(),
            stats=index.seed_stats(),
            seen_today=PMap(),
            seen_before=PMap(),
        )

    def seen(self, request_id: str) -> bool:
        """True when a command with this ``request_id`` was already handled (today or yesterday)."""
        return request_id in self.seen_today or request_id in self.seen_before

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.tickets.get(ticket_id)

    def waiting_count(self, service: str | None = None) -> int:
        if service is not None:
            return len(self.queues[service])
        return sum(len(q) for q in self.queues.values())

    def replace(self, **changes: Any) -> EngineState:
        return msgspec.structs.replace(self, **changes)
