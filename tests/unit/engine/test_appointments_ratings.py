"""Appointments found by an ID look-up and cancelled; ratings per service step with the citizen's comment."""

from __future__ import annotations

import pytest

from hall_controller.engine import EngineError
from hall_controller.engine import events as ev
from hall_controller.engine.wire import command_from_request
from hall_protocol import tickets as wire
from hall_protocol.appointments import ID_LOOKUP_PREFIX, appointment_code, id_lookup
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority, TicketState
from tests.unit.engine.helpers import DAY, T0, Hall, at, cmd

KEY = b"k" * 32
ZHANG = "11010519491231002X"


def _register(h: Hall, appt_id: str, slot: float, lookup: str = "") -> None:
    h.send(cmd.RegisterAppointment, appointment_id=appt_id, service="S1", slot_start=slot, id_lookup=lookup)


def test_check_in_by_id_lookup_takes_the_nearest_open_appointment() -> None:
    h = Hall()
    lookup = id_lookup(KEY, ZHANG)
    _register(h, "EARLY", at(DAY, "10:00"), lookup)
    _register(h, "LATE", at(DAY, "15:00"), lookup)
    _register(h, "OTHER", at(DAY, "10:00"), id_lookup(KEY, "110105194912310038"))
    events = h.send(cmd.CheckIn, now=at(DAY, "09:50"), id_lookup=lookup)
    issued = events[-1]
    assert isinstance(issued, ev.TicketIssued)
    assert issued.appointment_id == "EARLY"
    assert issued.priority is Priority.APPOINTMENT
    # the same person again in the afternoon: the morning one is used, the afternoon one is next
    events = h.send(cmd.CheckIn, now=at(DAY, "14:50"), id_lookup=lookup)
    assert events[-1].appointment_id == "LATE"  # type: ignore[union-attr]
    with pytest.raises(EngineError) as err:
        h.send(cmd.CheckIn, id_lookup=lookup)
    assert err.value.code is ErrorCode.NOT_FOUND
    h.check_rebuild()


def test_an_unknown_id_is_not_found_and_the_log_holds_no_number() -> None:
    h = Hall()
    lookup = id_lookup(KEY, ZHANG)
    _register(h, "A1", at(DAY, "10:00"), lookup)
    with pytest.raises(EngineError) as err:
        h.send(cmd.CheckIn, now=at(DAY, "10:00"), id_lookup=id_lookup(KEY, "110105194912310038"))
    assert err.value.code is ErrorCode.NOT_FOUND
    assert all(ZHANG not in repr(e) for e in h.log)


def test_cancel_an_appointment() -> None:
    h = Hall()
    _register(h, "A1", at(DAY, "10:00"))
    _register(h, "A2", at(DAY, "10:00"))
    h.send(cmd.CancelAppointment, appointment_id="A1", reason="citizen called")
    assert "A1" not in h.state.appointments
    with pytest.raises(EngineError) as err:
        h.send(cmd.CheckIn, now=at(DAY, "10:00"), appointment_id="A1")
    assert err.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(EngineError) as err:
        h.send(cmd.CancelAppointment, appointment_id="A1")
    assert err.value.code is ErrorCode.NOT_FOUND
    h.send(cmd.CheckIn, now=at(DAY, "10:00"), appointment_id="A2")
    with pytest.raises(EngineError) as err:
        h.send(cmd.CancelAppointment, appointment_id="A2")  # checked in: its ticket is what to cancel
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    h.check_rebuild()


def test_wire_check_in_codes() -> None:
    qr = command_from_request(wire.CheckIn(request_id="r", appointment_code=appointment_code("demo", "A-17")))
    assert isinstance(qr, cmd.CheckIn)
    assert (qr.appointment_id, qr.id_lookup) == ("A-17", "")
    bare = command_from_request(wire.CheckIn(request_id="r", appointment_code="A-17"))
    assert isinstance(bare, cmd.CheckIn)
    assert bare.appointment_id == "A-17"
    lookup = id_lookup(KEY, ZHANG)
    by_id = command_from_request(wire.CheckIn(request_id="r", appointment_code=ID_LOOKUP_PREFIX + lookup))
    assert isinstance(by_id, cmd.CheckIn)
    assert (by_id.appointment_id, by_id.id_lookup) == ("", lookup)
    for bad in ("OVAPPT:demo:A-17:00", ID_LOOKUP_PREFIX + "beef"):
        with pytest.raises(EngineError) as err:
            command_from_request(wire.CheckIn(request_id="r", appointment_code=bad))
        assert err.value.code is ErrorCode.MALFORMED


def test_wire_appointment_requests() -> None:
    reg = command_from_request(wire.RegisterAppointment(request_id="r", appointment_id="A1", service="S1",
                                                        slot_start=T0, id_lookup=id_lookup(KEY, ZHANG)))
    assert isinstance(reg, cmd.RegisterAppointment)
    assert reg.id_lookup == id_lookup(KEY, ZHANG)
    cancel = command_from_request(wire.CancelAppointment(request_id="r", appointment_id="A1", reason="x"))
    assert cancel == cmd.CancelAppointment(request_id="r", appointment_id="A1", reason="x")


def test_the_id_lookup_is_keyed_and_normalised() -> None:
    assert id_lookup(KEY, ZHANG) == id_lookup(KEY, " 11010519491231002x ")
    assert id_lookup(KEY, ZHANG) != id_lookup(b"j" * 32, ZHANG)
    assert len(id_lookup(KEY, ZHANG)) == 64


# ratings ---------------------------------------------------------------------------------------


def test_each_step_of_a_visit_is_rated_once_with_its_window_and_comment() -> None:
    h = Hall()
    h.staff("W1")
    h.staff("W2")
    visit = h.issue("S1", steps=("S1", "S2"))
    h.serve("W1")
    assert h.state.tickets[visit].state is TicketState.WAITING  # on to its second step
    rated = h.send(cmd.RecordRating, ticket_id=visit, level=2, comment="等太久了")[-1]
    assert isinstance(rated, ev.TicketRated)
    assert (rated.step, rated.service, rated.window_id, rated.comment) == (0, "S1", "W1", "等太久了")
    with pytest.raises(EngineError) as err:
        h.send(cmd.RecordRating, ticket_id=visit, level=5)  # step 0 again
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(EngineError) as err:
        h.send(cmd.RecordRating, ticket_id=visit, level=5, step=1)  # not finished yet
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    h.serve("W2")
    rated = h.send(cmd.RecordRating, ticket_id=visit, level=5, step=1)[-1]
    assert (rated.step, rated.service, rated.window_id) == (1, "S2", "W2")  # type: ignore[union-attr]
    assert h.state.tickets[visit].ratings == ((0, 2), (1, 5))
    assert h.state.tickets[visit].rating == 5
    with pytest.raises(EngineError) as err:
        h.send(cmd.RecordRating, ticket_id=visit, level=5, step=2)
    assert err.value.code is ErrorCode.NOT_FOUND
    h.check_rebuild()


def test_the_wire_rating_keeps_comment_and_step() -> None:
    c = command_from_request(wire.SubmitRating(request_id="r", ticket_id="t", level=1, comment="态度差", step=1))
    assert isinstance(c, cmd.RecordRating)
    assert (c.comment, c.step) == ("态度差", 1)
