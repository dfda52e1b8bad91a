"""Every authorisation question in the controller goes through :func:`allowed` (pages, API and MQTT alike).

The table says which actions each kind of actor may take; the target rules that need the hall's state (its
own window, its own tickets) live in ``trust.py`` for requests and in the pages for what they show.
"""

from __future__ import annotations

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_protocol.devices import Role

# Requests (the wire message tags) ---------------------------------------------------------------
ISSUE, CHECKIN, CANCEL, STATUS = "ticket.issue", "ticket.checkin", "ticket.cancel", "ticket.status"
RATE, LEASE, WINDOW = "rating.submit", "lease.request", "window.command"
ISSUE_PRIORITY = "ticket.issue-priority"  # a VIP ticket, or a staff override of the class

# Pages and API ----------------------------------------------------------------------------------
TERMINAL = "terminal.use"  # a window terminal page
CONSOLE = "console.view"
HALL_MANAGE = "hall.manage"  # open/close windows, change a window's services, notices, service settings
ALERTS_ACK = "alerts.ack"
DEVICES_VIEW, DEVICES_MANAGE = "devices.view", "devices.manage"  # manage: commands, slots, codes, retire
RATINGS_VIEW, RATINGS_FOLLOW_UP, RATINGS_EXPORT = "ratings.view", "ratings.follow-up", "ratings.export"
APPOINTMENTS = "appointments.manage"
REPORTS = "reports.view"
AUDIT = "audit.view"
ACCOUNTS = "accounts.manage"
HALL_STATE = "hall.state"

_DEVICE: dict[Role, frozenset[str]] = {
    Role.KIOSK: frozenset({ISSUE, CHECKIN, CANCEL, STATUS, RATE, LEASE}),
    Role.EVALUATOR: frozenset({RATE}),
    Role.WINDOW_TERMINAL: frozenset({WINDOW}),
    Role.HALL_SCREEN: frozenset(),
    Role.WINDOW_DISPLAY: frozenset(),
}
_PERSON: dict[PersonRole, frozenset[str]] = {
    PersonRole.STAFF: frozenset({TERMINAL, WINDOW, STATUS, ISSUE, ISSUE_PRIORITY}),
    PersonRole.TECHNICIAN: frozenset({CONSOLE, DEVICES_VIEW, DEVICES_MANAGE}),
    PersonRole.MANAGER: frozenset({
        TERMINAL, WINDOW, STATUS, ISSUE, ISSUE_PRIORITY, CONSOLE, HALL_MANAGE, ALERTS_ACK, DEVICES_VIEW,
        DEVICES_MANAGE, RATINGS_VIEW, RATINGS_FOLLOW_UP, RATINGS_EXPORT, APPOINTMENTS, REPORTS, AUDIT, ACCOUNTS,
        HALL_STATE, CANCEL,
    }),
}
API_SCOPES: dict[str, frozenset[str]] = {
    "appointments": frozenset({APPOINTMENTS}),
    "tickets": frozenset({STATUS}),
    "hall": frozenset({HALL_STATE}),
    "ratings": frozenset({RATINGS_EXPORT}),
    "reports": frozenset({REPORTS}),
}
"""What each API token scope grants (a token has one or more scopes)."""


def actions_of(actor: Actor) -> frozenset[str]:
    if actor.kind is ActorKind.DEVICE and isinstance(actor.role, Role):
        return _DEVICE[actor.role]
    if actor.kind is ActorKind.PERSON and isinstance(actor.role, PersonRole):
        return _PERSON[actor.role]
    if actor.kind is ActorKind.API:
        return frozenset().union(*(API_SCOPES.get(s, frozenset()) for s in actor.scopes))
    return frozenset()


def allowed(actor: Actor, action: str) -> bool:
    return action in actions_of(actor)
