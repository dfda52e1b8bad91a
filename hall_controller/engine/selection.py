"""Which ticket a window calls next.

Every waiting ticket has a deadline: ``order_time + bound(priority class)`` where the bound is the class's
maximum wait (``config.priorities``; order_time is the arrival, the slot start for an early appointment,
or the re-queue time of a recycled no-show). Each service queue is kept sorted by
``(deadline, order_time, ticket_id)``, so in a service the earliest deadline is always next: a VIP who
arrives now goes ahead of ordinary tickets with more than 10 minutes of slack left, never ahead of one
about to pass its 90 minutes. That is priority with ageing — no class starves.

Across the services a window can serve (its skills):

1. Overdue first: among the queue heads whose deadline has passed, the earliest deadline, whatever the
   window's skill weight for that service.
2. Otherwise the window's best skill tier: among the heads of the services with the highest skill weight
   that have anyone waiting, the earliest deadline. Lower-weight services are served only when the better
   ones are empty (or overdue, rule 1).

Ties break on order_time, then ticket id. Cost: one look at each skill's queue head, O(skills).
"""

from __future__ import annotations

from hall_controller.engine.state import EngineState, QueueKey


def pick_next(state: EngineState, window_id: str, now: float) -> QueueKey | None:
    queues = state.queues
    overdue: QueueKey | None = None
    best: QueueKey | None = None
    best_weight = 0.0
    for weight, service in state.index.window_skills[window_id]:
        q = queues[service]
        if not q:
            continue
        head = q.first()
        assert head is not None
        if head[0] <= now:
            if overdue is None or head < overdue:
                overdue = head
        elif best is None:
            best, best_weight = head, weight
        elif weight == best_weight and head < best:
            best = head
    return overdue if overdue is not None else best
