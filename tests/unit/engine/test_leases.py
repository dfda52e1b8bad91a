"""Offline number leases stay inside the daily cap and a per-device share (rules_leases.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_controller.engine import EngineError, EngineState
from hall_controller.engine import events as ev
from hall_controller.engine.rules_leases import OPEN_BLOCKS, SHARE_DIVISOR, SHARE_FLOOR
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Provisional
from tests.unit.engine.helpers import Hall, cmd, hall_config


def capped_hall(cap: int) -> Hall:
    """The test hall with service S1 capped at ``cap`` tickets a day."""
    services: list[dict[str, Any]] = [
        {"code": "S1", "name_zh": "业务一", "name_en": "Service 1", "prefix": "A", "zone": "A",
         "issue_from": "00:00", "issue_until": "23:59", "daily_cap": cap},
        {"code": "S2", "name_zh": "业务二", "name_en": "Service 2", "prefix": "B", "zone": "A",
         "issue_from": "00:00", "issue_until": "23:59"},
    ]
    return Hall(hall_config(services=services))


def lease(h: Hall, device: str, size: int) -> ev.BlockLeased:
    events = h.send(cmd.LeaseBlock, device_id=device, service="S1", size=size)
    granted = events[-1]
    assert isinstance(granted, ev.BlockLeased)
    return granted


def refused(h: Hall, device: str, size: int) -> EngineError:
    before = h.state
    with pytest.raises(EngineError) as err:
        h.send(cmd.LeaseBlock, device_id=device, service="S1", size=size)
    assert h.state is before
    return err.value


def merge(h: Hall, block: ev.BlockLeased, seq: int) -> None:
    number = f"{block.prefix}{seq:03d}"
    h.issue("S1", provisional=Provisional(lease_id=block.lease_id, number=number, arrived_at=h.now))


def reserved(state: EngineState, device: str | None = None) -> int:
    return sum(
        b.last - b.first + 1 - len(b.used)
        for b in state.leases.values()
        if b.service == "S1" and (device is None or b.device_id == device)
    )


def test_a_kiosk_cannot_hoard_a_days_numbers() -> None:
    """The reported case: 19 requests for 500 numbers of a service capped at 120 a day."""
    h = capped_hall(120)
    first = lease(h, "kiosk-1", 500)
    assert first.last - first.first + 1 == max(SHARE_FLOOR, 120 // SHARE_DIVISOR)  # 30
    for _ in range(18):
        err = refused(h, "kiosk-1", 500)
        assert err.code is ErrorCode.CAP_REACHED
        assert err.message_zh
    assert reserved(h.state) == 30
    h.check_rebuild()


def test_each_device_gets_a_share_of_what_is_left() -> None:
    h = capped_hall(120)
    sizes = [(b := lease(h, f"kiosk-{i}", 500)).last - b.first + 1 for i in range(6)]
    # 120 left: 30; then 90: 22; 68: 17; 51: 12; 39: the floor, 10; 29: 10.
    assert sizes == [30, 22, 17, 12, 10, 10]
    assert reserved(h.state) <= 120


def test_the_floor_is_bounded_by_what_is_left() -> None:
    h = capped_hall(12)
    for _ in range(8):
        h.issue("S1")
    block = lease(h, "kiosk-1", 20)
    assert block.last - block.first + 1 == 4
    assert refused(h, "kiosk-2", 1).code is ErrorCode.CAP_REACHED


def test_a_small_request_is_granted_as_asked() -> None:
    h = capped_hall(120)
    block = lease(h, "kiosk-1", 5)
    assert (block.first, block.last) == (1, 5)


def test_at_most_two_open_blocks_per_device_and_service() -> None:
    h = capped_hall(400)
    blocks = [lease(h, "kiosk-1", 3) for _ in range(OPEN_BLOCKS)]
    err = refused(h, "kiosk-1", 3)
    assert err.code is ErrorCode.CAP_REACHED
    assert "open blocks" in err.message
    lease(h, "kiosk-2", 3)  # another device is not held back
    for seq in range(blocks[0].first, blocks[0].last + 1):  # a block used up is no longer open
        merge(h, blocks[0], seq)
    lease(h, "kiosk-1", 3)
    h.check_rebuild()


def test_online_issuing_does_not_count_reserved_numbers() -> None:
    """A reserve for outages mostly goes unused: citizens at the kiosk are not turned away for it."""
    h = capped_hall(20)
    block = lease(h, "kiosk-1", 10)
    for _ in range(20):
        h.issue("S1")
    assert refused(h, "kiosk-2", 1).code is ErrorCode.CAP_REACHED
    merge(h, block, block.first)  # the printed number is still honoured
    assert h.state.issued["S1"] == 21


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("lease"), st.sampled_from(["k1", "k2", "k3"]), st.integers(1, 500)),
            st.tuples(st.just("issue"), st.just(""), st.just(0)),
            st.tuples(st.just("merge"), st.sampled_from(["k1", "k2", "k3"]), st.integers(0, 40)),
        ),
        max_size=40,
    ),
    st.integers(1, 200),
)
def test_grants_never_take_numbers_past_the_cap(ops: list[tuple[str, str, int]], cap: int) -> None:
    h = capped_hall(cap)
    blocks: dict[str, list[ev.BlockLeased]] = {}
    for op, device, n in ops:
        refusal: ErrorCode | None = None
        try:
            if op == "lease":
                block = lease(h, device, n)
                blocks.setdefault(device, []).append(block)
                assert h.state.issued.get("S1", 0) + reserved(h.state) <= cap
                assert reserved(h.state, device) <= max(SHARE_FLOOR, cap // SHARE_DIVISOR)
            elif op == "issue":
                h.issue("S1")
            elif blocks.get(device):
                block = blocks[device][n % len(blocks[device])]
                merge(h, block, block.first + n % (block.last - block.first + 1))
        except EngineError as err:
            refusal = err.code
        assert refusal in {None, ErrorCode.CAP_REACHED, ErrorCode.ILLEGAL_TRANSITION}
        open_blocks = [
            b for b in h.state.leases.values() if b.device_id == device and b.last - b.first + 1 > len(b.used)
        ]
        assert len(open_blocks) <= OPEN_BLOCKS
    h.check_rebuild()
