"""The agent's durable outbox: every message is written to disk before it is sent, and removed only on PUBACK.

Storage is one SQLite file opened through aiosqlite, in WAL mode with ``synchronous=FULL``.

Why FULL and not NORMAL: in WAL mode NORMAL skips the fsync of the WAL at each commit, so a committed
transaction survives a process crash (kill -9: the WAL pages are already in the OS page cache) but *not* a
power cut, which can roll back the last commits. A kiosk on a hall's mains is switched off at the wall every
evening, and a ticket that ``put()`` said was stored must still be there in the morning, so every commit here
fsyncs the WAL. The cost of that fsync is paid once per *group*, not per message: all ``put()`` calls that
arrive while a commit is in flight are written by the next single transaction (group commit), and each
``put()`` returns only after the transaction holding its row has committed. Durable-before-return holds for
every message; throughput grows with the number of concurrent producers (see ``bench/outbox.py``).

Model
- Items live in lanes (:class:`Lane`). ``peek()`` returns them by lane priority (tickets and ratings, then
  events, then telemetry) and FIFO by ``seq`` within a priority. Tickets and ratings share one priority so
  that a rating never overtakes the provisional ticket it rates.
- ``seq`` is a per-device, strictly increasing sequence number that survives restarts (kept in the same
  transaction as the rows it numbers), so the controller can detect gaps and duplicates
  (:func:`audit_sequence`). The item id used by :meth:`Outbox.ack` *is* its ``seq``.
- Each item carries an idempotency ``key`` (given by the caller, or a generated uuid4). A ``put()`` whose
  given key is still in the outbox returns the stored item instead of storing a second copy.
- Caps: ``max_bytes`` (sum of topic + payload + key bytes) and ``max_age_s``. Events and telemetry are
  evictable: when a put would pass the byte cap, the oldest telemetry goes first, then the oldest events
  (a put may evict only lanes of its own or lower priority); items of those lanes older than ``max_age_s``
  are dropped. Tickets and ratings are never evicted: when they alone leave no room, the put is refused
  with :class:`OutboxFull` so that the UI can tell the citizen. Their age only raises the alarm.
- ``stats().alarm`` rises at ``alarm_fraction`` of either cap, before anything is refused or evicted.
- Items whose own expiry passed are dropped (logged with the reason, and passed to ``on_drop``).

Concurrency: one writer task owns the connection. Mutations (put, ack, purge) queue up and are committed in
groups; reads (peek) run between transactions, so they never see uncommitted rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiosqlite

from hall_protocol.errors import OneVisitError

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_MAX_GROUP = 1024  # ops per transaction; bounds the latency of the first put in a large group
_SQL_CHUNK = 500  # host parameters per IN (...) list, well under SQLite's limit


class Lane(StrEnum):
    TICKETS = "tickets"
    RATINGS = "ratings"
    EVENTS = "events"
    TELEMETRY = "telemetry"

    @property
    def priority(self) -> int:
        """0 is sent first."""
        return _PRIORITY[self]

    @property
    def evictable(self) -> bool:
        return self in (Lane.EVENTS, Lane.TELEMETRY)


_PRIORITY = {Lane.TICKETS: 0, Lane.RATINGS: 0, Lane.EVENTS: 1, Lane.TELEMETRY: 2}
_EVICTION_ORDER = (Lane.TELEMETRY, Lane.EVENTS)  # lowest priority first


class DropReason(StrEnum):
    EXPIRED = "expired"  # the item's own expiry passed
    MAX_AGE = "max-age"  # an evictable item older than the outbox's max_age_s
    EVICTED = "evicted"  # made room for a newer or more important item


# Errors --------------------------------------------------------------------------------------------------


class OutboxError(OneVisitError):
    """Root of the outbox's errors. ``message_zh`` / ``message_en`` are for people, ``str()`` for the log."""

    message_zh = "本机暂存出现问题，请联系工作人员。"
    message_en = "The device could not store the request. Please ask a member of staff."


class OutboxFull(OutboxError):
    """The put was refused: higher-priority items alone fill the byte cap (nothing was evicted)."""

    message_zh = "网络中断时间较长，本机暂存已满，暂时无法办理，请到窗口咨询。"
    message_en = (
        "The hall network has been down for a while and this device's store is full. Please ask at a window."
    )

    def __init__(self, lane: Lane, size: int, free: int, max_bytes: int) -> None:
        super().__init__(
            f"outbox full: a {size}-byte {lane} item does not fit "
            f"({free} bytes free or evictable of {max_bytes})"
        )
        self.lane = lane
        self.size = size
        self.free = free
        self.max_bytes = max_bytes


class OutboxStorageError(OutboxError):
    """SQLite failed (disk full, I/O error, corrupt file). Nothing of the failed group was stored."""


class OutboxClosed(OutboxError):
    """The outbox was closed, or its writer stopped."""


# Values ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int  # also the item id for ack()
    lane: Lane
    topic: str
    payload: bytes
    key: str
    qos: int
    created_at: float
    expires_at: float | None

    @property
    def item_id(self) -> int:
        return self.seq

    @property
    def size(self) -> int:
        return _size(self.topic, self.payload, self.key)

    def expiry_interval(self, now: float) -> int | None:
        """Seconds left, rounded up, for the MQTT v5 message-expiry-interval; None when it never expires."""
        if self.expires_at is None:
            return None
        return max(1, math.ceil(self.expires_at - now))


@dataclass(frozen=True, slots=True)
class DroppedItem:
    seq: int
    lane: Lane
    topic: str
    key: str
    reason: DropReason


@dataclass(frozen=True, slots=True)
class LaneStats:
    depth: int
    bytes: int
    oldest_age_s: float


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int
    bytes: int
    oldest_age_s: float
    alarm: bool
    per_lane: Mapping[Lane, LaneStats]
    max_bytes: int
    max_age_s: float


@dataclass(frozen=True, slots=True)
class SeqAudit:
    """What a receiver saw of a sender's sequence numbers."""

    received: int
    distinct: int
    first: int | None
    last: int | None
    gaps: tuple[tuple[int, int], ...]  # inclusive ranges never received
    duplicates: tuple[int, ...]  # seqs received more than once (each listed once)

    @property
    def missing(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.gaps)

    @property
    def ok(self) -> bool:
        return not self.gaps and not self.duplicates


def audit_sequence(
    received: Iterable[int], *, expected_first: int | None = None, expected_last: int | None = None
) -> SeqAudit:
    """Report gaps and duplicates in ``received``. Bounds default to the lowest and highest seq seen."""
    seen: dict[int, int] = {}
    total = 0
    for s in received:
        seen[s] = seen.get(s, 0) + 1
        total += 1
    if not seen and (expected_first is None or expected_last is None):
        return SeqAudit(total, 0, expected_first, expected_last, (), ())
    first = expected_first if expected_first is not None else min(seen)
    last = expected_last if expected_last is not None else max(seen)
    gaps: list[tuple[int, int]] = []
    run_start: int | None = None
    for s in range(first, last + 1):
        if s not in seen:
            if run_start is None:
                run_start = s
        elif run_start is not None:
            gaps.append((run_start, s - 1))
            run_start = None
    if run_start is not None:
        gaps.append((run_start, last))
    duplicates = tuple(sorted(s for s, n in seen.items() if n > 1))
    return SeqAudit(total, len(seen), first, last, tuple(gaps), duplicates)


def _size(topic: str, payload: bytes, key: str) -> int:
    return len(topic.encode()) + len(payload) + len(key.encode())


# Writer ops ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Put:
    lane: Lane
    topic: str
    payload: bytes
    key: str
    key_given: bool
    qos: int
    now: float
    expires_at: float | None
    future: asyncio.Future[OutboxItem]

    @property
    def size(self) -> int:
        return _size(self.topic, self.payload, self.key)


@dataclass(slots=True)
class _Ack:
    seqs: tuple[int, ...]
    future: asyncio.Future[int]


@dataclass(slots=True)
class _Purge:
    now: float
    future: asyncio.Future[list[DroppedItem]]


@dataclass(slots=True)
class _Peek:
    limit: int
    exclude: frozenset[int]
    future: asyncio.Future[list[OutboxItem]]


_Mutation = _Put | _Ack | _Purge
_Op = _Mutation | _Peek


@dataclass(slots=True)
class _Tally:
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


async def _connect(path: Path) -> aiosqlite.Connection:
    """Open SQLite with the durability settings the module docstring justifies."""
    db = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN/COMMIT ourselves
    try:
        async with db.execute("PRAGMA journal_mode=WAL") as cur:
            row = await cur.fetchone()
        if row is None or str(row[0]).lower() != "wal":
            raise OutboxStorageError(f"{path}: SQLite refused WAL mode (got {row!r})")
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute("PRAGMA busy_timeout=5000")
        await db.executescript(_SCHEMA)
    except BaseException:
        await db.close()
        raise
    return db


class Outbox:
    """See the module docstring. Create with :meth:`open`; close with :meth:`close` (or ``async with``)."""

    audit = staticmethod(audit_sequence)

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        max_bytes: int,
        max_age_s: float,
        alarm_fraction: float,
        device_id: str,
        next_seq: int,
        tallies: dict[Lane, _Tally],
        on_drop: Callable[[DroppedItem], None] | None,
    ) -> None:
        self._db = db
        self.path = path
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.alarm_fraction = alarm_fraction
        self.device_id = device_id
        self._next_seq = next_seq
        self._stored_next_seq = next_seq
        self._tallies = tallies
        self._on_drop = on_drop
        self._queue: asyncio.Queue[_Op | None] = asyncio.Queue()
        self._closed = False
        self._writer = asyncio.create_task(self._write_loop(), name=f"outbox-writer:{path.name}")

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        max_bytes: int,
        max_age_s: float,
        device_id: str,
        alarm_fraction: float = 0.8,
        on_drop: Callable[[DroppedItem], None] | None = None,
    ) -> Outbox:
        """Open (or create) the outbox at ``path``. The file belongs to one device: another id is refused.

        ``on_drop`` is called (on the event loop) for every item dropped by expiry, age or eviction, after
        the drop committed; use it to tell the UI, e.g. that a rating could not be delivered.
        """
        if max_bytes <= 0 or max_age_s <= 0 or not 0 < alarm_fraction <= 1:
            raise ValueError("max_bytes and max_age_s must be > 0 and alarm_fraction in (0, 1]")
        if not device_id:
            raise ValueError("device_id must not be empty")
        path = Path(path)
        if not path.parent.is_dir():
            # Checked here because a failed aiosqlite.connect leaves its worker thread racing the loop.
            raise OutboxStorageError(f"cannot open outbox {path}: folder {path.parent} does not exist")
        try:
            db = await _connect(path)
        except sqlite3.Error as err:
            raise OutboxStorageError(f"cannot open outbox {path}: {err}") from err
        try:
            next_seq, tallies = await cls._load(db, path, device_id)
        except BaseException:
            await db.close()
            raise
        depth = sum(t.count for t in tallies.values())
        logger.info("outbox %s opened: %d item(s), next seq %d", path, depth, next_seq)
        return cls(
            db, path, max_bytes=max_bytes, max_age_s=max_age_s, alarm_fraction=alarm_fraction,
            device_id=device_id, next_seq=next_seq, tallies=tallies, on_drop=on_drop,
        )

    @staticmethod
    async def _load(db: aiosqlite.Connection, path: Path, device_id: str) -> tuple[int, dict[Lane, _Tally]]:
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
            tallies = {lane: _Tally() for lane in Lane}
            rows = await db.execute_fetchall(
                "SELECT lane, count(*), sum(size), min(created_at) FROM items GROUP BY lane"
            )
            for lane_name, count, size, oldest in rows:
                try:
                    lane = Lane(lane_name)
                except ValueError:
                    logger.warning("outbox %s: ignoring %d item(s) of lane %r", path, count, lane_name)
                    continue
                tallies[lane] = _Tally(count, size, oldest)
            await db.execute("COMMIT")
        except sqlite3.Error as err:
            raise OutboxStorageError(f"cannot read outbox {path}: {err}") from err
        return next_seq, tallies

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Finish every queued operation, then close the file."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await self._writer
        await self._db.close()

    # Public operations ---------------------------------------------------------------------------------

    async def put(
        self,
        lane: Lane,
        topic: str,
        payload: bytes,
        *,
        now: float,
        key: str | None = None,
        qos: int = 1,
        expiry_s: float | None = None,
    ) -> OutboxItem:
        """Store a message; returns once it is durable (fsynced). Raises OutboxFull or OutboxStorageError.

        Cancelling the caller does not withdraw the message: it may still be stored and sent.
        """
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {qos}")
        if expiry_s is not None and not expiry_s > 0:
            raise ValueError(f"expiry_s must be > 0, not {expiry_s}")
        lane = Lane(lane)
        future: asyncio.Future[OutboxItem] = asyncio.get_running_loop().create_future()
        op = _Put(
            lane, topic, bytes(payload), key if key is not None else uuid.uuid4().hex, key is not None, qos,
            now, None if expiry_s is None else now + expiry_s, future,
        )
        return await self._submit(op, future)

    async def peek(
        self, limit: int, *, now: float, exclude: Collection[int] = ()
    ) -> list[OutboxItem]:
        """The next ``limit`` items to send, in lane-priority then seq order, skipping seqs in ``exclude``
        (e.g. those in flight). Expired and over-age items are dropped first."""
        if limit <= 0:
            return []
        loop = asyncio.get_running_loop()
        purged: asyncio.Future[list[DroppedItem]] = loop.create_future()
        future: asyncio.Future[list[OutboxItem]] = loop.create_future()
        self._check_open()
        self._queue.put_nowait(_Purge(now, purged))
        self._queue.put_nowait(_Peek(limit, frozenset(exclude), future))
        try:
            await purged
        finally:
            items = await future  # the read runs even when the purge failed; never leave it unawaited
        return items

    async def ack(self, item_id: int) -> bool:
        """Remove the item after its PUBACK. Returns False when it was already gone (acked or dropped)."""
        return await self.ack_many((item_id,)) == 1

    async def ack_many(self, item_ids: Iterable[int]) -> int:
        """Remove several items; returns how many were still present."""
        seqs = tuple(item_ids)
        if not seqs:
            return 0
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        return await self._submit(_Ack(seqs, future), future)

    async def purge(self, *, now: float) -> list[DroppedItem]:
        """Drop expired items and evictable items older than ``max_age_s``; returns what was dropped."""
        future: asyncio.Future[list[DroppedItem]] = asyncio.get_running_loop().create_future()
        return await self._submit(_Purge(now, future), future)

    def stats(self, now: float) -> OutboxStats:
        """Counters kept in memory alongside each commit: no disk access."""
        per_lane = {
            lane: LaneStats(t.count, t.bytes, 0.0 if t.oldest is None else max(0.0, now - t.oldest))
            for lane, t in self._tallies.items()
        }
        depth = sum(s.depth for s in per_lane.values())
        size = sum(s.bytes for s in per_lane.values())
        oldest = max((s.oldest_age_s for s in per_lane.values() if s.depth), default=0.0)
        alarm = (
            size >= self.alarm_fraction * self.max_bytes
            or oldest >= self.alarm_fraction * self.max_age_s
        )
        return OutboxStats(depth, size, oldest, alarm, per_lane, self.max_bytes, self.max_age_s)

    @property
    def next_seq(self) -> int:
        return self._next_seq

    async def durability(self) -> dict[str, str]:
        """The SQLite settings in force on this connection, for diagnostics (and to prove them in tests)."""
        out: dict[str, str] = {}
        for pragma in ("journal_mode", "synchronous"):
            rows = await self._db.execute_fetchall(f"PRAGMA {pragma}")
            out[pragma] = str(next(iter(rows))[0])
        out["synchronous"] = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}.get(
            out["synchronous"], out["synchronous"]
        )
        return out

    # Writer --------------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed or self._writer.done():
            raise OutboxClosed(f"outbox {self.path} is closed")

    async def _submit(self, op: _Op, future: asyncio.Future[_T]) -> _T:
        self._check_open()
        self._queue.put_nowait(op)
        return await future

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            ops: list[_Op] = []
            if first is None:
                stopping = True
            else:
                ops.append(first)
            while not stopping and len(ops) < _MAX_GROUP and not self._queue.empty():
                op = self._queue.get_nowait()
                if op is None:
                    stopping = True
                else:
                    ops.append(op)
            try:
                await self._run(ops)
            except Exception as err:  # a bug here must not leave callers waiting forever
                logger.exception("outbox %s: writer failed on a group of %d op(s)", self.path, len(ops))
                for op in ops:
                    _fail(op.future, OutboxStorageError(f"outbox writer failed: {err}"), err)
        # Anything queued after close() was called can no longer run.
        while not self._queue.empty():
            op = self._queue.get_nowait()
            if op is not None and not op.future.done():
                op.future.set_exception(OutboxClosed(f"outbox {self.path} is closed"))

    async def _run(self, ops: list[_Op]) -> None:
        group: list[_Mutation] = []
        for op in ops:
            if isinstance(op, _Peek):
                if group:
                    await self._commit(group)
                    group = []
                await self._read(op)
            else:
                group.append(op)
        if group:
            await self._commit(group)

    async def _read(self, op: _Peek) -> None:
        params: list[object] = []
        where = ""
        if op.exclude:
            where = f"WHERE seq NOT IN ({','.join('?' * len(op.exclude))})"
            params.extend(op.exclude)
        params.append(op.limit)
        try:
            rows = await self._db.execute_fetchall(
                f"SELECT {_COLUMNS} FROM items {where} ORDER BY priority, seq LIMIT ?", params
            )
        except sqlite3.Error as err:
            _fail(op.future, OutboxStorageError(f"outbox read failed: {err}"), err)
            return
        if not op.future.done():
            op.future.set_result([_item(r) for r in rows])

    async def _commit(self, ops: list[_Mutation]) -> None:
        saved_tallies = {lane: replace(t) for lane, t in self._tallies.items()}
        saved_seq = self._next_seq
        results: list[object] = []
        g = _Group()
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            await self._load_given_keys(ops, g)
            i = 0
            while i < len(ops):
                op = ops[i]
                if isinstance(op, _Put):
                    results.append(await self._apply_put(op, g))
                elif isinstance(op, _Ack):
                    # PUBACKs arrive one by one: a run of acks becomes one DELETE.
                    run = [op]
                    while i + 1 < len(ops) and isinstance(nxt := ops[i + 1], _Ack):
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
            failure = OutboxStorageError(f"outbox write failed: {err}")
            for op in ops:
                _fail(op.future, failure, err)
            return
        except BaseException:
            await asyncio.shield(self._rollback())
            self._tallies = saved_tallies
            self._next_seq = saved_seq
            for op in ops:
                _fail(op.future, OutboxClosed("outbox writer stopped"), None)
            raise
        if g.touched:
            self._stored_next_seq = self._next_seq
        _log_drops(g.dropped)
        for op, result in zip(ops, results, strict=True):
            if op.future.done():
                continue
            if isinstance(result, OutboxError):
                op.future.set_exception(result)
            else:
                op.future.set_result(result)  # type: ignore[arg-type]  # result matches op's kind
        if self._on_drop is not None:
            for dropped in g.dropped:
                try:
                    self._on_drop(dropped)
                except Exception:
                    logger.exception("outbox on_drop callback failed for seq %d", dropped.seq)

    async def _rollback(self) -> None:
        try:
            await self._db.execute("ROLLBACK")
        except sqlite3.Error as err:  # no transaction open, or the connection is gone
            logger.debug("outbox rollback: %s", err)

    async def _load_given_keys(self, ops: list[_Mutation], g: _Group) -> None:
        keys = list({op.key for op in ops if isinstance(op, _Put) and op.key_given})
        for i in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[i : i + _SQL_CHUNK]
            rows = await self._db.execute_fetchall(
                f"SELECT {_COLUMNS} FROM items WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                item = _item(row)
                g.by_key[item.key] = item

    async def _apply_put(self, op: _Put, g: _Group) -> OutboxItem | OutboxError:
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
            victims = [lane for lane in _EVICTION_ORDER if lane.priority >= op.lane.priority]
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
        for lane in _EVICTION_ORDER:
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


def _fail(future: asyncio.Future[Any], error: OutboxError, cause: BaseException | None) -> None:
    if future.done():
        return
    error.__cause__ = cause
    future.set_exception(error)


def _log_drops(dropped: list[DroppedItem]) -> None:
    groups: dict[tuple[Lane, DropReason], list[int]] = {}
    for d in dropped:
        groups.setdefault((d.lane, d.reason), []).append(d.seq)
    for (lane, reason), seqs in groups.items():
        # Telemetry and events are dropped by design; a ticket or rating dropped (by its own expiry) is news.
        level = logging.INFO if lane.evictable else logging.WARNING
        logger.log(
            level, "outbox dropped %d %s item(s), reason %s, seq %d..%d",
            len(seqs), lane, reason, min(seqs), max(seqs),
        )
