"""Target rules for step ratings at an evaluator, and appointment requests (people and API only)."""

from __future__ import annotations

import pytest

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.trust import Refused, authorise
from hall_protocol.devices import Role
from hall_protocol.tickets import CancelAppointment, RegisterAppointment, SubmitRating
from tests.unit.engine.helpers import T0, Hall


def _evaluator(window: str) -> Actor:
    return Actor(ActorKind.DEVICE, f"eval-{window}", Role.EVALUATOR, "A", window)


def test_an_evaluator_rates_the_step_served_at_its_window() -> None:
    h = Hall()
    h.staff("W1")
    h.staff("W2")
    visit = h.issue("S1", steps=("S1", "S2"))
    h.serve("W1")
    h.serve("W2")
    rating = SubmitRating(request_id="r", ticket_id=visit, level=4)
    assert authorise(_evaluator("W1"), rating, h.state).step == 0  # type: ignore[union-attr]
    assert authorise(_evaluator("W2"), rating, h.state).step == 1  # type: ignore[union-attr]
    with pytest.raises(Refused):
        authorise(_evaluator("W1"), SubmitRating(request_id="r", ticket_id=visit, level=4, step=1), h.state)
    with pytest.raises(Refused):
        authorise(_evaluator("W3"), rating, h.state)


def test_appointments_come_from_people_and_integrations_never_from_devices() -> None:
    h = Hall()
    register = RegisterAppointment(request_id="r", appointment_id="A1", service="S1", slot_start=T0,
                                   masked_name="张三")
    kiosk = Actor(ActorKind.DEVICE, "kiosk-1", Role.KIOSK, "A")
    for request in (register, CancelAppointment(request_id="r", appointment_id="A1")):
        with pytest.raises(Refused):
            authorise(kiosk, request, h.state)
        with pytest.raises(Refused):
            authorise(Actor(ActorKind.PERSON, "s", PersonRole.STAFF, window="W1"), request, h.state)
        with pytest.raises(Refused):
            authorise(Actor(ActorKind.API, "portal", scopes=frozenset({"tickets"})), request, h.state)
    api = Actor(ActorKind.API, "portal", scopes=frozenset({"appointments"}))
    bound = authorise(api, register, h.state)
    assert bound.masked_name == "张*"  # type: ignore[union-attr]  # a full name never gets into the log
    assert authorise(Actor(ActorKind.PERSON, "li", PersonRole.MANAGER), register, h.state) is not None
