"""The hall's queue engine: a sans-IO, event-sourced core.

``handle(state, command, now) -> (state, events)`` decides; ``apply(state, event) -> state`` derives.
Both are pure: no I/O, no clock, no randomness. Rebuild: ``fold(EngineState.initial(config, t0), log)``.
"""

from hall_controller.engine.alerts import Alert, AlertKind, alerts
from hall_controller.engine.apply import apply, fold
from hall_controller.engine.commands import Command
from hall_controller.engine.errors import EngineError
from hall_controller.engine.estimates import Estimate, estimate, estimate_new, position
from hall_controller.engine.events import Event
from hall_controller.engine.handle import handle
from hall_controller.engine.selection import pick_next
from hall_controller.engine.state import EngineState, Ticket, WindowRt
from hall_controller.engine.views import (
    call_event,
    display_message,
    hall_state_message,
    near_front,
    ticket_event,
    ticket_view,
    window_state,
)
from hall_controller.engine.wire import command_from_request, lease_granted

__all__ = [
    "Alert",
    "AlertKind",
    "Command",
    "EngineError",
    "EngineState",
    "Estimate",
    "Event",
    "Ticket",
    "WindowRt",
    "alerts",
    "apply",
    "call_event",
    "command_from_request",
    "display_message",
    "estimate",
    "estimate_new",
    "fold",
    "hall_state_message",
    "handle",
    "lease_granted",
    "near_front",
    "pick_next",
    "position",
    "ticket_event",
    "ticket_view",
    "window_state",
]
