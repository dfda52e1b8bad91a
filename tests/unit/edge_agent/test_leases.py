from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.leases import (
    LeaseBlock,
    LeaseError,
    LeaseStore,
    format_number,
)
from hall_protocol.codec import decode_as, encode
from hall_protocol.tickets import IssueTicket, LeaseGranted

DAY = "2025-03-14"
NEXT_DAY = "2025-03-15"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[LeaseStore]:
    async with await LeaseStore.open(tmp_path / "leases.db") as s:
        yield s


def stored_blocks(store: LeaseStore, service: str | None = None) -> list[LeaseBlock]:
    """The blocks in the store's file, oldest first, read by a second connection (WAL lets it in)."""
    sql = "SELECT lease_id, service, day, prefix, first, last FROM lease_blocks"
    params: tuple[str, ...] = ()
    if service is not None:
        sql += " WHERE service = ?"
        params = (service,)
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        return [LeaseBlock(*row) for row in db.execute(sql + " ORDER BY added", params)]


def test_numbers_are_formatted_like_the_controller() -> None:
    assert format_number("A", 7) == "A007"
    assert format_number("A", 123) == "A123"
    assert format_number("GB", 1203) == "GB1203"


async def test_take_hands_out_each_number_once_in_order(store: LeaseStore) -> None:
    await store.add(LeaseBlock("L1", "S1", DAY, "A", 101, 103))
    taken = [await store.take("S1", DAY, now=1000.0 + i) for i in range(4)]
    assert [t.number if t else None for t in taken] == ["A101", "A102", "A103", None]
    first = taken[0]
    assert first is not None
    assert first.issued_at == 1000.0
    assert first.lease_id == "L1"


async def test_older_block_is_used_first_then_the_next(store: LeaseStore) -> None:
    await store.add(LeaseBlock("L1", "S1", DAY, "A", 1, 2))
    await store.add(LeaseBlock("L2", "S1", DAY, "A", 50, 51))
    numbers = [n.number for _ in range(4) if (n := await store.take("S1", DAY, now=0.0))]
    assert numbers == ["A001", "A002", "A050", "A051"]


async def test_blocks_of_another_day_or_service_are_unusable(store: LeaseStore) -> None:
    await store.add(LeaseBlock("L1", "S1", DAY, "A", 1, 10))
    assert await store.take("S1", NEXT_DAY, now=0.0) is None
    assert await store.take("S2", DAY, now=0.0) is None
    assert await store.remaining("S1", NEXT_DAY) == 0
    assert await store.remaining("S1", DAY) == 10


async def test_remaining_and_needs_refill(store: LeaseStore) -> None:
    assert await store.needs_refill("S1", DAY, low_water=1)
    await store.add(LeaseBlock("L1", "S1", DAY, "A", 1, 5))
    assert not await store.needs_refill("S1", DAY, low_water=5)
    await store.take("S1", DAY, now=0.0)
    assert await store.remaining("S1", DAY) == 4
    assert await store.needs_refill("S1", DAY, low_water=5)


async def test_use_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "leases.db"
    async with await LeaseStore.open(path) as s:
        await s.add(LeaseBlock("L1", "S1", DAY, "A", 1, 3))
        n = await s.take("S1", DAY, now=0.0)
        assert n is not None
        assert n.number == "A001"
    async with await LeaseStore.open(path) as s:
        n = await s.take("S1", DAY, now=0.0)
        assert n is not None
        assert n.number == "A002"
        assert await s.remaining("S1", DAY) == 1


async def test_concurrent_takers_never_share_a_number(store: LeaseStore) -> None:
    await store.add(LeaseBlock("L1", "S1", DAY, "A", 1, 100))
    taken = await asyncio.gather(*(store.take("S1", DAY, now=0.0) for _ in range(120)))
    numbers = [t.number for t in taken if t is not None]
    assert sorted(numbers) == [format_number("A", i) for i in range(1, 101)]
    assert taken.count(None) == 20


async def test_a_replayed_grant_is_ignored_and_a_changed_one_refused(store: LeaseStore) -> None:
    block = LeaseBlock("L1", "S1", DAY, "A", 1, 10)
    assert await store.add(block) is True
    assert await store.add(block) is False
    with pytest.raises(LeaseError, match="replayed"):
        await store.add(LeaseBlock("L1", "S1", DAY, "A", 1, 20))
    assert stored_blocks(store) == [block]


async def test_overlapping_blocks_are_refused(store: LeaseStore) -> None:
    await store.add(LeaseBlock("L1", "S1", DAY, "A", 100, 200))
    with pytest.raises(LeaseError, match="overlaps"):
        await store.add(LeaseBlock("L2", "S1", DAY, "A", 200, 210))
    with pytest.raises(LeaseError, match="overlaps"):
        await store.add(LeaseBlock("L3", "S9", DAY, "A", 50, 100))  # same printed numbers, other service
    # Same numbers on another day or with another prefix print differently: allowed.
    assert await store.add(LeaseBlock("L4", "S1", NEXT_DAY, "A", 100, 200))
    assert await store.add(LeaseBlock("L5", "S2", DAY, "B", 100, 200))


@pytest.mark.parametrize(
    ("block", "field"),
    [
        (LeaseBlock("", "S1", DAY, "A", 1, 2), "lease_id"),
        (LeaseBlock("L", "", DAY, "A", 1, 2), "service"),
        (LeaseBlock("L", "S1", "14/03/2025", "A", 1, 2), "day"),
        (LeaseBlock("L", "S1", "2025-02-30", "A", 1, 2), "day"),
        (LeaseBlock("L", "S1", DAY, "a", 1, 2), "prefix"),
        (LeaseBlock("L", "S1", DAY, "ABC", 1, 2), "prefix"),
        (LeaseBlock("L", "S1", DAY, "A", 0, 2), "range"),
        (LeaseBlock("L", "S1", DAY, "A", 5, 4), "range"),
    ],
)
async def test_malformed_blocks_are_refused(store: LeaseStore, block: LeaseBlock, field: str) -> None:
    with pytest.raises(LeaseError, match=field):
        await store.add(block)
    assert stored_blocks(store) == []


async def test_discard_before_removes_old_days(store: LeaseStore) -> None:
    await store.add(LeaseBlock("L1", "S1", "2025-03-13", "A", 1, 5))
    await store.add(LeaseBlock("L2", "S1", DAY, "A", 1, 5))
    assert await store.discard_before(DAY) == 1
    assert [b.lease_id for b in stored_blocks(store, "S1")] == ["L2"]


async def test_round_trip_with_the_wire_messages(store: LeaseStore) -> None:
    granted = LeaseGranted(request_id="r1", lease_id="L9", service="S1", day=DAY, prefix="C", first=1201,
                           last=1220)
    await store.add(LeaseBlock.from_granted(granted))
    number = await store.take("S1", DAY, now=1_700_000_000.5)
    assert number is not None
    request = IssueTicket(request_id="r2", service="S1", source_device="kiosk-1",
                          provisional=number.to_protocol())
    back = decode_as(encode(request), IssueTicket)
    assert back.provisional is not None
    assert back.provisional.number == "C1201"
    assert back.provisional.lease_id == "L9"
    assert back.provisional.arrived_at == 1_700_000_000.5


async def test_unopenable_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(LeaseError):
        await LeaseStore.open(tmp_path / "missing-dir" / "leases.db")
