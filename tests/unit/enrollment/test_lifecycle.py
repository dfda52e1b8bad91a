from __future__ import annotations

import itertools

import pytest

from hall_controller.enrollment.errors import IllegalTransition
from hall_controller.enrollment.lifecycle import TRANSITIONS, DeviceStatus, SlotEvent, next_status

S, E = DeviceStatus, SlotEvent


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (S.PENDING, E.ENROLLED, S.PROVISIONED),
        (S.PROVISIONED, E.CAME_ONLINE, S.ONLINE),
        (S.ONLINE, E.WENT_OFFLINE, S.OFFLINE),
        (S.OFFLINE, E.CAME_ONLINE, S.ONLINE),
        (S.ONLINE, E.ENROLLED, S.PROVISIONED),  # a replacement enrolled into a live slot
        (S.ONLINE, E.NEW_CODE, S.ONLINE),
        (S.ONLINE, E.RETIRE, S.RETIRED),
        (S.PENDING, E.RETIRE, S.RETIRED),
        (S.RETIRED, E.NEW_CODE, S.PENDING),
    ],
)
def test_allowed(state: DeviceStatus, event: SlotEvent, after: DeviceStatus) -> None:
    assert next_status(state, event) is after


def test_everything_else_is_refused_with_a_sentence() -> None:
    refused = [(s, e) for s, e in itertools.product(S, E) if (s, e) not in TRANSITIONS]
    assert (S.RETIRED, E.ENROLLED) in refused
    assert (S.RETIRED, E.CAME_ONLINE) in refused
    assert (S.PENDING, E.CAME_ONLINE) in refused
    assert (S.RETIRED, E.RETIRE) in refused
    for s, e in refused:
        with pytest.raises(IllegalTransition) as err:
            next_status(s, e)
        assert err.value.message_zh
