from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from edge_agent.outbox_items import (
    DroppedItem,
    DropReason,
    Lane,
    OutboxClosed,
    OutboxFull,
    OutboxStorageError,
)
from edge_agent.outbox_store import Outbox

T0 = 1_700_000_000.0


async def open_outbox(path: Path, **kw: object) -> Outbox:
    options: dict[str, object] = {"max_bytes": 1_000_000, "max_age_s": 3600.0, "device_id": "kiosk-1"}
    options.update(kw)
    return await Outbox.open(path, **options)  # type: ignore[arg-type]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.db"


async def test_durability_settings(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        assert await ob.durability() == {"journal_mode": "wal", "synchronous": "FULL"}


async def test_peek_orders_by_lane_priority_then_seq(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        plan = [Lane.TELEMETRY, Lane.EVENTS, Lane.TICKETS, Lane.TELEMETRY, Lane.RATINGS, Lane.EVENTS,
                Lane.TICKETS]
        for i, lane in enumerate(plan):
            await ob.put(lane, f"t/{i}", f"{i}".encode(), now=T0 + i)
        items = await ob.peek(100, now=T0 + 10)
    # Tickets and ratings share the first priority, so a rating keeps its place after the ticket it rates.
    assert [(it.lane, it.payload) for it in items] == [
        (Lane.TICKETS, b"2"), (Lane.RATINGS, b"4"), (Lane.TICKETS, b"6"),
        (Lane.EVENTS, b"1"), (Lane.EVENTS, b"5"),
        (Lane.TELEMETRY, b"0"), (Lane.TELEMETRY, b"3"),
    ]
    for lane in Lane:
        seqs = [it.seq for it in items if it.lane is lane]
        assert seqs == sorted(seqs)


async def test_peek_limit_and_exclude(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        puts = [await ob.put(Lane.EVENTS, "t", bytes([i]), now=T0) for i in range(5)]
        first_two = await ob.peek(2, now=T0)
        assert [i.seq for i in first_two] == [puts[0].seq, puts[1].seq]
        rest = await ob.peek(10, now=T0, exclude={puts[0].seq, puts[1].seq})
        assert [i.seq for i in rest] == [p.seq for p in puts[2:]]
        assert await ob.peek(0, now=T0) == []


async def test_ack_removes_only_that_item(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        a = await ob.put(Lane.TICKETS, "t", b"a", now=T0)
        b = await ob.put(Lane.TICKETS, "t", b"b", now=T0 + 5)
        assert await ob.ack(a.seq) is True
        assert await ob.ack(a.seq) is False  # a second PUBACK for the same id is harmless
        assert [i.seq for i in await ob.peek(10, now=T0 + 6)] == [b.seq]
        stats = ob.stats(T0 + 10)
        assert stats.depth == 1
        assert stats.bytes == b.size
        assert stats.oldest_age_s == pytest.approx(5.0)  # the oldest left is b, not a
        assert await ob.ack_many([b.seq, 999]) == 1
        assert ob.stats(T0 + 10).depth == 0
        assert ob.stats(T0 + 10).oldest_age_s == 0.0


async def test_concurrent_acks_of_one_item_count_once(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        a = await ob.put(Lane.TICKETS, "t", b"a", now=T0)
        b = await ob.put(Lane.EVENTS, "t", b"b", now=T0)
        c = await ob.put(Lane.EVENTS, "t", b"c", now=T0 + 1)
        results = await asyncio.gather(ob.ack(a.seq), ob.ack(a.seq), ob.ack(b.seq), ob.ack(12345))
        assert list(results) == [True, False, True, False]
        assert await ob.peek(10, now=T0 + 2) == [c]
        assert ob.stats(T0 + 2).per_lane[Lane.EVENTS].oldest_age_s == 1.0
        assert ob.stats(T0 + 2).per_lane[Lane.TICKETS].depth == 0


async def test_seq_increases_across_reopen_even_when_everything_was_acked(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        items = [await ob.put(Lane.EVENTS, "t", b"x", now=T0) for _ in range(3)]
        assert [i.seq for i in items] == [1, 2, 3]
        await ob.ack_many(i.seq for i in items)
    async with await open_outbox(db_path) as ob:
        assert (await ob.put(Lane.EVENTS, "t", b"y", now=T0)).seq == 4
        assert (await ob.put(Lane.TICKETS, "t", b"z", now=T0)).seq == 5
    async with await open_outbox(db_path) as ob:
        assert (await ob.put(Lane.TELEMETRY, "t", b"w", now=T0)).seq == 6


async def test_items_and_stats_survive_reopen(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        stored = [await ob.put(Lane.RATINGS, "ov/v1/h/rpc/rating", b"r" * i, key=f"k{i}", expiry_s=60, now=T0 + i)
                  for i in range(1, 4)]
        before = ob.stats(T0 + 10)
    async with await open_outbox(db_path) as ob:
        assert ob.stats(T0 + 10) == before
        assert await ob.peek(10, now=T0 + 10) == stored
    assert stored[0].expiry_interval(T0 + 10) == 51
    assert stored[0].expires_at == T0 + 61


async def test_concurrent_puts_get_unique_contiguous_seqs(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        items = await asyncio.gather(*(ob.put(Lane.EVENTS, "t", str(i).encode(), now=T0) for i in range(500)))
        assert sorted(i.seq for i in items) == list(range(1, 501))
        # Submission order is seq order: group commit must not reorder a single producer's messages.
        assert [i.seq for i in items] == list(range(1, 501))
        assert len({i.key for i in items}) == 500
        assert ob.stats(T0).depth == 500


async def test_a_given_key_still_stored_returns_the_stored_item(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        first = await ob.put(Lane.TICKETS, "t", b"issue", key="req-1", now=T0)
        again = await ob.put(Lane.TICKETS, "t", b"issue", key="req-1", now=T0 + 1)
        same_group = await asyncio.gather(*(ob.put(Lane.TICKETS, "t", b"x", key="req-2", now=T0) for _ in range(3)))
        assert again == first
        assert len({i.seq for i in same_group}) == 1
        assert ob.stats(T0).depth == 2


async def test_byte_cap_evicts_oldest_telemetry_first_then_events(db_path: Path) -> None:
    dropped: list[DroppedItem] = []
    async with await open_outbox(db_path, max_bytes=1000, on_drop=dropped.append) as ob:
        tele = [await ob.put(Lane.TELEMETRY, "t", b"x" * 99, now=T0 + i) for i in range(3)]  # 100 bytes + key
        ev = [await ob.put(Lane.EVENTS, "e", b"x" * 99, now=T0 + i) for i in range(3)]
        tick = await ob.put(Lane.TICKETS, "k", b"x" * 99, now=T0)
        size = tick.size
        assert ob.stats(T0).bytes == 7 * size
        # 604 bytes: room only after evicting four 132-byte items: the three telemetry, then the oldest event.
        big = await ob.put(Lane.TICKETS, "k", b"x" * 571, now=T0)
        assert big.size == 604
        remaining = {i.seq for i in await ob.peek(100, now=T0)}
        assert big.seq in remaining
        assert tick.seq in remaining
        assert size == 132
        assert all(d.reason is DropReason.EVICTED for d in dropped)
        assert [d.seq for d in dropped] == [t.seq for t in tele] + [ev[0].seq]
        assert remaining == {big.seq, tick.seq, ev[1].seq, ev[2].seq}
        assert ob.stats(T0).bytes == 1000


async def test_tickets_are_refused_never_evicted(db_path: Path) -> None:
    async with await open_outbox(db_path, max_bytes=1000) as ob:
        tickets = [await ob.put(Lane.TICKETS, "k", b"x" * 100, now=T0) for _ in range(7)]  # 7 x 133 bytes
        with pytest.raises(OutboxFull) as info:
            await ob.put(Lane.TICKETS, "k", b"x" * 100, now=T0)
        assert info.value.lane is Lane.TICKETS
        # what the caller needs to say why: the item's size and the room left (69 free, nothing evictable)
        assert (info.value.size, info.value.free, info.value.max_bytes) == (133, 69, 1000)
        assert "outbox full" in str(info.value)
        assert [i.seq for i in await ob.peek(100, now=T0)] == [t.seq for t in tickets]
        # Telemetry cannot push out tickets either.
        with pytest.raises(OutboxFull):
            await ob.put(Lane.TELEMETRY, "t", b"x" * 100, now=T0)
        # The refusal took no seq: the next stored item follows the last stored one.
        await ob.ack(tickets[0].seq)
        nxt = await ob.put(Lane.TICKETS, "k", b"y", now=T0)
        assert nxt.seq == tickets[-1].seq + 1


async def test_events_cannot_evict_tickets_but_can_evict_telemetry(db_path: Path) -> None:
    async with await open_outbox(db_path, max_bytes=600) as ob:
        t = await ob.put(Lane.TELEMETRY, "t", b"x" * 100, now=T0)
        k = [await ob.put(Lane.TICKETS, "k", b"x" * 100, now=T0) for _ in range(3)]
        e = await ob.put(Lane.EVENTS, "e", b"x" * 100, now=T0)  # fits only by evicting the telemetry
        seqs = {i.seq for i in await ob.peek(100, now=T0)}
        assert t.seq not in seqs
        assert seqs == {e.seq, *(i.seq for i in k)}
        with pytest.raises(OutboxFull):
            await ob.put(Lane.TELEMETRY, "t", b"x" * 300, now=T0)  # telemetry may not evict events


async def test_item_larger_than_the_cap_is_refused(db_path: Path) -> None:
    async with await open_outbox(db_path, max_bytes=100) as ob:
        with pytest.raises(OutboxFull):
            await ob.put(Lane.TELEMETRY, "t", b"x" * 200, now=T0)
        assert ob.stats(T0).depth == 0


async def test_alarm_rises_before_the_byte_cap(db_path: Path) -> None:
    async with await open_outbox(db_path, max_bytes=1000, alarm_fraction=0.5) as ob:
        while ob.stats(T0).bytes + 140 < 500:
            await ob.put(Lane.TICKETS, "k", b"x" * 100, now=T0)
            assert not ob.stats(T0).alarm
        await ob.put(Lane.TICKETS, "k", b"x" * 100, now=T0)
        stats = ob.stats(T0)
        assert stats.bytes >= 500
        assert stats.alarm
        assert stats.bytes < 1000


async def test_age_alarm_and_age_cap_spare_tickets(db_path: Path) -> None:
    dropped: list[DroppedItem] = []
    async with await open_outbox(db_path, max_age_s=100, alarm_fraction=0.8, on_drop=dropped.append) as ob:
        ticket = await ob.put(Lane.TICKETS, "k", b"t", now=T0)
        tele = await ob.put(Lane.TELEMETRY, "t", b"m", now=T0)
        assert not ob.stats(T0 + 79).alarm
        assert ob.stats(T0 + 80).alarm
        items = await ob.peek(10, now=T0 + 150)
        assert [i.seq for i in items] == [ticket.seq]  # the ticket is kept past max_age, only alarmed
        assert dropped == [DroppedItem(tele.seq, Lane.TELEMETRY, "t", tele.key, DropReason.MAX_AGE)]
        assert ob.stats(T0 + 150).alarm


async def test_expired_items_are_dropped_with_a_logged_reason(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dropped: list[DroppedItem] = []
    async with await open_outbox(db_path, on_drop=dropped.append) as ob:
        keep = await ob.put(Lane.EVENTS, "e", b"keep", now=T0)
        call = await ob.put(Lane.EVENTS, "e", b"stale call", expiry_s=30, now=T0)
        rating = await ob.put(Lane.RATINGS, "r", b"late", expiry_s=10, now=T0)
        assert {i.seq for i in await ob.peek(10, now=T0 + 9.9)} == {keep.seq, call.seq, rating.seq}
        with caplog.at_level(logging.INFO, logger="edge_agent.outbox_store"):
            items = await ob.peek(10, now=T0 + 30)
        assert [i.seq for i in items] == [keep.seq]
        assert {(d.seq, d.reason) for d in dropped} == {
            (call.seq, DropReason.EXPIRED), (rating.seq, DropReason.EXPIRED)
        }
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert any("ratings" in r.getMessage() and "expired" in r.getMessage() for r in warnings)
        assert ob.stats(T0 + 30).depth == 1
    async with await open_outbox(db_path) as ob:
        assert [i.seq for i in await ob.peek(10, now=T0 + 30)] == [keep.seq]


async def test_purge_returns_what_it_dropped(db_path: Path) -> None:
    async with await open_outbox(db_path, max_age_s=50) as ob:
        a = await ob.put(Lane.TELEMETRY, "t", b"1", now=T0)
        b = await ob.put(Lane.EVENTS, "e", b"2", expiry_s=5, now=T0)
        dropped = await ob.purge(now=T0 + 60)
        assert {(d.seq, d.reason) for d in dropped} == {(a.seq, DropReason.MAX_AGE), (b.seq, DropReason.EXPIRED)}
        assert await ob.purge(now=T0 + 60) == []


async def test_failed_group_stores_nothing_and_leaves_no_seq_gap(db_path: Path) -> None:
    async with await open_outbox(db_path) as ob:
        first = await ob.put(Lane.TICKETS, "k", b"ok", now=T0)
        # A trigger stands in for a disk error in the middle of a group commit.
        con = sqlite3.connect(db_path)
        con.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON items WHEN NEW.topic = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END"
        )
        con.commit()
        con.close()
        before = ob.stats(T0)
        results = await asyncio.gather(
            ob.put(Lane.TICKETS, "k", b"a", now=T0),
            ob.put(Lane.TICKETS, "boom", b"b", now=T0),
            ob.put(Lane.TICKETS, "k", b"c", now=T0),
            return_exceptions=True,
        )
        assert all(isinstance(r, OutboxStorageError) for r in results)
        assert ob.stats(T0) == before
        assert [i.seq for i in await ob.peek(10, now=T0)] == [first.seq]
        after = await ob.put(Lane.TICKETS, "k", b"d", now=T0)
        assert after.seq == first.seq + 1


async def test_refuses_a_file_of_another_device(db_path: Path) -> None:
    ob = await open_outbox(db_path, device_id="kiosk-1")
    await ob.close()
    with pytest.raises(OutboxStorageError, match="kiosk-1"):
        await open_outbox(db_path, device_id="kiosk-2")


@pytest.fixture
def corrupt_db(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database" * 200)
    return path


async def test_a_corrupt_file_is_a_typed_error(corrupt_db: Path) -> None:
    with pytest.raises(OutboxStorageError):
        await open_outbox(corrupt_db)


async def test_a_missing_folder_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(OutboxStorageError, match="does not exist"):
        await open_outbox(tmp_path / "missing" / "outbox.db")


async def test_closed_outbox_refuses_work(db_path: Path) -> None:
    ob = await open_outbox(db_path)
    await ob.close()
    with pytest.raises(OutboxClosed):
        await ob.put(Lane.EVENTS, "e", b"x", now=T0)
    with pytest.raises(OutboxClosed):
        await ob.peek(1, now=T0)
    await ob.close()  # idempotent


async def test_bad_arguments(db_path: Path) -> None:
    with pytest.raises(ValueError, match="alarm_fraction"):
        await open_outbox(db_path, alarm_fraction=1.5)
    async with await open_outbox(db_path) as ob:
        with pytest.raises(ValueError, match="qos"):
            await ob.put(Lane.EVENTS, "e", b"x", qos=3, now=T0)
        with pytest.raises(ValueError, match="expiry_s"):
            await ob.put(Lane.EVENTS, "e", b"x", expiry_s=0, now=T0)
        with pytest.raises(ValueError):
            await ob.put("nonsense", "e", b"x", now=T0)  # type: ignore[arg-type]

