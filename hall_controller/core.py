"""The controller's sans-IO core: a wire request and the time in; the answer, the events to commit and what
to publish out. The MQTT adapter (service.py) and the store only move bytes around it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

import msgspec

from hall_controller.actors import Actor
from hall_controller.alert_book import AlertBook
from hall_controller.committed import NewContact
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.alerts import alerts
from hall_controller.engine.apply import fold
from hall_controller.engine.errors import EngineError
from hall_controller.engine.handle import handle
from hall_controller.engine.state import EngineState
from hall_controller.engine.views import (
    call_event,
    display_message,
    hall_state_message,
    ticket_event,
    ticket_view,
    window_state,
)
from hall_controller.engine.wire import command_from_request, lease_granted
from hall_controller.publications import Publication
from hall_controller.store import Store
from hall_controller.trust import Refused, authorise
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import AlertView, HallAlerts
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import (
    Ack,
    CheckIn,
    ErrorReply,
    IssueTicket,
    LeaseRequest,
    RpcReply,
    RpcRequest,
    TicketReply,
    TicketStatus,
    WindowCommand,
    WindowReply,
)
from hall_runtime.log_limit import LogLimiter

log = logging.getLogger(__name__)

_event_decoder = msgspec.json.Decoder(ev.Event)
REPLY_DAYS = 2
REPLY_CACHE = 200_000  # first answers kept in memory for replays; older ones are still in the store
# The retained hall and display states go out at least this often, even when nothing happens: a screen that
# hears nothing from the hall for 30 s (kiosk.apps.board_feed.STALE_AFTER_S) says it is offline rather than
# show old numbers.
HALL_STATE_REFRESH_S = 10.0
_TICKET_ACTIONS = (ev.TicketCalled, ev.TicketRecalled, ev.ServiceStarted, ev.StepFinished, ev.TicketNoShow,
                   ev.TicketTransferred, ev.TicketParked, ev.TicketResumed)


@dataclass
class Decision:
    reply: RpcReply
    events: list[bytes] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    remember: bool = True  # store the answer for replays (read-only queries need not)
    message_zh: str = ""  # a refusal as staff read it (the engine's wording); never sent to devices
    audit: tuple[str, str, str] | None = None  # (action, target, detail) of a change that has no wire request
    decided: tuple[ev.Event, ...] = ()  # ``events`` before encoding, for the work beside the engine
    contact: NewContact | None = None  # how to reach the citizen, when they gave it (never in ``events``)
    call_reason: tuple[str, str] | None = None  # (English, Chinese) why the engine chose the ticket it called


_SETTINGS_EVENTS = (ev.WindowSkillsSet, ev.ServiceLimitsSet, ev.NoticesSet)


class ControllerCore:
    def __init__(self, state: EngineState, replies: dict[str, bytes] | None = None) -> None:
        self.state = state
        self.hall_id = state.config.hall.id
        self._replies: OrderedDict[str, bytes] = OrderedDict(replies or {})
        self._dirty_zones: set[str] = {z.id for z in self.config.zones}
        self._window_zones = {w.id: w.zone for w in self.config.windows}
        self._seq = 0
        self._snapshot_at = float("-inf")
        self._refusals_log = LogLimiter()  # a device sending what it may not must not be able to fill the journal
        self._alert_keys: tuple[tuple[str, str | None, str | None, str | None], ...] | None = None
        self.alert_book = AlertBook()
        self.contact_key = ""  # set when notifications run: agents seal phone numbers with it (HallState)

    @property
    def config(self) -> HallConfig:
        """The configuration in force (the manager may change a window's services and a service's limits)."""
        return self.state.config

    @classmethod
    async def restore(cls, config: HallConfig, store: Store, now: float) -> ControllerCore:
        """Rebuild the live state from the event log (the log is the truth; nothing else is trusted)."""
        state = EngineState.initial(config, now, secret=await store.hall_secret())
        stored = await store.events_after(0)
        state = fold(state, (_event_decoder.decode(e.body) for e in stored))
        # replays come from kiosks' outboxes after an outage: keep two days of first answers at hand
        return cls(state, await store.replies_since(now - REPLY_DAYS * 86400))

    # -- requests --------------------------------------------------------------------------------

    def replayed(self, request_id: str) -> bytes | None:
        return self._replies.get(request_id)

    def on_request(self, request: RpcRequest, actor: Actor, now: float) -> Decision:
        """Decide one request of ``actor``: authorise it (trust.py), then let the engine act on it."""
        request_id = getattr(request, "request_id", "")
        try:
            request = authorise(actor, request, self.state)
        except Refused as refusal:
            self._refusals_log.log(log, logging.INFO, f"refused:{actor.label}", "refused %s from %s: %s",
                                   type(request).__name__, actor.label, refusal.message)
            return Decision(ErrorReply(request_id=request_id, code=refusal.code, message=refusal.message),
                            remember=False)
        if isinstance(request, TicketStatus):
            return self._status(request, now)
        try:
            command = command_from_request(request)
            assert command is not None
            state, events = handle(self.state, command, now)
        except EngineError as err:
            return Decision(ErrorReply(request_id=request_id, code=err.code, message=err.message), remember=False,
                            message_zh=err.message_zh)
        self.state = state
        reply = self._reply_for(request, events, now)
        chosen = next((e for e in events if isinstance(e, ev.TicketCalled) and not e.explicit), None)
        decision = Decision(reply, [msgspec.json.encode(e) for e in events], self._publications(events, now),
                            decided=tuple(events), contact=_contact(request, events),
                            call_reason=(chosen.reason, chosen.reason_zh) if chosen is not None else None)
        self._remember(request_id, encode(reply))
        return decision

    def on_command(self, command: cmd.Command, now: float, audit: tuple[str, str, str]) -> Decision:
        """A change from the console that has no wire request (a window's services, a service's limits, the
        notices, an alert's acknowledgement): the engine decides it; ``audit`` is its audit line."""
        try:
            state, events = handle(self.state, command, now)
        except EngineError as err:
            return Decision(ErrorReply(request_id=command.request_id, code=err.code, message=err.message),
                            remember=False, message_zh=err.message_zh)
        self.state = state
        publications = self._publications(events, now)
        if any(isinstance(e, _SETTINGS_EVENTS) for e in events):
            self._dirty_zones.update(z.id for z in self.config.zones)  # screens show notices and open services
            publications += self.snapshot_publications(now)
        return Decision(Ack(request_id=command.request_id), [msgspec.json.encode(e) for e in events], publications,
                        remember=False, audit=audit if events else None)

    def _remember(self, request_id: str, reply: bytes) -> None:
        self._replies[request_id] = reply
        if len(self._replies) > REPLY_CACHE:
            self._replies.popitem(last=False)

    def _status(self, request: TicketStatus, now: float) -> Decision:
        if self.state.ticket(request.ticket_id) is None:
            refusal = ErrorReply(request_id="", code=ErrorCode.NOT_FOUND, message="no such ticket today")
            return Decision(refusal, remember=False)
        view = ticket_view(self.state, request.ticket_id, now, self.config.hall.status_base_url)
        return Decision(TicketReply(request_id="", ticket=view), remember=False)

    def _reply_for(self, request: RpcRequest, events: list[ev.Event], now: float) -> RpcReply:
        base = self.config.hall.status_base_url
        rid = getattr(request, "request_id", "")
        if isinstance(request, LeaseRequest):
            return lease_granted(rid, next(e for e in events if isinstance(e, ev.BlockLeased)))
        if isinstance(request, WindowCommand):
            w = self.state.windows[request.window_id]
            # the ticket the command acted on (a finish or no-show leaves the window without a current one),
            # else the window's current ticket (pause, resume)
            acted = next((e.ticket_id for e in events if isinstance(e, _TICKET_ACTIONS)), None)
            tid = acted or w.current or request.ticket_id
            view = ticket_view(self.state, tid, now, base) if tid and self.state.ticket(tid) else None
            return WindowReply(request_id=rid, window_id=request.window_id, window_state=window_state(self.state, w),
                               ticket=view)
        if isinstance(request, IssueTicket | CheckIn):
            issued = next(e for e in events if isinstance(e, ev.TicketIssued))
            view = ticket_view(self.state, issued.ticket_id, now, base)
            return TicketReply(request_id=rid, ticket=view)
        return Ack(request_id=rid)

    # -- what to publish -------------------------------------------------------------------------

    def _publications(self, events: list[ev.Event], now: float) -> list[Publication]:
        calls, tickets = topics.events_calls(self.hall_id), topics.events_tickets(self.hall_id)
        expiry = self.config.calling.call_expiry_s
        out: list[Publication] = []
        for e in events:
            if isinstance(e, ev.TicketCalled | ev.TicketRecalled):
                out.append(Publication(calls, encode(call_event(self.state, e)), expiry_s=expiry))
            if isinstance(e, ev.DayStarted):
                self._dirty_zones.update(z.id for z in self.config.zones)
            elif (te := ticket_event(self.state, e)) is not None:
                out.append(Publication(tickets, encode(te)))
                self._dirty_zones.add(self.config.service(te.service).zone)
            # a window's state (a finish, a pause) reaches its zone's displays, which may not read ticket events
            if (window_id := getattr(e, "window_id", None)) in self._window_zones:
                self._dirty_zones.add(self._window_zones[window_id])
        return out

    def snapshot_publications(self, now: float) -> list[Publication]:
        """Retained hall and display state, for screens that connect now."""
        # from the clock, so it keeps increasing across a restart: a screen drops a state older than its own
        self._seq = max(self._seq + 1, int(now * 1000))
        self._snapshot_at = now
        out = [Publication(topics.hall_state(self.hall_id),
                           encode(hall_state_message(self.state, now, self._seq, contact_key=self.contact_key)),
                           retain=True)]
        for zone in sorted(self._dirty_zones):
            out.append(Publication(topics.display(self.hall_id, zone),
                                   encode(display_message(self.state, zone, now, self._seq)), retain=True))
        self._dirty_zones.clear()
        return out

    def alert_publication(self, now: float) -> Publication | None:
        """The retained alerts, when they changed since the last publication."""
        found = alerts(self.state, now)
        self.alert_book.observe(found, now)
        current = tuple(AlertView(**msgspec.structs.asdict(a)) for a in found)
        keys = tuple((a.kind, a.service, a.window_id, a.ticket_id) for a in current)
        if keys == self._alert_keys:
            return None
        self._alert_keys = keys
        return Publication(topics.hall_alerts(self.hall_id),
                           encode(HallAlerts(hall=self.hall_id, ts=now, alerts=current)), retain=True)

    def on_tick(self, now: float) -> Decision:
        """No-show sweeps and the day rollover happen here, then coalesced retained state is refreshed."""
        events: list[ev.Event] = []
        try:
            self.state, events = handle(self.state, cmd.SweepCalls(request_id=f"sweep-{now:.3f}"), now)
        except EngineError as err:
            log.error("sweep refused: %s", err)
        pubs = self._publications(events, now)
        if events or self._dirty_zones:
            self._dirty_zones.add(self.config.zones[0].id)
            pubs += self.snapshot_publications(now)
        elif now - self._snapshot_at >= HALL_STATE_REFRESH_S:  # a quiet hall: the screens hear it is alive
            self._dirty_zones.update(z.id for z in self.config.zones)  # window displays read their zone's
            pubs += self.snapshot_publications(now)
        return Decision(Ack(request_id=""), [msgspec.json.encode(e) for e in events], pubs, decided=tuple(events))


def _contact(request: RpcRequest, events: list[ev.Event]) -> NewContact | None:
    """The contact given with an issued ticket (kept beside the log: the log never holds personal data)."""
    if not isinstance(request, IssueTicket) or not (request.notify_phone or request.notify_sealed):
        return None
    issued = next((e for e in events if isinstance(e, ev.TicketIssued)), None)
    if issued is None:
        return None
    return NewContact(issued.ticket_id, phone=request.notify_phone or "", sealed=request.notify_sealed or "")
