"""Issuing: numbering, caps, hours, midnight, idempotency, provisional merge, appointments, visits."""

from __future__ import annotations

import msgspec
import pytest

from hall_controller.engine import EngineError, EngineState, handle, position
from hall_controller.engine import events as ev
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority, Provisional, TicketState
from tests.unit.engine.helpers import DAY, SECRET, T0, Hall, at, cmd, hall_config


def test_numbers_are_per_prefix_and_formatted() -> None:
    h = Hall()
    ids = [h.issue("S1"), h.issue("S2"), h.issue("S1")]
    assert [h.state.tickets[t].number for t in ids] == ["A001", "B001", "A002"]
    assert len(set(ids)) == 3
    h.check_rebuild()


def test_issue_event_round_trips_as_json() -> None:
    h = Hall()
    h.issue("S1", priority=Priority.GREEN, masked_name="张*")
    data = msgspec.json.encode(h.log[-1])
    assert msgspec.json.decode(data, type=ev.Event) == h.log[-1]
    assert b'"type":"ticket-issued"' in data


def test_replayed_request_changes_nothing() -> None:
    h = Hall()
    command = cmd.IssueTicket(request_id="same", service="S1")
    s1, e1 = handle(h.state, command, T0)
    s2, e2 = handle(s1, command, T0 + 5)
    assert len(e1) == 1
    assert e2 == []
    assert s2 is s1
    assert s1.seen("same")
    assert not h.state.seen("same")  # the old state is untouched


def test_empty_request_id_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        handle(Hall().state, cmd.IssueTicket(request_id="", service="S1"), T0)
    assert err.value.code is ErrorCode.MALFORMED


def test_unknown_service_is_not_found() -> None:
    h = Hall()
    before = h.state
    with pytest.raises(EngineError) as err:
        h.issue("NOPE")
    assert err.value.code is ErrorCode.NOT_FOUND
    assert err.value.message_zh
    assert h.state is before


@pytest.mark.parametrize(
    ("hhmm", "ok"),
    [("08:59", False), ("09:00", True), ("11:30", True), ("12:00", True), ("12:01", False), ("23:00", False)],
)
def test_issuing_hours_in_hall_time_zone(hhmm: str, ok: bool) -> None:
    h = Hall(now=at(DAY, "00:30"))
    if ok:
        assert h.issue("S3", now=at(DAY, hhmm))
    else:
        with pytest.raises(EngineError) as err:
            h.issue("S3", now=at(DAY, hhmm))
        assert err.value.code is ErrorCode.CLOSED


def test_hours_follow_the_configured_time_zone() -> None:
    config = hall_config(hall={"id": "test", "name_zh": "测试", "name_en": "Test", "timezone": "Europe/London"})
    h = Hall(config, now=at(DAY, "00:30"))
    # 17:30 in Shanghai is 09:30 in London (no DST in March 10th for the UK): S3 issues then.
    assert h.issue("S3", now=at(DAY, "17:30"))
    with pytest.raises(EngineError) as err:
        h.issue("S3", now=at(DAY, "10:00"))  # 02:00 in London
    assert err.value.code is ErrorCode.CLOSED


def test_daily_cap() -> None:
    h = Hall()
    for _ in range(3):
        h.issue("S3")
    with pytest.raises(EngineError) as err:
        h.issue("S3")
    assert err.value.code is ErrorCode.CAP_REACHED
    h.check_rebuild()


def test_numbering_resets_at_local_midnight_and_ids_stay_unique() -> None:
    h = Hall(now=at(DAY, "23:50"))
    first = h.issue("S1")
    h.issue("S1")
    # 00:05 local on the next day is still the previous UTC day: the reset follows the hall's zone.
    nxt = h.issue("S1", now=at("2025-03-11", "00:05"))
    assert h.log[0].number == "A001"  # type: ignore[union-attr]
    assert h.state.tickets[nxt].number == "A001"
    assert nxt != first
    assert isinstance(h.log[-2], ev.DayStarted)
    assert first not in h.state.tickets  # yesterday's tickets are dropped from the live state
    assert h.state.waiting_count() == 1
    h.check_rebuild()


def test_numbering_continues_after_rebuild() -> None:
    h = Hall()
    for _ in range(4):
        h.issue("S1")
    rebuilt = h.rebuilt()
    _, events = handle(rebuilt, cmd.IssueTicket(request_id="after", service="S1"), h.now)
    assert events[0].number == "A005"  # type: ignore[union-attr]
    assert rebuilt.seen("r1")


def test_yesterdays_request_ids_are_still_recognised() -> None:
    h = Hall(now=at(DAY, "16:00"))
    command = cmd.IssueTicket(request_id="late-replay", service="S1")
    h.do(command)
    h.issue("S1", now=at("2025-03-11", "09:00"))
    assert h.do(command) == []
    h.issue("S1", now=at("2025-03-12", "09:00"))
    assert not h.state.seen("late-replay")


def test_prefix_runs_out_at_9999() -> None:
    h = Hall()
    h.state = h.state.replace(counters={"A": 9999})
    with pytest.raises(EngineError) as err:
        h.issue("S1")
    assert err.value.code is ErrorCode.CAP_REACHED


def test_appointment_priority_needs_check_in() -> None:
    with pytest.raises(EngineError) as err:
        Hall().issue("S1", priority=Priority.APPOINTMENT)
    assert err.value.code is ErrorCode.FORBIDDEN


# provisional tickets ------------------------------------------------------------------------------


def _lease(h: Hall, size: int = 5, service: str = "S1") -> ev.BlockLeased:
    events = h.send(cmd.LeaseBlock, device_id="kiosk-1", service=service, size=size)
    lease = events[-1]
    assert isinstance(lease, ev.BlockLeased)
    return lease


def test_leased_numbers_are_never_handed_out_online() -> None:
    h = Hall()
    h.issue("S1")  # A001
    lease = _lease(h, size=5)  # A002-A006
    assert (lease.first, lease.last, lease.day) == (2, 6, DAY)
    online = h.issue("S1")
    assert h.state.tickets[online].number == "A007"
    h.check_rebuild()


def test_provisional_ticket_keeps_number_and_real_arrival() -> None:
    h = Hall()
    lease = _lease(h, size=5)  # A001-A005
    h.issue("S1", now=T0 + 600)  # A006, arrived at +10 min
    merged = h.issue(
        "S1",
        now=T0 + 1200,
        provisional=Provisional(lease_id=lease.lease_id, number="A003", arrived_at=T0 + 60),
    )
    t = h.state.tickets[merged]
    assert t.number == "A003"
    assert t.arrival == T0 + 60
    assert position(h.state, merged) == 1  # arrived before A006, so ahead of it
    h.check_rebuild()


@pytest.mark.parametrize(
    ("number", "code"),
    [("A009", ErrorCode.ILLEGAL_TRANSITION), ("B002", ErrorCode.MALFORMED), ("Axx", ErrorCode.MALFORMED)],
)
def test_provisional_numbers_outside_the_lease_are_refused(number: str, code: ErrorCode) -> None:
    h = Hall()
    lease = _lease(h, size=5)
    with pytest.raises(EngineError) as err:
        h.issue("S1", provisional=Provisional(lease_id=lease.lease_id, number=number, arrived_at=T0))
    assert err.value.code is code


def test_provisional_number_is_merged_once() -> None:
    h = Hall()
    lease = _lease(h)
    p = Provisional(lease_id=lease.lease_id, number="A002", arrived_at=T0)
    h.issue("S1", provisional=p)
    with pytest.raises(EngineError) as err:
        h.issue("S1", provisional=p)  # a different request with the same printed number
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION


def test_provisional_with_unknown_or_foreign_lease() -> None:
    h = Hall()
    lease = _lease(h)
    with pytest.raises(EngineError) as err:
        h.issue("S1", provisional=Provisional(lease_id="nope", number="A001", arrived_at=T0))
    assert err.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(EngineError) as err:
        h.issue("S2", provisional=Provisional(lease_id=lease.lease_id, number="A001", arrived_at=T0))
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION


def test_provisional_arrival_is_clamped_to_the_lease_and_now() -> None:
    h = Hall()
    lease = _lease(h)
    early = h.issue("S1", now=T0 + 100, provisional=Provisional(lease_id=lease.lease_id, number="A001", arrived_at=0))
    late = h.issue(
        "S1", now=T0 + 200, provisional=Provisional(lease_id=lease.lease_id, number="A002", arrived_at=T0 + 9999)
    )
    assert h.state.tickets[early].arrival == T0
    assert h.state.tickets[late].arrival == T0 + 200


def test_provisional_is_honoured_past_the_cap_but_leasing_is_not() -> None:
    h = Hall()
    lease = _lease(h, size=2, service="S3")
    for _ in range(3):
        h.issue("S3")
    assert h.issue("S3", provisional=Provisional(lease_id=lease.lease_id, number="C001", arrived_at=T0))
    with pytest.raises(EngineError) as err:
        _lease(h, service="S3")
    assert err.value.code is ErrorCode.CAP_REACHED


def test_lease_of_yesterday_is_expired() -> None:
    h = Hall(now=at(DAY, "20:00"))
    lease = _lease(h)
    h.issue("S1", now=at("2025-03-11", "09:00"))
    with pytest.raises(EngineError) as err:
        h.issue("S1", provisional=Provisional(lease_id=lease.lease_id, number="A001", arrived_at=h.now))
    assert err.value.code is ErrorCode.NOT_FOUND  # leases live for their day only


# appointments ----------------------------------------------------------------------------------


def _appointment(h: Hall, slot: float, appt_id: str = "AP1") -> None:
    h.send(cmd.RegisterAppointment, appointment_id=appt_id, service="S1", slot_start=slot, masked_name="李*")


@pytest.mark.parametrize(
    ("offset_min", "code"),
    [(-31, ErrorCode.CLOSED), (-30, None), (0, None), (15, None), (16, ErrorCode.EXPIRED)],
)
def test_check_in_window(offset_min: float, code: ErrorCode | None) -> None:
    h = Hall()
    slot = at(DAY, "10:00")
    _appointment(h, slot)
    now = slot + offset_min * 60
    if code is None:
        events = h.send(cmd.CheckIn, now=now, appointment_id="AP1")
        issued = events[-1]
        assert isinstance(issued, ev.TicketIssued)
        assert issued.priority is Priority.APPOINTMENT
        assert issued.order_time == max(now, slot)
        assert h.state.appointments["AP1"].ticket_id == issued.ticket_id
        h.check_rebuild()
    else:
        with pytest.raises(EngineError) as err:
            h.send(cmd.CheckIn, now=now, appointment_id="AP1")
        assert err.value.code is code


def test_check_in_once_and_unknown_appointment() -> None:
    h = Hall()
    _appointment(h, T0)
    h.send(cmd.CheckIn, appointment_id="AP1")
    with pytest.raises(EngineError) as err:
        h.send(cmd.CheckIn, appointment_id="AP1")
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(EngineError) as err:
        h.send(cmd.CheckIn, appointment_id="AP2")
    assert err.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(EngineError) as err:
        _appointment(h, T0)  # same id again
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION


def test_appointment_for_a_later_day_survives_midnight() -> None:
    h = Hall()
    _appointment(h, at("2025-03-11", "10:00"), "TOMORROW")
    _appointment(h, at(DAY, "10:00"), "TODAY")
    h.issue("S1", now=at("2025-03-11", "09:45"))
    assert "TOMORROW" in h.state.appointments
    assert "TODAY" not in h.state.appointments
    h.send(cmd.CheckIn, appointment_id="TOMORROW")
    h.check_rebuild()


def test_appointment_in_the_past_is_refused() -> None:
    h = Hall()
    with pytest.raises(EngineError) as err:
        _appointment(h, at("2025-03-09", "10:00"))
    assert err.value.code is ErrorCode.EXPIRED


# visits with several steps ----------------------------------------------------------------------


def test_visit_goes_through_its_steps_keeping_its_arrival() -> None:
    h = Hall()
    h.staff("W1")
    h.staff("W2")
    visit = h.issue("S1", steps=("S1", "S2"))
    h.now += 60
    later = h.issue("S2")  # arrived after the visit
    assert h.serve("W1") == visit
    t = h.state.tickets[visit]
    assert (t.state, t.service, t.step_index) == (TicketState.WAITING, "S2", 1)
    assert position(h.state, visit) == 1  # ahead of `later`, who arrived after the visit
    assert h.serve("W2") == visit
    t = h.state.tickets[visit]
    assert t.state is TicketState.FINISHED
    assert [r.service for r in t.history] == ["S1", "S2"]
    assert h.serve("W2") == later
    h.check_rebuild()


def test_a_comprehensive_window_does_several_steps_in_one_sitting() -> None:
    h = Hall()
    h.staff("W3")
    visit = h.issue("S1", steps=("S1", "S2", "S3"))
    assert h.call("W3") == visit
    h.send(cmd.StartService, window_id="W3")
    h.send(cmd.FinishService, now=h.now + 300, window_id="W3", also_done=("S2",))
    t = h.state.tickets[visit]
    assert (t.state, t.service, t.step_index) == (TicketState.WAITING, "S3", 2)
    assert [(r.service, r.window_id) for r in t.history] == [("S1", "W3"), ("S2", "W3")]
    assert h.call("W3") == visit
    h.send(cmd.StartService, window_id="W3")
    h.send(cmd.FinishService, window_id="W3")
    assert h.state.tickets[visit].state is TicketState.FINISHED
    h.check_rebuild()


@pytest.mark.parametrize(
    ("also_done", "window"),
    [(("S3",), "W3"), (("S3", "S2"), "W3"), (("S2",), "W1x")],
    ids=["skips a step", "out of order", "window lacks the skill"],
)
def test_steps_done_in_one_sitting_must_follow_in_order_and_be_served_here(also_done: tuple[str, ...],
                                                                         window: str) -> None:
    skills = {"W1x": {"S1": 1.0}}
    windows = [{"id": "W1x", "name_zh": "1", "name_en": "1", "zone": "A", "skills": skills["W1x"]},
               {"id": "W3", "name_zh": "3", "name_en": "3", "zone": "B", "comprehensive": True}]
    h = Hall(hall_config(windows=windows))
    h.staff(window)
    h.issue("S1", steps=("S1", "S2", "S3"))
    h.call(window)
    h.send(cmd.StartService, window_id=window)
    with pytest.raises(EngineError) as err:
        h.send(cmd.FinishService, window_id=window, also_done=also_done)
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION


@pytest.mark.parametrize(
    ("service", "steps", "code"),
    [
        ("S1", ("S2", "S1"), ErrorCode.MALFORMED),
        ("S1", ("S1", "NOPE"), ErrorCode.NOT_FOUND),
        ("S1", ("S1",) * 11, ErrorCode.MALFORMED),
    ],
)
def test_bad_steps(service: str, steps: tuple[str, ...], code: ErrorCode) -> None:
    with pytest.raises(EngineError) as err:
        Hall().issue(service, steps=steps)
    assert err.value.code is code


def test_initial_state_equals_itself_and_differs_after_a_command() -> None:
    config = hall_config()
    a = EngineState.initial(config, T0, secret=SECRET)
    b = EngineState.initial(config, T0, secret=SECRET)
    assert a == b
    assert EngineState.initial(config, T0) != a  # without a secret, a random one is drawn
    c, _ = handle(a, cmd.IssueTicket(request_id="x", service="S1"), T0)
    assert c != a
