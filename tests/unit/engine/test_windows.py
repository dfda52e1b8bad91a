"""Window and ticket operations at a window, each legal path and each illegal transition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hall_controller.engine import EngineError, position, window_state
from hall_controller.engine import events as ev
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority, TicketState
from tests.unit.engine.helpers import T0, Hall, cmd, hall_config


def _called() -> tuple[Hall, str]:
    h = Hall()
    h.staff("W1")
    t = h.issue("S1")
    h.call("W1")
    return h, t


def _serving() -> tuple[Hall, str]:
    h, t = _called()
    h.send(cmd.StartService, window_id="W1")
    return h, t


def test_full_path_records_timestamps_and_learns() -> None:
    h = Hall()
    h.staff("W1")
    t = h.issue("S1")
    h.send(cmd.CallNext, now=T0 + 60, window_id="W1")
    assert window_state(h.state, h.state.windows["W1"]) == "calling"
    h.send(cmd.StartService, now=T0 + 90, window_id="W1", ticket_id=t)
    assert window_state(h.state, h.state.windows["W1"]) == "serving"
    h.send(cmd.FinishService, now=T0 + 90 + 240, window_id="W1")
    ticket = h.state.tickets[t]
    assert ticket.state is TicketState.FINISHED
    assert (ticket.issued_at, ticket.called_at, ticket.finished_at) == (T0, T0 + 60, T0 + 330)
    assert ticket.history[0].started_at == T0 + 90
    assert ticket.history[0].served_s == 240
    assert ticket.window_id == "W1"
    stats = h.state.stats["S1"]
    assert stats.n == 1
    assert 240 < stats.mean < 300  # moved from the 5-minute seed towards the observation
    assert h.state.windows["W1"].served == 1
    assert window_state(h.state, h.state.windows["W1"]) == "open"
    h.send(cmd.RecordRating, ticket_id=t, level=5, reasons=("efficient",))
    assert h.state.tickets[t].rating == 5
    h.check_rebuild()


def test_call_event_carries_the_call_view_fields() -> None:
    h = Hall()
    h.staff("W1")
    t = h.issue("S1", masked_name="张*")
    called = h.send(cmd.CallNext, window_id="W1")[-1]
    assert isinstance(called, ev.TicketCalled)
    assert (called.call_id, called.number, called.window_name, called.zone) == (f"{t}:1", "A001", "1号窗口", "A")
    assert called.masked_name == "张*"
    recalled = h.send(cmd.Recall, window_id="W1")[-1]
    assert isinstance(recalled, ev.TicketRecalled)
    assert (recalled.call_id, recalled.recall_count) == (f"{t}:2", 1)
    assert h.state.recent_calls[0].call_id == f"{t}:2"


def test_recall_limit_then_no_show_recycles_once() -> None:
    h, t = _called()
    h.send(cmd.Recall, window_id="W1")
    h.send(cmd.Recall, window_id="W1")
    with pytest.raises(EngineError) as err:
        h.send(cmd.Recall, window_id="W1")
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    assert h.state.tickets[t].recall_count == 2
    h.send(cmd.MarkNoShow, window_id="W1")
    ticket = h.state.tickets[t]
    assert ticket.state is TicketState.WAITING  # recycled behind those waiting now
    assert ticket.order_time == h.now
    assert h.state.windows["W1"].current is None
    h.call("W1")
    h.send(cmd.MarkNoShow, now=h.now + 200, window_id="W1")  # grace period passed
    assert h.state.tickets[t].state is TicketState.NO_SHOW
    h.check_rebuild()


def test_no_show_without_recycling() -> None:
    h = Hall(hall_config(calling={"recycle_no_show": False, "recall_limit": 0}))
    h.staff("W1")
    t = h.issue("S1")
    h.call("W1")
    h.send(cmd.MarkNoShow, window_id="W1")
    assert h.state.tickets[t].state is TicketState.NO_SHOW


def test_no_show_too_early_is_illegal() -> None:
    h, _ = _called()
    with pytest.raises(EngineError) as err:
        h.send(cmd.MarkNoShow, now=h.now + 30, window_id="W1")
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION


def test_sweep_marks_stale_calls_no_show() -> None:
    h, t = _called()
    h.send(cmd.Recall, window_id="W1")
    h.send(cmd.Recall, window_id="W1")
    assert h.send(cmd.SweepCalls, now=h.now + 60) == []
    events = h.send(cmd.SweepCalls, now=h.now + 120)
    assert [type(e) for e in events] == [ev.TicketNoShow]
    assert h.state.tickets[t].no_show_count == 1
    h.check_rebuild()


def test_sweep_recalls_an_unanswered_call_then_marks_it_no_show() -> None:
    h, t = _called()  # recall_after_s 60, recall_limit 2, grace_s 120
    called_at = h.now
    assert h.send(cmd.SweepCalls, now=called_at + 59) == []
    first = h.send(cmd.SweepCalls, now=called_at + 60)
    assert [type(e) for e in first] == [ev.TicketRecalled]
    assert isinstance(first[0], ev.TicketRecalled)
    assert (first[0].recall_count, first[0].auto, first[0].call_id) == (1, True, f"{t}:2")
    assert h.send(cmd.SweepCalls, now=called_at + 119) == []
    second = h.send(cmd.SweepCalls, now=called_at + 120)
    assert [(type(e), getattr(e, "recall_count", None)) for e in second] == [(ev.TicketRecalled, 2)]
    assert h.send(cmd.SweepCalls, now=called_at + 239) == []  # grace_s after the last recall
    last = h.send(cmd.SweepCalls, now=called_at + 240)
    assert [type(e) for e in last] == [ev.TicketNoShow]
    assert isinstance(last[0], ev.TicketNoShow)
    assert last[0].recycled
    assert h.state.tickets[t].state is TicketState.WAITING  # recycled to the tail, once
    h.call("W1")
    for n in range(1, 4):
        h.send(cmd.SweepCalls, now=h.now + 60 * n if n < 3 else h.now + 120)
    assert h.state.tickets[t].state is TicketState.NO_SHOW
    h.check_rebuild()


def test_sweep_leaves_a_ticket_in_service_alone() -> None:
    h, t = _serving()
    assert h.send(cmd.SweepCalls, now=h.now + 3600) == []
    assert h.state.tickets[t].state is TicketState.SERVING


def test_without_recall_after_only_staff_recall() -> None:
    h = Hall(hall_config(calling={"recall_after_s": 0}))
    h.staff("W1")
    t = h.issue("S1")
    h.call("W1")
    assert h.send(cmd.SweepCalls, now=h.now + 3600) == []
    assert h.state.tickets[t].state is TicketState.CALLED


def test_transfer_keeps_arrival_and_frees_the_window() -> None:
    h = Hall()
    h.staff("W1")
    h.staff("W2")
    t = h.issue("S1")
    h.now += 60
    other = h.issue("S2")
    h.call("W1")
    h.send(cmd.StartService, window_id="W1")
    h.send(cmd.Transfer, window_id="W1", target_service="S2", reason="wrong queue")
    ticket = h.state.tickets[t]
    assert (ticket.state, ticket.service, ticket.transfer_count) == (TicketState.WAITING, "S2", 1)
    assert ticket.history[-1].outcome == "transferred"
    assert h.state.windows["W1"].current is None
    assert h.call("W2") == t  # earlier arrival than `other`
    assert h.call("W1") == other
    h.check_rebuild()


def test_transfer_a_waiting_ticket_by_id() -> None:
    h = Hall()
    t = h.issue("S1")
    h.send(cmd.Transfer, ticket_id=t, target_service="S2")
    assert h.state.tickets[t].service == "S2"
    assert h.state.waiting_count("S1") == 0
    assert h.state.waiting_count("S2") == 1


def test_transfer_to_a_window_is_called_there_first_and_nowhere_else() -> None:
    h = Hall()
    for w in ("W1", "W2", "W3"):
        h.staff(w)
    t = h.issue("S2")
    h.now += 60
    later = h.issue("S2")
    assert h.call("W1") == t
    h.send(cmd.StartService, window_id="W1")
    moved = h.send(cmd.Transfer, window_id="W1", target_window="W3", reason="needs the business desk")[-1]
    assert isinstance(moved, ev.TicketTransferred)
    assert (moved.to_window, moved.to_service, moved.window_id) == ("W3", "S2", "W1")
    assert h.state.reserved == {t: "W3"}
    assert h.state.tickets[t].state is TicketState.WAITING
    assert h.call("W2") == later  # W2 serves S2 but passes over the ticket sent to W3
    with pytest.raises(EngineError) as err:
        h.send(cmd.CallTicket, window_id="W1", ticket_id=t)
    assert err.value.message_zh == "该号已转至3号综合窗口"
    h.now += 60
    h.issue("S1", priority=Priority.VIP)  # even a VIP of W3's own services waits behind the transfer
    assert h.call("W3") == t
    assert h.state.reserved == {}
    h.check_rebuild()


def test_transfer_to_a_window_and_a_service_at_once() -> None:
    h = Hall()
    h.staff("W1")
    t = h.issue("S1")
    h.call("W1")
    h.send(cmd.Transfer, window_id="W1", target_service="S3", target_window="W3")
    ticket = h.state.tickets[t]
    assert (ticket.service, ticket.steps) == ("S3", ("S3",))
    assert h.state.reserved == {t: "W3"}
    assert position(h.state, t) == 1
    h.send(cmd.Transfer, ticket_id=t, target_service="S1")  # sent on again, by service only: no longer reserved
    assert h.state.reserved == {}
    h.check_rebuild()


def test_a_cancelled_transfer_frees_its_reservation() -> None:
    h = Hall()
    t = h.issue("S2")
    h.send(cmd.Transfer, ticket_id=t, target_window="W2")
    h.send(cmd.CancelTicket, ticket_id=t)
    assert h.state.reserved == {}
    h.check_rebuild()


def test_park_and_resume_at_another_window() -> None:
    h, t = _serving()
    h.staff("W3")
    h.send(cmd.Park, now=h.now + 100, window_id="W1", reason="fetching documents")
    assert h.state.tickets[t].state is TicketState.PARKED
    assert h.state.tickets[t].served_s == 100
    assert h.state.windows["W1"].current is None
    h.send(cmd.Unpark, now=h.now + 500, window_id="W3", ticket_id=t)
    assert h.state.tickets[t].state is TicketState.SERVING
    h.send(cmd.FinishService, now=h.now + 50, window_id="W3")
    assert h.state.tickets[t].history[-1].served_s == 150  # parked time is not service time
    h.check_rebuild()


def test_cancel_a_called_ticket_frees_the_window() -> None:
    h, t = _called()
    h.send(cmd.CancelTicket, ticket_id=t, reason="left")
    assert h.state.tickets[t].state is TicketState.CANCELLED
    assert h.state.windows["W1"].current is None
    h.check_rebuild()


def test_logout_closes_the_window() -> None:
    h = Hall()
    h.staff("W1")
    h.send(cmd.PauseWindow, window_id="W1", reason="back-office")
    assert window_state(h.state, h.state.windows["W1"]) == "paused"
    h.send(cmd.Logout, window_id="W1")
    rt = h.state.windows["W1"]
    assert (rt.staff_id, rt.open, rt.paused) == (None, False, False)
    h.check_rebuild()


def test_call_ticket_by_id_records_reason() -> None:
    h = Hall()
    h.staff("W1")
    h.issue("S1")
    second = h.issue("S1")
    called = h.send(cmd.CallTicket, window_id="W1", ticket_id=second, reason="elderly, came back")[-1]
    assert isinstance(called, ev.TicketCalled)
    assert called.explicit
    assert called.reason == "elderly, came back"


def test_nobody_waiting() -> None:
    h = Hall()
    h.staff("W1")
    with pytest.raises(EngineError) as err:
        h.call("W1")
    assert err.value.code is ErrorCode.NOT_FOUND


# Illegal transitions: (setup, command factory, expected code). Each leaves the state unchanged.

Setup = Callable[[], tuple[Hall, str]]


def _fresh() -> tuple[Hall, str]:
    h = Hall()
    return h, h.issue("S1")


def _open() -> tuple[Hall, str]:
    h = Hall()
    h.staff("W1")
    return h, h.issue("S1")


def _logged_in() -> tuple[Hall, str]:
    h = Hall()
    h.send(cmd.Login, window_id="W1", staff_id="s1")
    return h, h.issue("S1")


def _paused() -> tuple[Hall, str]:
    h, t = _open()
    h.send(cmd.PauseWindow, window_id="W1")
    return h, t


def _finished() -> tuple[Hall, str]:
    h, t = _serving()
    h.send(cmd.FinishService, window_id="W1")
    return h, t


def _rated() -> tuple[Hall, str]:
    h, t = _finished()
    h.send(cmd.RecordRating, ticket_id=t, level=3)
    return h, t


def _cancelled() -> tuple[Hall, str]:
    h, t = _fresh()
    h.send(cmd.CancelTicket, ticket_id=t)
    return h, t


ILLEGAL: list[tuple[str, Setup, Callable[[str], Any], ErrorCode]] = [
    (
        "login twice",
        _logged_in,
        lambda t: cmd.Login(request_id="x", window_id="W1", staff_id="s2"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("logout nobody", _fresh, lambda t: cmd.Logout(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("logout with ticket", _called, lambda t: cmd.Logout(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    (
        "open without login",
        _fresh,
        lambda t: cmd.OpenWindow(request_id="x", window_id="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("open twice", _open, lambda t: cmd.OpenWindow(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("close closed", _fresh, lambda t: cmd.CloseWindow(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    (
        "close with ticket",
        _called,
        lambda t: cmd.CloseWindow(request_id="x", window_id="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("pause closed", _fresh, lambda t: cmd.PauseWindow(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("pause twice", _paused, lambda t: cmd.PauseWindow(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("resume running", _open, lambda t: cmd.ResumeWindow(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    (
        "call at closed",
        _logged_in,
        lambda t: cmd.CallNext(request_id="x", window_id="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("call when paused", _paused, lambda t: cmd.CallNext(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("call with ticket", _called, lambda t: cmd.CallNext(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    (
        "call ticket twice",
        _called,
        lambda t: cmd.CallTicket(request_id="x", window_id="W1", ticket_id=t),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "call finished",
        _finished,
        lambda t: cmd.CallTicket(request_id="x", window_id="W1", ticket_id=t),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "call unskilled",
        _fresh,
        lambda t: cmd.CallTicket(request_id="x", window_id="W2", ticket_id=t),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("recall nothing", _open, lambda t: cmd.Recall(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("recall serving", _serving, lambda t: cmd.Recall(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("start nothing", _open, lambda t: cmd.StartService(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    ("start twice", _serving, lambda t: cmd.StartService(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    (
        "start other ticket",
        _called,
        lambda t: cmd.StartService(request_id="x", window_id="W1", ticket_id="other"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "finish unstarted",
        _called,
        lambda t: cmd.FinishService(request_id="x", window_id="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "finish nothing",
        _finished,
        lambda t: cmd.FinishService(request_id="x", window_id="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "no-show serving",
        _serving,
        lambda t: cmd.MarkNoShow(request_id="x", window_id="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("park nothing", _open, lambda t: cmd.Park(request_id="x", window_id="W1"), ErrorCode.ILLEGAL_TRANSITION),
    (
        "unpark waiting",
        _open,
        lambda t: cmd.Unpark(request_id="x", window_id="W1", ticket_id=t),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "unpark at busy window",
        _called,
        lambda t: cmd.Unpark(request_id="x", window_id="W1", ticket_id=t),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("cancel serving", _serving, lambda t: cmd.CancelTicket(request_id="x", ticket_id=t), ErrorCode.ILLEGAL_TRANSITION),
    (
        "cancel finished",
        _finished,
        lambda t: cmd.CancelTicket(request_id="x", ticket_id=t),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("cancel twice", _cancelled, lambda t: cmd.CancelTicket(request_id="x", ticket_id=t), ErrorCode.ILLEGAL_TRANSITION),
    (
        "rate unfinished",
        _serving,
        lambda t: cmd.RecordRating(request_id="x", ticket_id=t, level=5),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "rate twice",
        _rated,
        lambda t: cmd.RecordRating(request_id="x", ticket_id=t, level=5),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "transfer finished",
        _finished,
        lambda t: cmd.Transfer(request_id="x", ticket_id=t, target_service="S2"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "transfer same service",
        _fresh,
        lambda t: cmd.Transfer(request_id="x", ticket_id=t, target_service="S1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "transfer nothing",
        _open,
        lambda t: cmd.Transfer(request_id="x", window_id="W1", target_service="S2"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    ("transfer unnamed", _fresh, lambda t: cmd.Transfer(request_id="x", target_service="S2"), ErrorCode.MALFORMED),
    ("transfer nowhere", _fresh, lambda t: cmd.Transfer(request_id="x", ticket_id=t), ErrorCode.MALFORMED),
    (
        "transfer to own window",
        _called,
        lambda t: cmd.Transfer(request_id="x", window_id="W1", target_window="W1"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "transfer to unskilled window",
        _called,
        lambda t: cmd.Transfer(request_id="x", window_id="W1", target_window="W2"),
        ErrorCode.ILLEGAL_TRANSITION,
    ),
    (
        "transfer to unknown window",
        _called,
        lambda t: cmd.Transfer(request_id="x", window_id="W1", target_window="W9"),
        ErrorCode.NOT_FOUND,
    ),
    (
        "transfer to unknown",
        _fresh,
        lambda t: cmd.Transfer(request_id="x", ticket_id=t, target_service="NOPE"),
        ErrorCode.NOT_FOUND,
    ),
    ("unknown window", _fresh, lambda t: cmd.CallNext(request_id="x", window_id="W9"), ErrorCode.NOT_FOUND),
    (
        "unknown ticket",
        _open,
        lambda t: cmd.CallTicket(request_id="x", window_id="W1", ticket_id="nope"),
        ErrorCode.NOT_FOUND,
    ),
    ("cancel unknown", _fresh, lambda t: cmd.CancelTicket(request_id="x", ticket_id="nope"), ErrorCode.NOT_FOUND),
    (
        "rate unknown",
        _fresh,
        lambda t: cmd.RecordRating(request_id="x", ticket_id="nope", level=1),
        ErrorCode.NOT_FOUND,
    ),
    (
        "login empty staff",
        _fresh,
        lambda t: cmd.Login(request_id="x", window_id="W1", staff_id=""),
        ErrorCode.MALFORMED,
    ),
]


@pytest.mark.parametrize(("setup", "make", "code"), [c[1:] for c in ILLEGAL], ids=[c[0] for c in ILLEGAL])
def test_illegal_commands_raise_and_change_nothing(setup: Setup, make: Callable[[str], Any], code: ErrorCode) -> None:
    h, t = setup()
    before = h.state
    with pytest.raises(EngineError) as err:
        h.do(make(t))
    assert err.value.code is code
    assert err.value.message
    assert err.value.message_zh
    assert h.state is before
    assert not h.state.seen("x")
