"""The outbox's SQLite side: the schema, reading it at open, and one transaction per group of mutations.

Only the outbox's writer task (:class:`edge_agent.outbox_store.Outbox`) calls :class:`OutboxDb`: a group of
puts, acks and purges is applied in one ``BEGIN IMMEDIATE`` … ``COMMIT`` (group commit), with the per-lane
counters kept exact alongside, so that ``stats()`` never reads the disk. Eviction and age/expiry purges run
inside the same transaction as the put that needs the room.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiosqlite

from edge_agent.outbox_items import (
    EVICTION_ORDER,
    DroppedItem,
    DropReason,
    Lane,
    OutboxFull,
    OutboxItem,
    OutboxStorageError,
    item_size,
)
from hall_runtime.sqlite import StorageError, open_durable

logger = logging.getLogger(__name__)

_SQL_CHUNK = 500  # host parameters per IN (...) list, well under SQLite's limit


# Mutations: what one transaction applies, in order -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Put:
    lane: Lane
    topic: str
    payload: bytes
    key: str
    key_given: bool
    qos: int
    now: float
    expires_at: float | None

    @property
    def size(self) -> int:
        return item_size(self.topic, self.payload, self.key)


@dataclass(frozen=True, slots=True)
class Ack:
    seqs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Purge:
    now: float


Mutation = Put | Ack | Purge
# per mutation: the stored item (or OutboxFull), how many acked seqs were present, what a purge dropped
Result = OutboxItem | OutboxFull | int | list[DroppedItem]


@dataclass(slots=True)
class Tally:
    count: int = 0
    bytes: int = 0
    oldest: float | None = None


@dataclass(slots=True)
class _Group:
    """The state of one transaction in progress."""

    rows: list[tuple[object, ...]] = field(default_factory=list)  # inserts not yet sent to SQLite
    touched: set[Lane] = field(default_factory=set)  # lanes that lost rows: their oldest must be re-read
    dropped: list[DroppedItem] = field(default_factory=list)
    by_key: dict[str, OutboxItem] = field(default_factory=dict)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    lane TEXT NOT NULL,
    priority INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    key TEXT NOT NULL UNIQUE,
    qos INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_order ON items (priority, seq);
CREATE INDEX IF NOT EXISTS items_lane_age ON items (lane, created_at);
CREATE INDEX IF NOT EXISTS items_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
"""

_COLUMNS = "seq, lane, topic, payload, key, qos, created_at, expires_at"


def _item(row: sqlite3.Row | tuple[object, ...]) -> OutboxItem:
    seq, lane, topic, payload, key, qos, created_at, expires_at = tuple(row)
    assert isinstance(seq, int)
    assert isinstance(lane, str)
    assert isinstance(topic, str)
    assert isinstance(payload, bytes)
    assert isinstance(key, str)
    assert isinstance(qos, int)
    assert isinstance(created_at, float | int)
    assert expires_at is None or isinstance(expires_at, float | int)
    return OutboxItem(
        seq, Lane(lane), topic, payload, key, qos, float(created_at),
        None if expires_at is None else float(expires_at),
    )


class OutboxDb:
    """The outbox file and the counters kept beside it. See the module docstring."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        max_bytes: int,
        max_age_s: float,
        next_seq: int,
        tallies: dict[Lane, Tally],
    ) -> None:
        self._db = db
        self.path = path
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._next_seq = next_seq
        self._stored_next_seq = next_seq
        self._tallies = tallies

    @classmethod
    async def open(cls, path: Path, *, device_id: str, max_bytes: int, max_age_s: float) -> OutboxDb:
        """Open (or create) the file; it belongs to one device: another id is refused."""
        try:
            db = await open_durable(path, _SCHEMA)
        except StorageError as err:
            raise OutboxStorageError(f"outbox: {err}") from err
        try:
            next_seq, tallies = await cls._load(db, path, device_id)
        except BaseException:
            await db.close()
            raise
        return cls(db, path, max_bytes=max_bytes, max_age_s=max_age_s, next_seq=next_seq, tallies=tallies)

    @staticmethod
    async def _load(db: aiosqlite.Connection, path: Path, device_id: str) -> tuple[int, dict[Lane, Tally]]:
        try:
            await db.execute("BEGIN IMMEDIATE")
            meta: dict[str, str] = {k: v for k, v in await db.execute_fetchall("SELECT k, v FROM meta")}
            owner = meta.get("device_id")
            if owner is None:
                await db.execute("INSERT INTO meta (k, v) VALUES ('device_id', ?)", (device_id,))
            elif owner != device_id:
                await db.execute("ROLLBACK")
                raise OutboxStorageError(f"{path} belongs to device {owner!r}, not {device_id!r}")
            rows = await db.execute_fetchall("SELECT max(seq) FROM items")
            max_seq = next(iter(rows))[0]
            next_seq = max(int(meta.get("next_seq", "1")), (max_seq or 0) + 1)
            tallies = {lane: Tally() for lane in Lane}
            rows = await db.execute_fetchall(
                "SELECT lane, count(*), sum(size), min(created_at) FROM items GROUP BY lane"
            )
            for lane_name, count, size, oldest in rows:
                try:
                    lane = Lane(lane_name)
                except ValueError:
                    logger.warning("outbox %s: ignoring %d item(s) of lane %r", path, count, lane_name)
                    continue
                tallies[lane] = Tally(count, size, oldest)
            await db.execute("COMMIT")
        except sqlite3.Error as err:
            raise OutboxStorageError(f"cannot read outbox {path}: {err}") from err
        return next_seq, tallies

    async def close(self) -> None:
        await self._db.close()

    @property
    def next_seq(self) -> int:
        return self._next_seq

    @property
    def tallies(self) -> dict[Lane, Tally]:
        return self._tallies

    async def durability(self) -> dict[str, str]:
        """The SQLite settings in force on this connection."""
        out: dict[str, str] = {}
        for pragma in ("journal_mode", "synchronous"):
            rows = await self._db.execute_fetchall(f"PRAGMA {pragma}")
            out[pragma] = str(next(iter(rows))[0])
        out["synchronous"] = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}.get(
            out["synchronous"], out["synchronous"]
        )
        return out

    async def read(self, limit: int, exclude: frozenset[int]) -> list[OutboxItem]:
        """The next ``limit`` items in lane-priority then seq order, without those in ``exclude``."""
        params: list[object] = []
        where = ""
        if exclude:
            where = f"WHERE seq NOT IN ({','.join('?' * len(exclude))})"
            params.extend(exclude)
        params.append(limit)
        try:
            rows = await self._db.execute_fetchall(
                f"SELECT {_COLUMNS} FROM items {where} ORDER BY priority, seq LIMIT ?", params
            )
        except sqlite3.Error as err:
            raise OutboxStorageError(f"outbox read failed: {err}") from err
        return [_item(r) for r in rows]

    async def commit(self, ops: list[Mutation]) -> tuple[list[Result], list[DroppedItem]]:
        """Apply ``ops`` in one transaction: one result per op, and everything the group dropped (by expiry,
        age or eviction). A failed group stores nothing and changes no counter: it raises
        OutboxStorageError (or, when cancelled, re-raises after the rollback)."""
        saved_tallies = {lane: replace(t) for lane, t in self._tallies.items()}
        saved_seq = self._next_seq
        results: list[Result] = []
        g = _Group()
        # Only a put must survive a power cut once it returns. A group of acks and purges is committed
        # without its own fsync: lost, it means a delivered message is sent once more (the controller answers
        # the replay), and the next put's fsync makes it durable anyway. The drain no longer waits for the disk.
        relaxed = not any(isinstance(op, Put) for op in ops)
        try:
            if relaxed:
                await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._db.execute("BEGIN IMMEDIATE")
            await self._load_given_keys(ops, g)
            i = 0
            while i < len(ops):
                op = ops[i]
                if isinstance(op, Put):
                    results.append(await self._apply_put(op, g))
                elif isinstance(op, Ack):
                    # PUBACKs arrive one by one: a run of acks becomes one DELETE.
                    run = [op]
                    while i + 1 < len(ops) and isinstance(nxt := ops[i + 1], Ack):
                        run.append(nxt)
                        i += 1
                    await self._flush(g)
                    deleted = await self._delete(tuple(s for a in run for s in a.seqs), g, None)
                    for ack in run:
                        mine = deleted.intersection(ack.seqs)
                        deleted -= mine  # a seq acked twice in one run counts for the first ack only
                        results.append(len(mine))
                else:
                    await self._flush(g)
                    results.append(await self._purge_in_tx(op.now, g))
                i += 1
            await self._flush(g)
            await self._refresh_oldest(g.touched)
            # Without deletions the highest stored seq already tells the next one (see _load); the meta row
            # matters only once the highest rows may be gone, so a put-only group saves a round trip.
            if g.touched and self._next_seq != self._stored_next_seq:
                await self._db.execute(
                    "INSERT OR REPLACE INTO meta (k, v) VALUES ('next_seq', ?)", (str(self._next_seq),)
                )
            await self._db.execute("COMMIT")
        except Exception as err:
            await self._rollback()
            self._tallies = saved_tallies
            self._next_seq = saved_seq
            logger.error("outbox %s: transaction of %d op(s) failed: %s", self.path, len(ops), err)
            raise OutboxStorageError(f"outbox write failed: {err}") from err
        except BaseException:
            await asyncio.shield(self._rollback())
            self._tallies = saved_tallies
            self._next_seq = saved_seq
            raise
        finally:
            if relaxed:
                await asyncio.shield(self._full_sync())
        if g.touched:
            self._stored_next_seq = self._next_seq
        return results, g.dropped

    async def _full_sync(self) -> None:
        try:
            await self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as err:  # the connection is gone; a reopened one starts at FULL
            logger.debug("outbox: cannot restore synchronous=FULL: %s", err)

    async def _rollback(self) -> None:
        try:
            await self._db.execute("ROLLBACK")
        except sqlite3.Error as err:  # no transaction open, or the connection is gone
            logger.debug("outbox rollback: %s", err)

    async def _load_given_keys(self, ops: list[Mutation], g: _Group) -> None:
        keys = list({op.key for op in ops if isinstance(op, Put) and op.key_given})
        for i in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[i : i + _SQL_CHUNK]
            rows = await self._db.execute_fetchall(
                f"SELECT {_COLUMNS} FROM items WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                item = _item(row)
                g.by_key[item.key] = item

    async def _apply_put(self, op: Put, g: _Group) -> OutboxItem | OutboxFull:
        existing = g.by_key.get(op.key)
        if existing is not None:
            return existing
        size = op.size
        over = self._total_bytes() + size - self.max_bytes
        if over > 0:
            await self._flush(g)
            await self._purge_in_tx(op.now, g)
            over = self._total_bytes() + size - self.max_bytes
        if over > 0:
            victims = [lane for lane in EVICTION_ORDER if lane.priority >= op.lane.priority]
            evictable = sum(self._tallies[lane].bytes for lane in victims)
            if evictable < over:
                free = self.max_bytes - self._total_bytes()
                logger.warning(
                    "outbox %s refused a %d-byte %s item: full (%d free, %d evictable)",
                    self.path, size, op.lane, free, evictable,
                )
                return OutboxFull(op.lane, size, max(0, free) + evictable, self.max_bytes)
            for lane in victims:
                if over <= 0:
                    break
                over -= await self._evict(lane, over, g)
        item = OutboxItem(
            self._next_seq, op.lane, op.topic, op.payload, op.key, op.qos, op.now, op.expires_at
        )
        self._next_seq += 1
        g.rows.append(
            (item.seq, item.lane.value, item.lane.priority, item.topic, item.payload, item.key, item.qos,
             item.created_at, item.expires_at, size)
        )
        if op.key_given:
            g.by_key[op.key] = item
        tally = self._tallies[op.lane]
        tally.count += 1
        tally.bytes += size
        tally.oldest = op.now if tally.oldest is None else min(tally.oldest, op.now)
        return item

    async def _flush(self, g: _Group) -> None:
        if g.rows:
            await self._db.executemany(
                "INSERT INTO items (seq, lane, priority, topic, payload, key, qos, created_at, expires_at,"
                " size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                g.rows,
            )
            g.rows = []

    async def _evict(self, lane: Lane, need: int, g: _Group) -> int:
        """Delete the oldest items of ``lane`` until ``need`` bytes are free; returns the bytes freed."""
        freed = 0
        while freed < need and self._tallies[lane].count:
            rows = await self._db.execute_fetchall(
                "SELECT seq, size FROM items WHERE lane = ? ORDER BY seq LIMIT 256", (lane.value,)
            )
            chosen: list[int] = []
            for seq, size in rows:
                if freed >= need:
                    break
                chosen.append(seq)
                freed += size
            if not chosen:
                break
            await self._delete(tuple(chosen), g, DropReason.EVICTED)
        return freed

    async def _purge_in_tx(self, now: float, g: _Group) -> list[DroppedItem]:
        found: dict[int, DropReason] = {}
        rows = await self._db.execute_fetchall(
            "SELECT seq FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
        )
        found.update((seq, DropReason.EXPIRED) for (seq,) in rows)
        for lane in EVICTION_ORDER:
            rows = await self._db.execute_fetchall(
                "SELECT seq FROM items WHERE lane = ? AND created_at <= ?", (lane.value, now - self.max_age_s)
            )
            for (seq,) in rows:
                found.setdefault(seq, DropReason.MAX_AGE)
        before = len(g.dropped)
        for reason in DropReason:
            seqs = tuple(s for s, r in found.items() if r is reason)
            if seqs:
                await self._delete(seqs, g, reason)
        return g.dropped[before:]

    async def _delete(self, seqs: tuple[int, ...], g: _Group, reason: DropReason | None) -> set[int]:
        """Delete rows by seq, keeping the tallies exact; returns the seqs that were present.
        ``reason`` None means acknowledged, which is not a drop."""
        deleted: set[int] = set()
        for i in range(0, len(seqs), _SQL_CHUNK):
            chunk = seqs[i : i + _SQL_CHUNK]
            rows = await self._db.execute_fetchall(
                f"DELETE FROM items WHERE seq IN ({','.join('?' * len(chunk))})"
                " RETURNING seq, lane, topic, key, size",
                chunk,
            )
            for seq, lane_name, topic, key, size in sorted(rows):  # RETURNING promises no order
                deleted.add(seq)
                lane = Lane(lane_name)
                tally = self._tallies[lane]
                tally.count -= 1
                tally.bytes -= size
                g.touched.add(lane)
                if reason is not None:
                    g.dropped.append(DroppedItem(seq, lane, topic, key, reason))
        return deleted

    async def _refresh_oldest(self, lanes: Iterable[Lane]) -> None:
        for lane in lanes:
            tally = self._tallies[lane]
            if tally.count == 0:
                tally.oldest = None
                continue
            rows = await self._db.execute_fetchall(
                "SELECT min(created_at) FROM items WHERE lane = ?", (lane.value,)
            )
            tally.oldest = next(iter(rows))[0]

    def _total_bytes(self) -> int:
        return sum(t.bytes for t in self._tallies.values())

