"""Wire views built from the state, and the translation of protocol requests into commands."""

from __future__ import annotations

from typing import Any

import pytest

from hall_controller.engine import (
    EngineError,
    call_event,
    command_from_request,
    display_message,
    hall_state_message,
    lease_granted,
    near_front,
    ticket_event,
    ticket_view,
)
from hall_controller.engine import events as ev
from hall_protocol import tickets as wire
from hall_protocol.codec import decode, encode
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import HallState
from hall_protocol.tickets import TicketState
from tests.unit.engine.helpers import Hall, cmd


def test_ticket_view() -> None:
    h = Hall()
    t = h.issue("S1", steps=("S1", "S2"))
    view = ticket_view(h.state, t, h.now, "https://hall.example/")
    assert (view.number, view.state, view.position, view.zone_name_zh) == ("A001", TicketState.WAITING, 1, "A区")
    assert view.status_url.startswith(f"https://hall.example/t/test/{t}?k=")
    assert view.steps == ("S1", "S2")
    assert view.est_wait_low_s <= view.est_wait_s <= view.est_wait_high_s
    token = view.status_url.split("k=")[1]
    assert len(token) == 24
    second = h.issue("S1")
    other = ticket_view(h.state, second, h.now, "https://hall.example/")
    assert other.status_url.split("k=")[1] != token
    with pytest.raises(EngineError) as err:
        ticket_view(h.state, "nope", h.now, "x")
    assert err.value.code is ErrorCode.NOT_FOUND


def test_token_survives_rebuild() -> None:
    h = Hall()
    t = h.issue("S1")
    assert ticket_view(h.rebuilt(), t, h.now, "x").status_url == ticket_view(h.state, t, h.now, "x").status_url


def test_hall_state_and_display() -> None:
    h = Hall()
    h.staff("W1")
    h.issue("S1")
    h.issue("S2")
    t = h.call("W1")
    msg = hall_state_message(h.state, h.now, 7)
    assert decode(encode(msg), HallState) == msg
    assert msg.seq == 7
    assert {s.code: s.waiting for s in msg.services} == {"S1": 0, "S2": 1, "S3": 0}
    assert {w.window_id: (w.state, w.current_number) for w in msg.windows}["W1"] == ("calling", "A001")
    assert msg.recent_calls[0].ticket_id == t
    disp = display_message(h.state, "A", h.now, 3)
    assert [c.number for c in disp.calls] == ["A001"]
    assert disp.waiting == 1
    assert display_message(h.state, "B", h.now, 3).calls == ()
    assert display_message(h.state, "A", h.now + 301, 4).calls == ()  # calls expire
    with pytest.raises(EngineError):
        display_message(h.state, "Z", h.now, 1)


def test_call_and_ticket_events() -> None:
    h = Hall()
    h.staff("W1")
    h.issue("S1", masked_name="王*")
    called = h.send(cmd.CallNext, window_id="W1")[-1]
    assert isinstance(called, ev.TicketCalled)
    ce = call_event(h.state, called)
    assert (ce.call.masked_name, ce.call.window_name, ce.expires_at) == ("王*", "1号窗口", called.at + 300)
    te = ticket_event(h.state, called)
    assert te is not None
    assert (te.state, te.window_id) == (TicketState.CALLED, "W1")
    moved = h.send(cmd.Transfer, window_id="W1", target_service="S2")[-1]
    te = ticket_event(h.state, moved)
    assert te is not None
    assert te.state is TicketState.TRANSFERRED
    assert ticket_event(h.state, h.send(cmd.PauseWindow, window_id="W1")[-1]) is None


def test_near_front() -> None:
    h = Hall()
    ids = [h.issue("S1") for _ in range(4)]
    assert near_front(h.state, "S1", 3) == ids[:3]


WINDOW_OPS = [
    (wire.WindowOp.LOGIN, {"staff_id": "s1"}, cmd.Login),
    (wire.WindowOp.LOGOUT, {}, cmd.Logout),
    (wire.WindowOp.OPEN, {}, cmd.OpenWindow),
    (wire.WindowOp.CLOSE, {}, cmd.CloseWindow),
    (wire.WindowOp.PAUSE, {"reason": "back-office"}, cmd.PauseWindow),
    (wire.WindowOp.RESUME, {}, cmd.ResumeWindow),
    (wire.WindowOp.CALL_NEXT, {}, cmd.CallNext),
    (wire.WindowOp.CALL_TICKET, {"ticket_id": "t"}, cmd.CallTicket),
    (wire.WindowOp.RECALL, {}, cmd.Recall),
    (wire.WindowOp.START, {}, cmd.StartService),
    (wire.WindowOp.FINISH, {}, cmd.FinishService),
    (wire.WindowOp.NO_SHOW, {}, cmd.MarkNoShow),
    (wire.WindowOp.TRANSFER, {"target_service": "S2"}, cmd.Transfer),
    (wire.WindowOp.PARK, {}, cmd.Park),
    (wire.WindowOp.UNPARK, {"ticket_id": "t"}, cmd.Unpark),
]


@pytest.mark.parametrize(("op", "extra", "kind"), WINDOW_OPS, ids=[o[0].value for o in WINDOW_OPS])
def test_window_ops_map_to_commands(op: wire.WindowOp, extra: dict[str, Any], kind: type) -> None:
    command = command_from_request(wire.WindowCommand(request_id="r", window_id="W1", op=op, **extra))
    assert isinstance(command, kind)
    assert getattr(command, "request_id", None) == "r"


def test_transfer_to_a_window_on_the_wire() -> None:
    command = command_from_request(wire.WindowCommand(request_id="r", window_id="W1", op=wire.WindowOp.TRANSFER,
                                                      target_window="W3", reason="note"))
    assert command == cmd.Transfer(request_id="r", window_id="W1", target_window="W3", reason="note")


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (wire.WindowOp.LOGIN, "staff_id"),
        (wire.WindowOp.CALL_TICKET, "ticket_id"),
        (wire.WindowOp.TRANSFER, "target_service"),
        (wire.WindowOp.UNPARK, "ticket_id"),
    ],
)
def test_window_ops_missing_fields(op: wire.WindowOp, field: str) -> None:
    with pytest.raises(EngineError) as err:
        command_from_request(wire.WindowCommand(request_id="r", window_id="W1", op=op))
    assert err.value.code is ErrorCode.MALFORMED
    assert field in err.value.message


def test_ticket_requests_map_to_commands() -> None:
    issue = command_from_request(
        wire.IssueTicket(request_id="r", service="S1", source_device="k1", masked_name="张*", notify_phone="138")
    )
    assert isinstance(issue, cmd.IssueTicket)
    assert issue.masked_name == "张*"
    assert "138" not in repr(issue)  # the phone number never reaches the event log
    appt = command_from_request(wire.IssueTicket(request_id="r", service="S1", source_device="k1", appointment_id="A"))
    assert isinstance(appt, cmd.CheckIn)
    assert isinstance(
        command_from_request(wire.CheckIn(request_id="r", appointment_code="A", source_device="k")), cmd.CheckIn
    )
    assert isinstance(command_from_request(wire.CancelTicket(request_id="r", ticket_id="t")), cmd.CancelTicket)
    assert command_from_request(wire.TicketStatus(ticket_id="t")) is None
    rating = command_from_request(wire.SubmitRating(request_id="r", ticket_id="t", level=4))
    assert isinstance(rating, cmd.RecordRating)
    lease = command_from_request(wire.LeaseRequest(request_id="r", device_id="k", service="S1", size=5))
    assert isinstance(lease, cmd.LeaseBlock)


def test_lease_reply_from_the_engine() -> None:
    h = Hall()
    request = wire.LeaseRequest(request_id="lease-1", device_id="k1", service="S1", size=10)
    command = command_from_request(request)
    assert command is not None
    granted = h.do(command)[-1]
    assert isinstance(granted, ev.BlockLeased)
    reply = lease_granted("lease-1", granted)
    assert (reply.prefix, reply.first, reply.last, reply.day) == ("A", 1, 10, h.state.day)
