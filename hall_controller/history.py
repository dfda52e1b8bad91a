"""What happened in the hall, as facts folded from the stored event log (never from live state, which forgets
each day's tickets at midnight). Sans-IO: events in, facts out; reports and the ratings page read the facts.

:class:`HallHistory` is fed the stored events in order (:meth:`HallHistory.feed`), incrementally: the pages
keep one and give it the events committed since the last look. Each fact list is in commit order, so a
period is two bisections away. What each fact means:

- a visit: a ticket issued (its first service);
- a wait: a step called for the first time, the wait counted from when the citizen started waiting for
  that step (arrival, the end of the previous step, or a transfer away from a window);
- a call: every call of a ticket to a window (not a recall), with the reason it was called: the routing
  rule's for "call next", the staff's own words for a ticket called by its number;
- a served step: a step finished, with its service time, window and the staff logged in there;
- a no-show: a ticket that ended as one (a recycled first no-show is not);
- a rating: one rated step with the visit's number, the step's wait, window and staff, and whether the
  citizen identified (named: the ticket carries a masked name from an ID card or an appointment);
- pauses and open stretches of each window, with the staff logged in.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import msgspec

from hall_controller.engine import events as ev

F = TypeVar("F")
BAD_LEVEL = 2
"""A rating at or below this level (不满意, 非常不满意) is a bad rating (差评) and gets a follow-up."""


class Visit(NamedTuple):
    at: float
    service: str


class NoShow(NamedTuple):
    at: float


class Wait(NamedTuple):
    at: float
    service: str
    wait_s: float


class Call(NamedTuple):
    at: float
    number: str
    service: str
    window_id: str
    explicit: bool  # called by its number at the window, not chosen by the engine
    reason: str
    reason_zh: str


class Served(NamedTuple):
    at: float
    service: str
    duration_s: float
    window_id: str
    staff_id: str


class Stretch(NamedTuple):
    """A window paused (or open) from ``start`` to ``end`` with ``staff_id`` logged in."""

    start: float
    end: float
    window_id: str
    staff_id: str


class RatingRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # "{ticket_id}:{step}": a rating is one step's
    ticket_id: str
    number: str
    day: str
    step: int
    service: str
    window_id: str
    staff_id: str
    level: int
    reasons: tuple[str, ...]
    comment: str
    rated_at: float
    served_at: float
    wait_s: float | None
    named: bool

    @property
    def bad(self) -> bool:
        return self.level <= BAD_LEVEL


@dataclass(slots=True)
class _Step:
    service: str
    window_id: str
    staff_id: str
    finished_at: float
    wait_s: float | None


@dataclass(slots=True)
class _Ticket:
    number: str
    named: bool
    queued_at: float
    called: bool = False
    wait_s: float | None = None
    done: list[_Step] = field(default_factory=list)


_decoder = msgspec.json.Decoder(ev.Event)


def _first(fact: Any) -> float:
    at: float = fact[0]
    return at


class HallHistory:
    def __init__(self) -> None:
        self.seq = 0  # the last stored event fed
        self.day = ""
        self.visits: list[Visit] = []
        self.waits: list[Wait] = []
        self.calls: list[Call] = []
        self.served: list[Served] = []
        self.no_shows: list[NoShow] = []
        self.ratings: list[RatingRow] = []
        self.pauses: list[Stretch] = []
        self.opens: list[Stretch] = []
        self.paused_since: dict[str, tuple[float, str]] = {}
        self.open_since: dict[str, tuple[float, str]] = {}
        self._tickets: dict[str, _Ticket] = {}
        self._staff: dict[str, str] = {}
        self._by_key: dict[str, int] = {}
        self._apply: dict[type[Any], Any] = {
            ev.DayStarted: self._day,
            ev.TicketIssued: self._issued,
            ev.TicketCalled: self._called,
            ev.StepFinished: self._finished,
            ev.TicketNoShow: self._no_show,
            ev.TicketTransferred: self._transferred,
            ev.TicketRated: self._rated,
            ev.StaffLoggedIn: self._logged_in,
            ev.StaffLoggedOut: self._logged_out,
            ev.WindowOpened: self._opened,
            ev.WindowClosed: self._closed,
            ev.WindowPaused: self._paused,
            ev.WindowResumed: self._resumed,
        }

    # -- feeding -------------------------------------------------------------------------------------

    def feed_stored(self, rows: Iterable[tuple[int, bytes]]) -> None:
        """Stored events as (seq, body), in order; those at or before :attr:`seq` are skipped."""
        decode = _decoder.decode
        apply = self._apply
        for seq, body in rows:
            if seq <= self.seq:
                continue
            e = decode(body)
            handler = apply.get(type(e))
            if handler is not None:
                handler(e)
            self.seq = seq

    def feed(self, events: Iterable[ev.Event]) -> None:
        """Events without a store (tests, the benchmark's check)."""
        for e in events:
            handler = self._apply.get(type(e))
            if handler is not None:
                handler(e)

    # -- reading -------------------------------------------------------------------------------------

    def rating(self, key: str) -> RatingRow | None:
        i = self._by_key.get(key)
        return self.ratings[i] if i is not None else None

    @staticmethod
    def between(facts: list[F], start: float, end: float, key: Callable[[F], float] | None = None) -> list[F]:
        """The facts (in time order by ``key``, their first field unless told) in [start, end)."""
        by: Callable[[F], float] = key if key is not None else _first
        lo = bisect.bisect_left(facts, start, key=by)
        hi = bisect.bisect_left(facts, end, key=by)
        return facts[lo:hi]

    # -- appliers ------------------------------------------------------------------------------------

    def _day(self, e: ev.DayStarted) -> None:
        self.day = e.day
        self._tickets.clear()  # the engine drops yesterday's tickets too: nothing can refer to them now

    def _issued(self, e: ev.TicketIssued) -> None:
        self._tickets[e.ticket_id] = _Ticket(e.number, bool(e.masked_name), e.arrival)
        self.visits.append(Visit(e.at, e.service))

    def _called(self, e: ev.TicketCalled) -> None:
        self.calls.append(Call(e.at, e.number, e.service, e.window_id, e.explicit, e.reason, e.reason_zh))
        t = self._tickets.get(e.ticket_id)
        if t is not None and not t.called:
            t.called = True
            t.wait_s = max(0.0, e.at - t.queued_at)
            self.waits.append(Wait(e.at, e.service, t.wait_s))

    def _finished(self, e: ev.StepFinished) -> None:
        staff = self._staff.get(e.window_id, "")
        self.served.append(Served(e.at, e.service, e.duration_s, e.window_id, staff))
        t = self._tickets.get(e.ticket_id)
        if t is None:
            return
        t.done.append(_Step(e.service, e.window_id, staff, e.at, t.wait_s))
        if e.next_service is not None:
            t.called, t.wait_s, t.queued_at = False, None, e.at

    def _no_show(self, e: ev.TicketNoShow) -> None:
        if not e.recycled:
            self.no_shows.append(NoShow(e.at))

    def _transferred(self, e: ev.TicketTransferred) -> None:
        t = self._tickets.get(e.ticket_id)
        if t is not None and t.called:  # taken away from a window: a new wait begins in the new service
            t.called, t.wait_s, t.queued_at = False, None, e.at

    def _rated(self, e: ev.TicketRated) -> None:
        t = self._tickets.get(e.ticket_id)
        step = t.done[e.step] if t is not None and e.step < len(t.done) else None
        row = RatingRow(
            key=f"{e.ticket_id}:{e.step}",
            ticket_id=e.ticket_id,
            number=t.number if t is not None else "",
            day=self.day,
            step=e.step,
            service=e.service or (step.service if step else ""),
            window_id=e.window_id or (step.window_id if step else ""),
            staff_id=step.staff_id if step else "",
            level=e.level,
            reasons=e.reasons,
            comment=e.comment,
            rated_at=e.at,
            served_at=step.finished_at if step else e.at,
            wait_s=step.wait_s if step else None,
            named=t.named if t is not None else False,
        )
        self._by_key[row.key] = len(self.ratings)
        self.ratings.append(row)

    def _logged_in(self, e: ev.StaffLoggedIn) -> None:
        self._staff[e.window_id] = e.staff_id

    def _logged_out(self, e: ev.StaffLoggedOut) -> None:
        self._end_stretches(e.window_id, e.at)
        self._staff.pop(e.window_id, None)

    def _opened(self, e: ev.WindowOpened) -> None:
        self.open_since.setdefault(e.window_id, (e.at, self._staff.get(e.window_id, "")))

    def _closed(self, e: ev.WindowClosed) -> None:
        self._end_stretches(e.window_id, e.at)

    def _paused(self, e: ev.WindowPaused) -> None:
        self.paused_since.setdefault(e.window_id, (e.at, self._staff.get(e.window_id, "")))

    def _resumed(self, e: ev.WindowResumed) -> None:
        if (since := self.paused_since.pop(e.window_id, None)) is not None:
            self.pauses.append(Stretch(since[0], e.at, e.window_id, since[1]))

    def _end_stretches(self, window_id: str, at: float) -> None:
        if (since := self.paused_since.pop(window_id, None)) is not None:
            self.pauses.append(Stretch(since[0], at, window_id, since[1]))
        if (since := self.open_since.pop(window_id, None)) is not None:
            self.opens.append(Stretch(since[0], at, window_id, since[1]))
