"""The controller's sans-IO core: a wire request and the time in; the answer, the events to commit and what
to publish out. The MQTT adapter (service.py) and the store only move bytes around it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

import msgspec

from hall_controller.config import HallConfig
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
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import AlertView, HallAlerts
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

log = logging.getLogger(__name__)

_event_decoder = msgspec.json.Decoder(ev.Event)
REPLY_DAYS = 2
REPLY_CACHE = 200_000  # first answers kept in memory for replays; older ones are still in the store


@dataclass
class Decision:
    reply: RpcReply
    events: list[bytes] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    remember: bool = True  # store the answer for replays (read-only queries need not)


class ControllerCore:
    def __init__(self, state: EngineState, replies: dict[str, bytes] | None = None) -> None:
        self.state = state
        self.config: HallConfig = state.config
        self.hall_id = self.config.hall.id
        self._replies: OrderedDict[str, bytes] = OrderedDict(replies or {})
        self._dirty_zones: set[str] = {z.id for z in self.config.zones}
        self._seq = 0
        self._alert_keys: tuple[tuple[str, str | None, str | None, str | None], ...] | None = None
        self.devices: dict[str, dict[str, bytes]] = {}

    @classmethod
    async def restore(cls, config: HallConfig, store: Store, now: float) -> ControllerCore:
        """Rebuild the live state from the event log (the log is the truth; nothing else is trusted)."""
        state = EngineState.initial(config, now)
        stored = await store.events_after(0)
        state = fold(state, (_event_decoder.decode(e.body) for e in stored))
        # replays come from kiosks' outboxes after an outage: keep two days of first answers at hand
        return cls(state, await store.replies_since(now - REPLY_DAYS * 86400))

    # -- requests --------------------------------------------------------------------------------

    def replayed(self, request_id: str) -> bytes | None:
        return self._replies.get(request_id)

    def on_request(self, request: RpcRequest, source: str, now: float) -> Decision:
        request_id = getattr(request, "request_id", "")
        if isinstance(request, TicketStatus):
            return self._status(request, now)
        try:
            command = command_from_request(request)
            assert command is not None
            state, events = handle(self.state, command, now)
        except EngineError as err:
            return Decision(
                ErrorReply(request_id=request_id, code=err.code, message=err.message, message_zh=err.message_zh),
                remember=False,
            )
        self.state = state
        reply = self._reply_for(request, events, now)
        decision = Decision(reply, [msgspec.json.encode(e) for e in events], self._publications(events, now))
        self._remember(request_id, encode(reply))
        return decision

    def _remember(self, request_id: str, reply: bytes) -> None:
        self._replies[request_id] = reply
        if len(self._replies) > REPLY_CACHE:
            self._replies.popitem(last=False)

    def _status(self, request: TicketStatus, now: float) -> Decision:
        if self.state.ticket(request.ticket_id) is None:
            return Decision(ErrorReply(request_id="", code=ErrorCode.NOT_FOUND, message="no such ticket today",
                                       message_zh="今天没有这个号。"), remember=False)
        view = ticket_view(self.state, request.ticket_id, now, self.config.hall.status_base_url)
        return Decision(TicketReply(request_id="", ticket=view), remember=False)

    def _reply_for(self, request: RpcRequest, events: list[ev.Event], now: float) -> RpcReply:
        base = self.config.hall.status_base_url
        rid = getattr(request, "request_id", "")
        if isinstance(request, LeaseRequest):
            return lease_granted(rid, next(e for e in events if isinstance(e, ev.BlockLeased)))
        if isinstance(request, WindowCommand):
            w = self.state.windows[request.window_id]
            tid = w.current or request.ticket_id
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
        return out

    def snapshot_publications(self, now: float) -> list[Publication]:
        """Retained hall and display state, for screens that connect now."""
        self._seq += 1
        out = [Publication(topics.hall_state(self.hall_id),
                           encode(hall_state_message(self.state, now, self._seq)), retain=True)]
        for zone in sorted(self._dirty_zones):
            out.append(Publication(topics.display(self.hall_id, zone),
                                   encode(display_message(self.state, zone, now, self._seq)), retain=True))
        self._dirty_zones.clear()
        return out

    def alert_publication(self, now: float) -> Publication | None:
        """The retained alerts, when they changed since the last publication."""
        current = tuple(AlertView(**msgspec.structs.asdict(a)) for a in alerts(self.state, now))
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
        return Decision(Ack(request_id=""), [msgspec.json.encode(e) for e in events], pubs)

    def on_device_message(self, device_id: str, leaf: str, payload: bytes, now: float) -> None:
        """Keeps the latest presence and events of each device (the registry comes with provisioning)."""
        self.devices.setdefault(device_id, {})[leaf] = payload
