"""What halls use today: each baseline picks the ticket a window calls, and the simulator calls it through
the real engine (``CallTicket``), so the engine's own order is bypassed and only the baseline's applies.

Every baseline sees what its system would see: the tickets waiting for the services the window (the staff
member logged in there) serves, the class of each, its appointment, and when it joined this queue. A visit
of several services joins the next queue when a step ends: NovoSGA (``AtendimentoService::copyToRedirect``
sets ``dataChegada`` to now) and QSystem (``Executer.redirectCustomerTask`` sets the stand time to now) both
restart the clock at a redirect; Qmatic's transfer puts the visit at the end of the queue by default.
"""

from __future__ import annotations

from collections.abc import Callable

from hall_controller.engine import EngineState, Ticket
from hall_protocol.tickets import Priority

Picker = Callable[[EngineState, str, float], str | None]


def queued_at(t: Ticket) -> float:
    """When ``t`` joined its current queue: the end of its previous step, else its arrival (the check-in of
    an appointment; the re-queue time of a recycled no-show)."""
    base = t.order_time if t.no_show_count else t.arrival
    return max(base, t.history[-1].ended_at) if t.history else base


def _waiting(state: EngineState, window_id: str) -> list[tuple[float, str, Ticket]]:
    out = []
    for weight, service in state.index.window_skills[window_id]:
        for key in state.queues[service]:
            out.append((weight, service, state.tickets[key[3]]))
    return out


def dedicated_fifo(state: EngineState, window_id: str, now: float) -> str | None:
    """First come, first served over the window's own (department's) services. The pre-reform hall: the
    layout gives each department's windows its services only (``scenarios.layout(dedicated=True)``)."""
    best = min(_waiting(state, window_id), key=lambda x: (queued_at(x[2]), x[2].number), default=None)
    return best[2].ticket_id if best is not None else None


def novosga(state: EngineState, window_id: str, now: float) -> str | None:
    """NovoSGA's default queue ordering (novosga/novosga, ``src/Configuration/DefaultQueueOrderingHandler.php``
    since commit 03898bc3, 2024-07-27; before it ``config/app.default.php``), over the services the staff
    member serves (``FilaService::getFilaAtendimento``):

    1. ``atendimento.dataAgendamento`` ascending: appointments by their slot. Walk-ins have none (NULL);
       PostgreSQL sorts NULL last in ascending order, MySQL first. We put appointments first, the evident
       intent of the rule.
    2. ``servicoUsuario.peso`` descending: the staff member's weight for the service (our skill weight).
    3. ``prioridade.peso`` descending: any priority class (weight > 0) before normal (weight 0).
    4. ``servicoUnidade.peso`` descending: the unit's weight for the service (1 for all here).
    5. ``atendimento.dataChegada``: the handler in the latest release sorts it *descending*, which serves
       the newest arrival first (LIFO). Releases up to 2024 sorted it ascending, and a hall would not run a
       LIFO queue; we use ascending, i.e. NovoSGA as halls have run it.
    """

    def key(x: tuple[float, str, Ticket]) -> tuple[float, float, int, float, str]:
        weight, _, t = x
        appt = t.appointment_id is not None
        slot = t.order_time if appt else float("inf")
        return (slot, -weight, 0 if t.priority is not Priority.NORMAL else 1, queued_at(t), t.number)

    best = min(_waiting(state, window_id), key=key, default=None)
    return best[2].ticket_id if best is not None else None


_QSYSTEM_PRIORITY = {Priority.NORMAL: 1, Priority.APPOINTMENT: 2, Priority.GREEN: 2, Priority.VIP: 3}


def qsystem(state: EngineState, window_id: str, now: float) -> str | None:
    """QSystem (Apertum, GPL; read in binali-rustamov/apertum-qsystem, ``Executer.inviteNextCustomerTask``
    and ``QCustomer.compareTo``): each service is a priority queue ordered by the customer's priority
    (descending), then stand time (ascending). Calling, the operator's plan is walked: the queue with the
    highest operator coefficient (``QPlanService.coefficient``, our skill weight) wins; between equal
    coefficients, the head that compares first (higher priority, then earlier stand time)."""
    best: tuple[float, int, float, str, str] | None = None
    for weight, service in state.index.window_skills[window_id]:
        q = state.queues[service]
        if not q:
            continue
        head = min(
            (state.tickets[k[3]] for k in q),
            key=lambda t: (-_QSYSTEM_PRIORITY[t.priority], queued_at(t), t.number),
        )
        cand = (-weight, -_QSYSTEM_PRIORITY[head.priority], queued_at(head), head.number, head.ticket_id)
        if best is None or cand < best:
            best = cand
    return best[4] if best is not None else None


def qmatic_longest_wait(state: EngineState, window_id: str, now: float) -> str | None:
    """Qmatic Orchestra with a work profile that calls "from the queue with the longest waiting time; from
    that queue, the first visit" (docs.qmatic.io, "Understand queuing logic basics"). Each service is a
    first-in-first-out queue; the counter calls the head that has waited longest of the queues it serves."""
    best: tuple[float, str, str] | None = None
    for _, service in state.index.window_skills[window_id]:
        q = state.queues[service]
        if not q:
            continue
        head = min((state.tickets[k[3]] for k in q), key=lambda t: (queued_at(t), t.number))
        cand = (queued_at(head), head.number, head.ticket_id)
        if best is None or cand < best:
            best = cand
    return best[2] if best is not None else None


BASELINES: dict[str, Picker] = {
    "dedicated_fifo": dedicated_fifo,
    "novosga": novosga,
    "qsystem": qsystem,
    "qmatic_longest_wait": qmatic_longest_wait,
}
