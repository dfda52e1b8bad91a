"""The hall's queue engine: a sans-IO, event-sourced core.

``handle(state, command, now) -> (state, events)`` checks a command and decides its events;
``apply(state, event) -> state`` derives the state from them. Both are pure: no I/O, no clock, no
randomness (``now`` is epoch seconds; the hall secret is part of the state). ``handle`` is literally
``fold(apply)`` over the events it returns, so rebuilding from the log,
``fold(EngineState.initial(config, t0, secret=...), log)``, gives the live state (``==``).

Rules the service relies on:

- Idempotency: every command carries ``request_id``. ``state.seen(request_id)`` is true once a command
  with that id produced events (ids of the current and the previous local day are kept); handling it
  again returns the same state object and no events, and the service answers with the reply it stored.
  A refused command (``EngineError``) and a no-op (``SweepCalls`` with nothing due) are not remembered.
- Day rollover: the first state-changing command of a new local day (hall time zone) is preceded by a
  ``DayStarted`` event, which drops the previous day's tickets, counters, leases and learned service
  times. Numbers are ``{prefix}{n:03d}`` per prefix and day. Ticket ids and status-page tokens are
  opaque, keyed by the hall secret given to ``EngineState.initial`` (``ids.py``): neither can be guessed
  from a number, a request id or each other (a ticket merged from an offline block keeps the
  ``{day}-{number}`` id its kiosk printed, see ``issuing.py``).
- Call order: see ``selection.py`` (deadline = order time + class bound; overdue first; skill tiers) and,
  with ``routing.call_order = "onevisit"`` or a ``routing.class_ratio``, ``routing.py``. Every call-next
  carries its reason in ``TicketCalled.reason`` / ``reason_zh``. ``advice.py`` answers where a new visit
  should go (zone, or the kiosk) and which overflow windows to open or close; estimates: ``estimates.py``.
- No-show: allowed after ``calling.recall_limit`` recalls or ``calling.grace_s`` since the call;
  ``SweepCalls`` does it automatically when both hold. With ``recycle_no_show`` the first no-show goes
  back to the queue behind those waiting at that moment; the second is final.
- Transfer: the ticket waits at once in the target service, keeping its order time; the wire reports the
  transfer as state ``transferred`` (``ticket_event``) but the engine's ticket state is ``waiting``.
  Transferred to a window (``target_window``), it waits for that window only, which calls it first.
- Several steps in one sitting: ``FinishService(also_done=...)`` finishes the current step and the visit's
  next steps named, in order, when the window serves them; the ticket then queues for the step after.
- Park: a ticket at a window (called or in service) is set aside; ``Unpark`` resumes it in service at any
  free window that has the skill; parked time is not counted as service time.
- Offline tickets: ``LeaseBlock`` reserves numbers within the daily cap and a per-device share
  (``rules_leases.py``); ``IssueTicket(provisional=...)`` merges one with its printed number and its
  arrival clamped to [lease granted, now], even past the cap.
- Ticket states: which operation is legal from which state is one table, ``lifecycle.TRANSITIONS``.
- Appointments: ``RegisterAppointment`` then ``CheckIn`` from ``appointments.checkin_early_min`` before
  to ``checkin_late_min`` after the slot (CLOSED before, EXPIRED after); early arrivals are ordered from
  the slot start, class ``appointment``.
- The manager's changes (``rules_hall``): a window's services and a service's target wait and daily cap hold
  for the rest of the day (``state.plan`` is the configuration as loaded; ``DayStarted`` puts it back in
  force, so an edit of ``hall.toml`` is never masked by an old change); a change is checked as a config file
  is. Notices stay until replaced. Alert acknowledgements are by episode id and per day.
"""

from hall_controller.engine.advice import Advice, AdviceKind, Route, advice, route_new
from hall_controller.engine.alerts import Alert, AlertKind, alerts
from hall_controller.engine.apply import apply, fold
from hall_controller.engine.commands import Command
from hall_controller.engine.errors import EngineError
from hall_controller.engine.estimates import Estimate, estimate, estimate_new, position
from hall_controller.engine.events import Event
from hall_controller.engine.handle import handle
from hall_controller.engine.routing import Choice, choose
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
    "Advice",
    "AdviceKind",
    "Alert",
    "AlertKind",
    "Choice",
    "Command",
    "EngineError",
    "EngineState",
    "Estimate",
    "Event",
    "Route",
    "Ticket",
    "WindowRt",
    "advice",
    "alerts",
    "apply",
    "call_event",
    "choose",
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
    "route_new",
    "ticket_event",
    "ticket_view",
    "window_state",
]
