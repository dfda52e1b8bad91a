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
  (``hall_controller.sequence_audit``). The item id used by :meth:`Outbox.ack` *is* its ``seq``.
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
groups; reads (peek) run between transactions, so they never see uncommitted rows. The SQL (schema, the
group's transaction, eviction) is :mod:`edge_agent.outbox_db`; lanes, items and errors are
:mod:`edge_agent.outbox_items`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from edge_agent.outbox_db import Ack, Mutation, OutboxDb, Purge, Put
from edge_agent.outbox_items import (
    DroppedItem,
    DropReason,
    Lane,
    LaneStats,
    OutboxClosed,
    OutboxError,
    OutboxItem,
    OutboxStats,
    OutboxStorageError,
)

logger = logging.getLogger(__name__)

_MAX_GROUP = 1024  # ops per transaction; bounds the latency of the first put in a large group


@dataclass(frozen=True, slots=True)
class _Change:
    """A mutation waiting for the writer, and the caller's future for its result."""

    op: Mutation
    future: asyncio.Future[Any]


@dataclass(frozen=True, slots=True)
class _Peek:
    limit: int
    exclude: frozenset[int]
    future: asyncio.Future[list[OutboxItem]]


@dataclass(frozen=True, slots=True)
class _Settings:
    """A look at the connection's settings, taken by the writer between transactions: a group of acks runs at
    synchronous=NORMAL for its own commit, and a look from outside could catch it there."""

    future: asyncio.Future[dict[str, str]]


_Queued = _Change | _Peek | _Settings


class Outbox:
    """See the module docstring. Create with :meth:`open`; close with :meth:`close` (or ``async with``)."""

    def __init__(
        self,
        db: OutboxDb,
        *,
        alarm_fraction: float,
        device_id: str,
        on_drop: Callable[[DroppedItem], None] | None,
    ) -> None:
        self._db = db
        self.path = db.path
        self.max_bytes = db.max_bytes
        self.max_age_s = db.max_age_s
        self.alarm_fraction = alarm_fraction
        self.device_id = device_id
        self._on_drop = on_drop
        self._queue: asyncio.Queue[_Queued | None] = asyncio.Queue()
        self._closed = False
        self._writer = asyncio.create_task(self._write_loop(), name=f"outbox-writer:{db.path.name}")

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
        db = await OutboxDb.open(Path(path), device_id=device_id, max_bytes=max_bytes, max_age_s=max_age_s)
        depth = sum(t.count for t in db.tallies.values())
        logger.info("outbox %s opened: %d item(s), next seq %d", db.path, depth, db.next_seq)
        return cls(db, alarm_fraction=alarm_fraction, device_id=device_id, on_drop=on_drop)

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
        op = Put(
            lane, topic, bytes(payload), key if key is not None else uuid.uuid4().hex, key is not None, qos,
            now, None if expiry_s is None else now + expiry_s,
        )
        item: OutboxItem = await self._submit(op)
        return item

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
        self._queue.put_nowait(_Change(Purge(now), purged))
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
        present: int = await self._submit(Ack(seqs))
        return present

    async def purge(self, *, now: float) -> list[DroppedItem]:
        """Drop expired items and evictable items older than ``max_age_s``; returns what was dropped."""
        dropped: list[DroppedItem] = await self._submit(Purge(now))
        return dropped

    def stats(self, now: float) -> OutboxStats:
        """Counters kept in memory alongside each commit: no disk access."""
        per_lane = {
            lane: LaneStats(t.count, t.bytes, 0.0 if t.oldest is None else max(0.0, now - t.oldest))
            for lane, t in self._db.tallies.items()
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
        return self._db.next_seq

    async def durability(self) -> dict[str, str]:
        """The SQLite settings in force on this connection between transactions (what a put is committed
        with), for diagnostics (and to prove them in tests)."""
        self._check_open()
        future: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Settings(future))
        return await future

    # Writer --------------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed or self._writer.done():
            raise OutboxClosed(f"outbox {self.path} is closed")

    async def _submit(self, op: Mutation) -> Any:
        self._check_open()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Change(op, future))
        return await future

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            batch: list[_Queued] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while not stopping and len(batch) < _MAX_GROUP and not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is None:
                    stopping = True
                else:
                    batch.append(queued)
            try:
                await self._run(batch)
            except Exception as err:  # a bug here must not leave callers waiting forever
                logger.exception("outbox %s: writer failed on a group of %d op(s)", self.path, len(batch))
                for queued in batch:
                    _fail(queued.future, OutboxStorageError(f"outbox writer failed: {err}"), err)
        # Anything queued after close() was called can no longer run.
        while not self._queue.empty():
            queued = self._queue.get_nowait()
            if queued is not None and not queued.future.done():
                queued.future.set_exception(OutboxClosed(f"outbox {self.path} is closed"))

    async def _run(self, batch: list[_Queued]) -> None:
        group: list[_Change] = []
        for queued in batch:
            if isinstance(queued, _Peek | _Settings):
                if group:
                    await self._commit(group)
                    group = []
                await (self._read(queued) if isinstance(queued, _Peek) else self._settings(queued))
            else:
                group.append(queued)
        if group:
            await self._commit(group)

    async def _read(self, peek: _Peek) -> None:
        try:
            items = await self._db.read(peek.limit, peek.exclude)
        except OutboxStorageError as err:
            _fail(peek.future, err, err.__cause__)
            return
        if not peek.future.done():
            peek.future.set_result(items)

    async def _settings(self, ask: _Settings) -> None:
        try:
            found = await self._db.durability()
        except sqlite3.Error as err:
            _fail(ask.future, OutboxStorageError(f"outbox settings unreadable: {err}"), err)
            return
        if not ask.future.done():
            ask.future.set_result(found)

    async def _commit(self, group: list[_Change]) -> None:
        try:
            results, dropped = await self._db.commit([change.op for change in group])
        except OutboxStorageError as err:
            for queued in group:
                _fail(queued.future, err, err.__cause__)
            return
        except BaseException:
            for queued in group:
                _fail(queued.future, OutboxClosed("outbox writer stopped"), None)
            raise
        _log_drops(dropped)
        for queued, result in zip(group, results, strict=True):
            if queued.future.done():
                continue
            if isinstance(result, OutboxError):
                queued.future.set_exception(result)
            else:
                queued.future.set_result(result)
        if self._on_drop is not None:
            for item in dropped:
                try:
                    self._on_drop(item)
                except Exception:
                    logger.exception("outbox on_drop callback failed for seq %d", item.seq)


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
