"""The ticket transition table, walked: every (state, operation) pair is either done, landing in a state
the table names, or refused with ILLEGAL_TRANSITION and no change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from hall_controller.engine import EngineError
from hall_controller.engine.lifecycle import TRANSITIONS, TicketOp, allows, check, from_states
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import TicketState
from tests.unit.engine.helpers import Hall, cmd, hall_config

S = TicketState
# Past the grace period when the operation runs, so that a no-show is allowed by time as well.
LATER = 121.0


def _waiting() -> tuple[Hall, str]:
    h = Hall(hall_config(calling={"recycle_no_show": False}))
    h.staff("W1")
    return h, h.issue("S1")


def _called() -> tuple[Hall, str]:
    h, t = _waiting()
    h.call("W1")
    return h, t


def _recalled() -> tuple[Hall, str]:
    h, t = _called()
    h.send(cmd.Recall, window_id="W1")
    return h, t


def _serving() -> tuple[Hall, str]:
    h, t = _called()
    h.send(cmd.StartService, window_id="W1")
    return h, t


def _finished() -> tuple[Hall, str]:
    h, t = _serving()
    h.send(cmd.FinishService, window_id="W1")
    return h, t


def _no_show() -> tuple[Hall, str]:
    h, t = _called()
    h.send(cmd.MarkNoShow, now=h.now + LATER, window_id="W1")
    return h, t


def _parked() -> tuple[Hall, str]:
    h, t = _serving()
    h.send(cmd.Park, window_id="W1")
    return h, t


def _cancelled() -> tuple[Hall, str]:
    h, t = _waiting()
    h.send(cmd.CancelTicket, ticket_id=t)
    return h, t


def _transferred() -> tuple[Hall, str]:
    """Never a resting state of the engine: forced here, to show that the table alone refuses it."""
    h, t = _waiting()
    forced = msgspec.structs.replace(h.state.tickets[t], state=S.TRANSFERRED)
    h.state = h.state.replace(tickets=h.state.tickets.set(t, forced))
    return h, t


SETUPS: dict[TicketState, Callable[[], tuple[Hall, str]]] = {
    S.WAITING: _waiting,
    S.CALLED: _called,
    S.RECALLED: _recalled,
    S.SERVING: _serving,
    S.FINISHED: _finished,
    S.NO_SHOW: _no_show,
    S.TRANSFERRED: _transferred,
    S.PARKED: _parked,
    S.CANCELLED: _cancelled,
}

# Each operation as the command staff or a device would send for ticket t at window W1.
COMMANDS: dict[TicketOp, Callable[[str], Any]] = {
    TicketOp.CALL: lambda t: cmd.CallTicket(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.RECALL: lambda t: cmd.Recall(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.START: lambda t: cmd.StartService(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.FINISH: lambda t: cmd.FinishService(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.NO_SHOW: lambda t: cmd.MarkNoShow(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.PARK: lambda t: cmd.Park(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.UNPARK: lambda t: cmd.Unpark(request_id="x", window_id="W1", ticket_id=t),
    TicketOp.TRANSFER: lambda t: cmd.Transfer(request_id="x", ticket_id=t, target_service="S2"),
    TicketOp.CANCEL: lambda t: cmd.CancelTicket(request_id="x", ticket_id=t),
    TicketOp.RATE: lambda t: cmd.RecordRating(request_id="x", ticket_id=t, level=4),
}

PAIRS = [(s, op) for s in TicketState for op in TicketOp]


def test_every_state_and_operation_is_walked() -> None:
    assert set(SETUPS) == set(TicketState)
    assert set(COMMANDS) == set(TicketOp)


@pytest.mark.parametrize(("state", "op"), PAIRS, ids=[f"{s}-{op}" for s, op in PAIRS])
def test_the_table_decides(state: TicketState, op: TicketOp) -> None:
    h, t = SETUPS[state]()
    assert h.state.tickets[t].state is state
    before = h.state
    if allows(state, op):
        h.do(COMMANDS[op](t), now=h.now + LATER)
        assert h.state.tickets[t].state in TRANSITIONS[(state, op)]
        h.check_rebuild()
    else:
        with pytest.raises(EngineError) as err:
            h.do(COMMANDS[op](t), now=h.now + LATER)
        assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
        assert err.value.message_zh
        assert h.state is before


def test_the_refusal_names_the_state_and_the_operation() -> None:
    with pytest.raises(EngineError) as err:
        check(S.FINISHED, TicketOp.CANCEL, "A001")
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    assert err.value.message_zh == "该号当前状态为“已办结”，不能取消。"
    assert "A001" in err.value.message
    assert "waiting" in err.value.message  # the states it would be allowed from


def test_the_table_shape() -> None:
    assert all(from_states(op) for op in TicketOp)  # every operation is legal from somewhere
    assert not any(s is S.TRANSFERRED for s, _ in TRANSITIONS)  # a wire-only state: nothing starts there
    ends = {S.FINISHED, S.NO_SHOW, S.CANCELLED}
    assert {s for s, _ in TRANSITIONS} & ends == {S.FINISHED}  # only a rating follows the end
    assert all(targets for targets in TRANSITIONS.values())
