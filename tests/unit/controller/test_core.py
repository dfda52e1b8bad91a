from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hall_controller.actors import Actor, ActorKind
from hall_controller.core import HALL_STATE_REFRESH_S, ControllerCore
from hall_controller.engine.state import EngineState
from hall_protocol import topics
from hall_protocol.codec import decode
from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import CallEvent, DisplayState, HallAlerts, HallState, TicketEvent
from hall_protocol.hall_config import load_hall_config
from hall_protocol.tickets import (
    ErrorReply,
    IssueTicket,
    LeaseGranted,
    LeaseRequest,
    TicketReply,
    TicketStatus,
    WindowCommand,
    WindowOp,
    WindowReply,
)

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_hall_config(ROOT / "configs/demo/hall.toml")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
KIOSK = Actor(ActorKind.DEVICE, "kiosk-1", Role.KIOSK, "A")
TERMINAL = Actor(ActorKind.DEVICE, "win-W1", Role.WINDOW_TERMINAL, "A", "W1")


def rid() -> str:
    return uuid.uuid4().hex


def core() -> ControllerCore:
    return ControllerCore(EngineState.initial(CONFIG, T0))


def window(c: ControllerCore, op: WindowOp, now: float, wid: str = "W1") -> WindowReply | ErrorReply:
    reply = c.on_request(WindowCommand(request_id=rid(), window_id=wid, op=op, staff_id="s1"), TERMINAL, now).reply
    assert isinstance(reply, WindowReply | ErrorReply)
    return reply


def test_a_ticket_is_answered_remembered_and_announced() -> None:
    c = core()
    req = IssueTicket(request_id=rid(), service="SB-CARD", source_device="kiosk-1", masked_name="张*")
    d = c.on_request(req, KIOSK, T0)
    assert isinstance(d.reply, TicketReply)
    assert d.reply.ticket.number == "A001"
    assert d.events
    assert c.replayed(req.request_id) is not None
    [pub] = [p for p in d.publications if p.topic == topics.events_tickets("demo")]
    assert decode(pub.payload, TicketEvent).number == "A001"


def test_a_call_is_published_with_expiry_and_the_masked_name() -> None:
    c = core()
    c.on_request(IssueTicket(request_id=rid(), service="SB-CARD", source_device="k", masked_name="张*"), KIOSK, T0)
    window(c, WindowOp.LOGIN, T0)
    window(c, WindowOp.OPEN, T0)
    d = c.on_request(WindowCommand(request_id=rid(), window_id="W1", op=WindowOp.CALL_NEXT), TERMINAL, T0 + 5)
    [call] = [p for p in d.publications if p.topic == topics.events_calls("demo")]
    assert call.expiry_s == CONFIG.calling.call_expiry_s
    event = decode(call.payload, CallEvent)
    assert event.call.masked_name == "张*"
    assert event.expires_at == T0 + 5 + CONFIG.calling.call_expiry_s


def test_a_finish_or_no_show_answers_with_the_ticket_it_ended() -> None:
    """The window has no current ticket afterwards; a caller keypad still shows "A001 已办结"."""
    c = core()
    for _ in range(2):
        c.on_request(IssueTicket(request_id=rid(), service="SB-CARD", source_device="k"), KIOSK, T0)
    window(c, WindowOp.LOGIN, T0)
    window(c, WindowOp.OPEN, T0)
    for n, (number, ending) in enumerate((("A001", WindowOp.FINISH), ("A002", WindowOp.NO_SHOW))):
        assert (called := window(c, WindowOp.CALL_NEXT, T0 + 10 * n + 1))
        assert isinstance(called, WindowReply)
        if ending is WindowOp.FINISH:
            window(c, WindowOp.START, T0 + 10 * n + 2)
        ended = window(c, ending, T0 + 10 * n + 3 + (0 if ending is WindowOp.FINISH else 300))
        assert isinstance(ended, WindowReply), ended
        assert c.state.windows["W1"].current is None
        assert ended.ticket is not None
        assert ended.ticket.number == number
    paused = window(c, WindowOp.PAUSE, T0 + 400)
    assert isinstance(paused, WindowReply)
    assert paused.ticket is None


def test_a_finish_reaches_the_window_zones_display_state() -> None:
    """Window displays read display/{zone}, not ticket events: the window's state there says it is free."""
    c = core()
    c.on_request(IssueTicket(request_id=rid(), service="SB-CARD", source_device="k"), KIOSK, T0)
    window(c, WindowOp.LOGIN, T0)
    window(c, WindowOp.OPEN, T0)
    window(c, WindowOp.CALL_NEXT, T0 + 1)
    window(c, WindowOp.START, T0 + 2)
    c.on_tick(T0 + 3)
    window(c, WindowOp.FINISH, T0 + 4)
    zone = next(w.zone for w in c.config.windows if w.id == "W1")
    [display] = [decode(p.payload, DisplayState) for p in c.on_tick(T0 + 5).publications
                 if p.topic == topics.display("demo", zone)]
    [w1] = [w for w in display.windows if w.window_id == "W1"]
    assert (w1.state, w1.current_number) == ("open", None)


def test_refusals_are_typed_and_not_remembered() -> None:
    c = core()
    req = IssueTicket(request_id=rid(), service="NO-SUCH", source_device="k")
    d = c.on_request(req, KIOSK, T0)
    assert isinstance(d.reply, ErrorReply)
    assert d.reply.code is ErrorCode.NOT_FOUND
    assert d.events == []
    assert c.replayed(req.request_id) is None
    nobody = window(c, WindowOp.CALL_NEXT, T0)
    assert isinstance(nobody, ErrorReply)


def test_status_and_lease_replies() -> None:
    c = core()
    issued = c.on_request(IssueTicket(request_id=rid(), service="GJJ-DRAW", source_device="k"), KIOSK, T0).reply
    assert isinstance(issued, TicketReply)
    status = c.on_request(TicketStatus(ticket_id=issued.ticket.ticket_id), KIOSK, T0).reply
    assert isinstance(status, TicketReply)
    assert status.ticket.position == 1
    lease = c.on_request(LeaseRequest(request_id=rid(), device_id="kiosk-1", service="GJJ-DRAW", size=10), KIOSK, T0)
    assert isinstance(lease.reply, LeaseGranted)
    assert lease.reply.last - lease.reply.first == 9
    nxt = c.on_request(IssueTicket(request_id=rid(), service="GJJ-DRAW", source_device="k"), KIOSK, T0).reply
    assert isinstance(nxt, TicketReply)
    assert int(nxt.ticket.number[1:]) > lease.reply.last  # leased numbers are never handed out online


def test_alerts_are_published_when_they_change_only() -> None:
    c = core()
    c.on_request(IssueTicket(request_id=rid(), service="SB-CARD", source_device="k"), KIOSK, T0)
    first = c.alert_publication(T0)
    assert first is not None
    assert decode(first.payload, HallAlerts).alerts == ()
    assert c.alert_publication(T0 + 1) is None
    late = c.alert_publication(T0 + (CONFIG.service("SB-CARD").target_wait_min + 1) * 60)
    assert late is not None
    assert late.retain
    kinds = {a.kind for a in decode(late.payload, HallAlerts).alerts}
    assert "ticket-over-target" in kinds


def test_tick_marks_no_shows_and_refreshes_retained_state() -> None:
    c = core()
    c.on_request(IssueTicket(request_id=rid(), service="SB-CARD", source_device="k"), KIOSK, T0)
    window(c, WindowOp.LOGIN, T0)
    window(c, WindowOp.OPEN, T0)
    window(c, WindowOp.CALL_NEXT, T0)
    for _ in range(CONFIG.calling.recall_limit):
        window(c, WindowOp.RECALL, T0 + 1)
    d = c.on_tick(T0 + CONFIG.calling.grace_s + 2)
    assert d.events
    states = [decode(p.payload, HallState) for p in d.publications if p.topic == topics.hall_state("demo")]
    assert states
    assert states[0].seq > 0


def test_a_quiet_hall_still_refreshes_its_retained_state() -> None:
    """Screens take silence for an outage (after 30 s): the hall state goes out every few seconds anyway."""
    c = core()
    c.on_tick(T0)  # the first tick publishes what is dirty from the start

    def hall_states(now: float) -> list[HallState]:
        return [decode(p.payload, HallState) for p in c.on_tick(now).publications
                if p.topic == topics.hall_state("demo")]

    assert hall_states(T0 + 1) == []
    assert hall_states(T0 + HALL_STATE_REFRESH_S - 1) == []
    refreshed = c.on_tick(T0 + HALL_STATE_REFRESH_S).publications
    states = [decode(p.payload, HallState) for p in refreshed if p.topic == topics.hall_state("demo")]
    assert [s.ts for s in states] == [T0 + HALL_STATE_REFRESH_S]
    displays = {p.topic for p in refreshed if p.retain and p.topic != topics.hall_state("demo")}
    assert displays == {topics.display("demo", z.id) for z in CONFIG.zones}, "window displays read their zone's"
    assert hall_states(T0 + HALL_STATE_REFRESH_S + 1) == []
