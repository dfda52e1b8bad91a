"""Which ticket a window calls next.

Every waiting ticket has a deadline: ``order_time + bound(priority class)`` where the bound is the class's
maximum wait (``config.priorities``; order_time is the arrival, the slot start for an early appointment,
or the re-queue time of a recycled no-show). Each service queue is kept sorted by
``(deadline, order_time, number, ticket_id)``, so in a service the earliest deadline is always next: a VIP who
arrives now goes ahead of ordinary tickets with more than 10 minutes of slack left, never ahead of one
about to pass its 90 minutes. That is priority with ageing — no class starves.

Across the services a window can serve (its skills):

1. Overdue first: among the queue heads whose deadline has passed, the earliest deadline, whatever the
   window's skill weight for that service.
2. Otherwise the window's best skill tier: among the heads of the services with the highest skill weight
   that have anyone waiting, the earliest deadline. Lower-weight services are served only when the better
   ones are empty (or overdue, rule 1).

Ties break on order_time, then the ticket's number (the printed order; numbers are unique per day).
Cost: one look at each skill's queue head, O(skills).

The hall can instead set ``routing.call_order = "onevisit"`` and a class ratio: ``routing.py`` holds both
orders and gives every call its reason.
"""

from __future__ import annotations

from hall_controller.engine.routing import choose
from hall_controller.engine.state import EngineState, QueueKey


def pick_next(state: EngineState, window_id: str, now: float) -> QueueKey | None:
    """The key of the ticket ``window_id`` would call now (None when nobody waits for its services)."""
    choice = choose(state, window_id, now)
    return choice.key if choice is not None else None
