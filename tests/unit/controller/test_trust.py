"""The role × message table of trust.py and its target checks, through ``authorise`` and through the core."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall_controller.actors import Actor, ActorKind
from hall_controller.core import ControllerCore
from hall_controller.engine.state import EngineState
from hall_controller.trust import Refused, authorise, masked
from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode
from hall_protocol.hall_config import load_hall_config
from hall_protocol.tickets import (
    CancelTicket,
    CheckIn,
    ErrorReply,
    IssueTicket,
    LeaseGranted,
    LeaseRequest,
    Priority,
    Provisional,
    RpcRequest,
    SubmitRating,
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
OTHER_KIOSK = Actor(ActorKind.DEVICE, "kiosk-2", Role.KIOSK, "A")
TERMINAL_W1 = Actor(ActorKind.DEVICE, "win-W1", Role.WINDOW_TERMINAL, "A", "W1")
EVALUATOR_W1 = Actor(ActorKind.DEVICE, "eval-W1", Role.EVALUATOR, "A", "W1")
EVALUATOR_W2 = Actor(ActorKind.DEVICE, "eval-W2", Role.EVALUATOR, "B", "W2")
BY_ROLE = {
    Role.KIOSK: KIOSK,
    Role.WINDOW_TERMINAL: TERMINAL_W1,
    Role.EVALUATOR: EVALUATOR_W1,
    Role.HALL_SCREEN: Actor(ActorKind.DEVICE, "screen-1", Role.HALL_SCREEN, "A"),
    Role.WINDOW_DISPLAY: Actor(ActorKind.DEVICE, "display-1", Role.WINDOW_DISPLAY, "A", "W1"),
}

# The table of trust.py's docstring, written out again here on purpose: the test states it, the code obeys it.
MAY_SEND: dict[Role, set[str]] = {
    Role.KIOSK: {"ticket.issue", "ticket.checkin", "ticket.cancel", "ticket.status", "rating.submit",
                 "lease.request"},
    Role.EVALUATOR: {"rating.submit"},
    Role.WINDOW_TERMINAL: {"window.command"},
    Role.HALL_SCREEN: set(),
    Role.WINDOW_DISPLAY: set(),
}


def rid() -> str:
    return uuid.uuid4().hex


def tag(request: RpcRequest) -> str:
    return str(type(request).__struct_config__.tag)


SAMPLES: dict[str, Callable[[Actor], RpcRequest]] = {
    "ticket.issue": lambda a: IssueTicket(request_id=rid(), service="SB-CARD"),
    "ticket.checkin": lambda a: CheckIn(request_id=rid(), appointment_code="APPT-1"),
    "ticket.cancel": lambda a: CancelTicket(request_id=rid(), ticket_id="no-such-ticket"),
    "ticket.status": lambda a: TicketStatus(ticket_id="no-such-ticket"),
    "rating.submit": lambda a: SubmitRating(request_id=rid(), ticket_id="no-such-ticket", level=5),
    "lease.request": lambda a: LeaseRequest(request_id=rid(), service="SB-CARD"),
    "window.command": lambda a: WindowCommand(request_id=rid(), window_id=a.window or "W1", op=WindowOp.CALL_NEXT),
}


def test_the_samples_are_request_types() -> None:
    assert set(SAMPLES) <= {str(t.__struct_config__.tag) for t in typing.get_args(RpcRequest)}


def core() -> ControllerCore:
    return ControllerCore(EngineState.initial(CONFIG, T0))


EMPTY = core().state


def issue(c: ControllerCore, actor: Actor = KIOSK, service: str = "SB-CARD") -> str:
    reply = c.on_request(IssueTicket(request_id=rid(), service=service), actor, T0).reply
    assert isinstance(reply, TicketReply), reply
    return reply.ticket.ticket_id


def window(c: ControllerCore, op: WindowOp, actor: Actor = TERMINAL_W1) -> None:
    assert actor.window is not None
    reply = c.on_request(WindowCommand(request_id=rid(), window_id=actor.window, op=op, staff_id="s1"), actor, T0).reply
    assert isinstance(reply, WindowReply), reply


def refused(actor: Actor, request: RpcRequest, state: EngineState) -> str:
    with pytest.raises(Refused) as info:
        authorise(actor, request, state)
    assert info.value.code is ErrorCode.FORBIDDEN
    return info.value.message


# -- the table -------------------------------------------------------------------------------------


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(typing.get_args(RpcRequest)).flatmap(st.from_type), st.sampled_from(list(Role)))
def test_whatever_a_device_sends_outside_its_row_is_refused(request: RpcRequest, role: Role) -> None:
    """Every request type, with any field values, from every device role (new request types included)."""
    if tag(request) not in MAY_SEND[role]:
        assert f"send {type(request).__name__}" in refused(BY_ROLE[role], request, EMPTY)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_role_by_message_table(role: Role, kind: str) -> None:
    actor, state = BY_ROLE[role], core().state
    request = SAMPLES[kind](actor)
    if kind in MAY_SEND[role]:
        assert tag(authorise(actor, request, state)) == kind
    else:
        assert f"send {type(request).__name__}" in refused(actor, request, state)


def test_a_kiosk_sending_window_commands_changes_nothing() -> None:
    c = core()
    issue(c)
    before = c.state
    for op in (WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT, WindowOp.CLOSE):
        d = c.on_request(WindowCommand(request_id=rid(), window_id="W1", op=op, staff_id="x"), KIOSK, T0)
        assert isinstance(d.reply, ErrorReply)
        assert d.reply.code is ErrorCode.FORBIDDEN
        assert (d.events, d.publications, d.remember) == ([], [], False)
    assert c.state is before


# -- targets ---------------------------------------------------------------------------------------


def test_a_kiosk_cancels_and_asks_about_its_own_tickets_only() -> None:
    c = core()
    mine = issue(c, KIOSK)
    for request in (CancelTicket(request_id=rid(), ticket_id=mine), TicketStatus(ticket_id=mine)):
        assert "another device" in refused(OTHER_KIOSK, request, c.state)
        assert authorise(KIOSK, request, c.state) == request
    # through the core: the other kiosk learns nothing (no token, no position) and cancels nothing
    status = c.on_request(TicketStatus(ticket_id=mine), OTHER_KIOSK, T0).reply
    assert isinstance(status, ErrorReply)
    assert status.code is ErrorCode.FORBIDDEN
    cancel = c.on_request(CancelTicket(request_id=rid(), ticket_id=mine), OTHER_KIOSK, T0)
    assert isinstance(cancel.reply, ErrorReply)
    assert cancel.events == []
    ticket = c.state.ticket(mine)
    assert ticket is not None
    assert ticket.state == "waiting"


def test_a_kiosk_rating_needs_the_tickets_token() -> None:
    c = core()
    tid = issue(c, KIOSK)
    ticket = c.state.ticket(tid)
    assert ticket is not None
    assert ticket.token
    for token in ("", "0" * len(ticket.token), ticket.token[:-1]):
        assert "token" in refused(OTHER_KIOSK, SubmitRating(request_id=rid(), ticket_id=tid, level=1, token=token),
                                  c.state)
    # with the token from the ticket's QR, any kiosk may rate it (the citizen walks to the nearest one)
    ok = authorise(OTHER_KIOSK, SubmitRating(request_id=rid(), ticket_id=tid, level=4, token=ticket.token,
                                             source_device="kiosk-1"), c.state)
    assert isinstance(ok, SubmitRating)
    assert ok.source_device == "kiosk-2"


def test_an_evaluator_rates_only_tickets_last_served_at_its_window() -> None:
    c = core()
    tid = issue(c)
    never_served = SubmitRating(request_id=rid(), ticket_id=tid, level=5)
    assert "window" in refused(EVALUATOR_W1, never_served, c.state)
    for op in (WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT, WindowOp.START, WindowOp.FINISH):
        window(c, op)
    rating = SubmitRating(request_id=rid(), ticket_id=tid, level=5, window_id="W2")
    assert "window" in refused(EVALUATOR_W2, rating, c.state)
    ok = authorise(EVALUATOR_W1, rating, c.state)
    assert isinstance(ok, SubmitRating)
    assert (ok.window_id, ok.source_device) == ("W1", "eval-W1")  # the window is the ticket's, not the payload's


def test_a_window_terminal_acts_for_its_own_window_only() -> None:
    c = core()
    for op in WindowOp:
        command = WindowCommand(request_id=rid(), window_id="W2", op=op, staff_id="s1")
        assert "act for window W2" in refused(TERMINAL_W1, command, c.state)
    own = WindowCommand(request_id=rid(), window_id="W1", op=WindowOp.LOGIN, staff_id="s1")
    assert authorise(TERMINAL_W1, own, c.state) == own


@pytest.mark.parametrize("priority", list(Priority))
def test_a_kiosk_issues_normal_and_green_tickets_only(priority: Priority) -> None:
    request = IssueTicket(request_id=rid(), service="SB-CARD", priority=priority)
    if priority in (Priority.NORMAL, Priority.GREEN):
        assert authorise(KIOSK, request, core().state).priority is priority
    else:
        assert "staff only" in refused(KIOSK, request, core().state)


def test_a_kiosk_merges_numbers_of_its_own_lease_only() -> None:
    c = core()
    granted = c.on_request(LeaseRequest(request_id=rid(), service="SB-CARD", size=5, device_id="kiosk-2"), KIOSK,
                           T0).reply
    assert isinstance(granted, LeaseGranted)
    assert c.state.leases[granted.lease_id].device_id == "kiosk-1"  # leased to the sender, not the payload's name
    number = f"{granted.prefix}{granted.first:03d}"
    provisional = IssueTicket(request_id=rid(), service="SB-CARD",
                              provisional=Provisional(lease_id=granted.lease_id, number=number, arrived_at=T0 - 60))
    assert "belongs to kiosk-1" in refused(OTHER_KIOSK, provisional, c.state)
    assert authorise(KIOSK, provisional, c.state).provisional == provisional.provisional
    merged = c.on_request(provisional, OTHER_KIOSK, T0).reply
    assert isinstance(merged, ErrorReply)


def test_sender_fields_are_the_brokers_identity_not_the_payloads() -> None:
    state = core().state
    issued = authorise(KIOSK, IssueTicket(request_id=rid(), service="SB-CARD", source_device="kiosk-2"), state)
    checkin = authorise(KIOSK, CheckIn(request_id=rid(), appointment_code="A", source_device="kiosk-2"), state)
    lease = authorise(KIOSK, LeaseRequest(request_id=rid(), service="SB-CARD", device_id="kiosk-2"), state)
    rating = authorise(KIOSK, SubmitRating(request_id=rid(), ticket_id="gone", level=3, source_device="x"), state)
    assert isinstance(issued, IssueTicket)
    assert isinstance(checkin, CheckIn)
    assert isinstance(lease, LeaseRequest)
    assert isinstance(rating, SubmitRating)
    assert (issued.source_device, checkin.source_device, lease.device_id, rating.source_device) == ("kiosk-1",) * 4
    c = core()
    tid = issue(c, KIOSK)
    ticket = c.state.ticket(tid)
    assert ticket is not None
    assert ticket.source_device == "kiosk-1"


# -- masking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "kept"), [
    ("张三丰", "张**"), ("张三", "张*"), ("张", "张*"), (" 张三丰 ", "张**"), ("Alice", "A****"),
    ("张*", "张*"), ("欧阳**", "欧阳**"), ("张**", "张**"), ("", ""), ("   ", ""),
])
def test_names_are_masked_whatever_the_kiosk_sent(sent: str, kept: str) -> None:
    assert masked(sent) == kept
    issued = authorise(KIOSK, IssueTicket(request_id=rid(), service="SB-CARD", masked_name=sent), core().state)
    assert isinstance(issued, IssueTicket)
    assert issued.masked_name == kept


def test_a_full_name_never_reaches_the_engine() -> None:
    c = core()
    tid = c.on_request(IssueTicket(request_id=rid(), service="SB-CARD", masked_name="张三丰"), KIOSK, T0).reply
    assert isinstance(tid, TicketReply)
    ticket = c.state.ticket(tid.ticket.ticket_id)
    assert ticket is not None
    assert ticket.masked_name == "张**"
    assert "三丰" not in msgspec.json.encode(c.state.tickets.get(tid.ticket.ticket_id)).decode()


@given(st.text(max_size=8))
def test_masking_shows_at_most_two_characters(name: str) -> None:
    out = masked(name)
    visible = out.rstrip("*")
    assert len(visible) <= 2
    assert "*" not in visible
    if name.strip():
        assert out.startswith(name.strip()[0])
        assert out.endswith("*")
    else:
        assert out == ""
