"""Which messages a batch of committed events means, for the tickets whose holders gave a way to reach them.

Pure: events, the engine state after them, who can be reached and who was already pre-alerted in; planned
messages out. A call, a recall and a no-show each mean one message; a ticket that comes within
``calling.pre_alert_positions`` of the front of its queue gets one pre-alert per step of its visit.
Message keys are derived from the events, so a restart that sees the same events plans the same keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hall_controller.engine import events as ev
from hall_controller.engine.clock import local_datetime
from hall_controller.engine.estimates import position
from hall_controller.engine.state import EngineState, Ticket
from hall_controller.engine.views import near_front
from hall_controller.notify.messages import Notice, NoticeKind
from hall_protocol.tickets import TicketState
from hall_protocol.urls import ticket_status_url


@dataclass(frozen=True, slots=True)
class Planned:
    key: str  # unique per message and ticket; the channel is appended per contact
    step: int  # the visit's step the message is about (pre-alerts are once per step)
    notice: Notice


def _touched_services(e: ev.Event) -> tuple[str, ...]:
    """Services whose queue order ``e`` may have changed."""
    if isinstance(e, ev.TicketIssued | ev.TicketCalled):
        return (e.service,)
    if isinstance(e, ev.TicketTransferred):
        return (e.from_service, e.to_service)
    if isinstance(e, ev.StepFinished):
        return (e.next_service,) if e.next_service else ()
    if isinstance(e, ev.TicketNoShow | ev.TicketCancelled):
        return ("*",)  # the ticket's service: looked up in the state
    return ()


def plan(events: Iterable[ev.Event], state: EngineState, reachable: Callable[[str], bool],
         alerted: set[tuple[str, int]], status_base_url: str, now: float) -> list[Planned]:
    """The messages ``events`` mean. ``alerted`` holds (ticket, step) already pre-alerted: updated here."""
    config = state.config
    out: list[Planned] = []
    services: set[str] = set()

    def notice(t: Ticket, kind: NoticeKind, at: float, **fields: object) -> Notice:
        local = local_datetime(at, config.hall.timezone).strftime("%Y-%m-%d %H:%M")
        return Notice(kind=kind, ticket_id=t.ticket_id, number=t.number, hall_name=config.hall.name_zh,
                      lang=t.lang, at=at, local_time=local,
                      status_url=ticket_status_url(status_base_url, config.hall.id, t.ticket_id, t.token),
                      **fields)  # type: ignore[arg-type]

    def window_names(window_id: str) -> dict[str, object]:
        w = state.index.windows.get(window_id)
        return {"window": w.name_zh, "window_en": w.name_en} if w is not None else {"window": window_id}

    for e in events:
        for s in _touched_services(e):
            if s == "*":
                t = state.tickets.get(getattr(e, "ticket_id", ""))
                if t is not None:
                    services.add(t.service)
            else:
                services.add(s)
        ticket_id = getattr(e, "ticket_id", None)
        if ticket_id is None or not reachable(ticket_id):
            continue
        t = state.tickets.get(ticket_id)
        if t is None:
            continue
        if isinstance(e, ev.TicketCalled):
            called = notice(t, NoticeKind.CALLED, e.at, **window_names(e.window_id))
            out.append(Planned(e.call_id, t.step_index, called))
        elif isinstance(e, ev.TicketRecalled):
            out.append(Planned(e.call_id, t.step_index, notice(
                t, NoticeKind.RECALLED, e.at, recall_count=e.recall_count,
                recall_limit=config.calling.recall_limit, **window_names(e.window_id))))
        elif isinstance(e, ev.TicketNoShow):
            kind = NoticeKind.RECYCLED if e.recycled else NoticeKind.NO_SHOW
            out.append(Planned(f"{t.ticket_id}:no-show:{t.no_show_count}", t.step_index, notice(t, kind, e.at)))
    limit = config.calling.pre_alert_positions
    for service in sorted(services):
        if limit <= 0 or service not in state.queues:
            continue
        for ticket_id in near_front(state, service, limit):
            t = state.tickets[ticket_id]
            if (ticket_id, t.step_index) in alerted or not reachable(ticket_id) or t.state is not TicketState.WAITING:
                continue
            alerted.add((ticket_id, t.step_index))
            ahead = position(state, ticket_id) - 1
            out.append(Planned(f"{ticket_id}:pre-alert:{t.step_index}", t.step_index,
                               notice(t, NoticeKind.PRE_ALERT, now, ahead=ahead)))
    return out
