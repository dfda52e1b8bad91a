"""A ticket's life, as one transition table: which operation is legal from which state, and to which.

The rule modules ask :func:`check` before deciding an event; a refusal (``ILLEGAL_TRANSITION``) and its
sentence for window staff are made here and nowhere else. Conditions that are not the ticket's state (the
window holding it, the recall limit, the grace period, a rating already given) stay with their rules.

Two operations have two outcomes, chosen by the rule, not by the state: finishing a step of a visit that
has a next step puts the ticket back in the queue (``waiting``), and the first no-show is recycled to the
queue when ``calling.recycle_no_show`` is on. ``transferred`` is a state of the wire only
(``views.ticket_event``): a transferred ticket waits at once in its new service, so no ticket is ever at
rest in it and no operation starts from it.
"""

from __future__ import annotations

from enum import StrEnum

from hall_controller.engine.errors import EngineError
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import TicketState


class TicketOp(StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no-show"
    PARK = "park"
    UNPARK = "unpark"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    RATE = "rate"


S, Op = TicketState, TicketOp
_CALLED = (S.CALLED, S.RECALLED)

TRANSITIONS: dict[tuple[TicketState, TicketOp], frozenset[TicketState]] = {
    (S.WAITING, Op.CALL): frozenset({S.CALLED}),
    **{(s, Op.RECALL): frozenset({S.RECALLED}) for s in _CALLED},
    **{(s, Op.START): frozenset({S.SERVING}) for s in _CALLED},
    (S.SERVING, Op.FINISH): frozenset({S.FINISHED, S.WAITING}),
    **{(s, Op.NO_SHOW): frozenset({S.NO_SHOW, S.WAITING}) for s in _CALLED},
    **{(s, Op.PARK): frozenset({S.PARKED}) for s in (*_CALLED, S.SERVING)},
    (S.PARKED, Op.UNPARK): frozenset({S.SERVING}),
    **{(s, Op.TRANSFER): frozenset({S.WAITING}) for s in (S.WAITING, *_CALLED, S.SERVING, S.PARKED)},
    **{(s, Op.CANCEL): frozenset({S.CANCELLED}) for s in (S.WAITING, *_CALLED, S.PARKED)},
    (S.FINISHED, Op.RATE): frozenset({S.FINISHED}),
}

_STATE_ZH = {
    S.WAITING: "等候中",
    S.CALLED: "已呼叫",
    S.RECALLED: "已重呼",
    S.SERVING: "办理中",
    S.FINISHED: "已办结",
    S.NO_SHOW: "已过号",
    S.TRANSFERRED: "已转办",
    S.PARKED: "已挂起",
    S.CANCELLED: "已取消",
}

_OP_ZH = {
    Op.CALL: "呼叫",
    Op.RECALL: "重呼",
    Op.START: "开始办理",
    Op.FINISH: "办结",
    Op.NO_SHOW: "标记过号",
    Op.PARK: "挂起",
    Op.UNPARK: "恢复办理",
    Op.TRANSFER: "转办",
    Op.CANCEL: "取消",
    Op.RATE: "评价",
}


def allows(state: TicketState, op: TicketOp) -> bool:
    return (state, op) in TRANSITIONS


def from_states(op: TicketOp) -> tuple[TicketState, ...]:
    """The states ``op`` is legal from, in the enum's order."""
    return tuple(s for s in TicketState if (s, op) in TRANSITIONS)


def check(state: TicketState, op: TicketOp, number: str) -> None:
    """Raise ``ILLEGAL_TRANSITION`` unless ``op`` is legal for a ticket in ``state``."""
    if (state, op) in TRANSITIONS:
        return
    allowed = ", ".join(from_states(op))
    raise EngineError(
        ErrorCode.ILLEGAL_TRANSITION,
        f"ticket {number} is {state}; {op} needs one of: {allowed}",
        f"该号当前状态为“{_STATE_ZH[state]}”，不能{_OP_ZH[op]}。",
    )
