"""Crash-safe persistence of the hall: an append-only event log, the first reply to every request, and
periodic snapshots of derived state. SQLite in WAL mode with synchronous=FULL: an answer is sent only
after the events that produced it are on disk, so a kill -9 or power cut loses nothing that was answered.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
import msgspec

from hall_controller.audit import GENESIS, AuditEntry, AuditLine, chain
from hall_controller.engine.ids import SECRET_BYTES
from hall_runtime.sqlite import open_durable

log = logging.getLogger(__name__)
_audit_decoder = msgspec.json.Decoder(AuditEntry)

HALL_SECRET_KEY = "hall-secret"

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS replies (
    request_id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    reply BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    entry BLOB NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
CREATE TABLE IF NOT EXISTS followups (
    key TEXT PRIMARY KEY,
    body BLOB NOT NULL,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    ts: float
    body: bytes


class Store:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._tx = asyncio.Lock()  # one transaction at a time on the one connection (batches, follow-ups)
        self.last_seq = 0
        self.audit_seq = 0
        self.audit_hash = GENESIS

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await open_durable(path, SCHEMA)
        store = cls(db)
        async with db.execute("SELECT COALESCE(MAX(seq), 0) FROM events") as cur:
            row = await cur.fetchone()
        store.last_seq = int(row[0]) if row else 0
        async with db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") as cur:
            last = await cur.fetchone()
        if last is not None:
            store.audit_seq, store.audit_hash = int(last[0]), str(last[1])
        return store

    async def close(self) -> None:
        await self._db.close()

    async def commit_batch(
        self,
        events: list[bytes],
        now: float,
        replies: list[tuple[str, bytes]],
        audit: Sequence[AuditEntry] = (),
    ) -> int:
        """Append ``events``, remember each (request_id, reply) and add the audit lines, atomically.
        Returns the last event seq."""
        async with self._tx:
            return await self._commit_batch(events, now, replies, audit)

    async def _commit_batch(self, events: list[bytes], now: float, replies: list[tuple[str, bytes]],
                            audit: Sequence[AuditEntry]) -> int:
        db = self._db
        lines = chain(audit, self.audit_seq, self.audit_hash)
        await db.execute("BEGIN IMMEDIATE")
        try:
            await self._insert_audit(lines)
            seq = self.last_seq
            if events:
                rows = [(seq + i + 1, now, body) for i, body in enumerate(events)]
                await db.executemany("INSERT INTO events (seq, ts, body) VALUES (?, ?, ?)", rows)
                seq += len(events)
            if replies:
                await db.executemany(
                    "INSERT OR IGNORE INTO replies (request_id, ts, reply) VALUES (?, ?, ?)",
                    [(rid, now, reply) for rid, reply in replies],
                )
            await db.execute("COMMIT")
        except BaseException:
            try:
                await db.execute("ROLLBACK")
            except sqlite3.OperationalError as err:
                # a stop (SIGTERM) cancelled the wait for a COMMIT that still finished in the database's thread:
                # nothing to roll back, and the stop must stay a stop, not become this error
                if "no transaction is active" not in str(err):
                    raise
            raise
        self.last_seq = seq
        self._chained(lines)
        return seq

    async def _insert_audit(self, lines: list[AuditLine]) -> None:
        if lines:
            await self._db.executemany(
                "INSERT INTO audit (seq, ts, entry, prev, hash) VALUES (?, ?, ?, ?, ?)",
                [(x.seq, x.entry.ts, msgspec.json.encode(x.entry), x.prev, x.hash) for x in lines],
            )

    def _chained(self, lines: list[AuditLine]) -> None:
        if lines:
            self.audit_seq, self.audit_hash = lines[-1].seq, lines[-1].hash

    async def save_followup(self, key: str, body: bytes, now: float, audit: AuditEntry) -> None:
        """Write a bad rating's follow-up record and its audit line in one transaction."""
        async with self._tx:
            lines = chain([audit], self.audit_seq, self.audit_hash)
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._insert_audit(lines)
                await self._db.execute(
                    "INSERT OR REPLACE INTO followups (key, body, updated_at) VALUES (?, ?, ?)", (key, body, now))
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            self._chained(lines)

    async def followups(self) -> dict[str, bytes]:
        async with self._db.execute("SELECT key, body FROM followups") as cur:
            return {str(r[0]): bytes(r[1]) async for r in cur}

    async def event_rows_after(self, seq: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` stored events after ``seq`` as (seq, body), for folding in chunks."""
        async with self._db.execute(
            "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ) as cur:
            return [(int(r[0]), bytes(r[1])) async for r in cur]

    async def audit_lines(self, *, since: float = 0.0, until: float = float("inf"), limit: int = 100_000,
                          after_seq: int = 0) -> list[AuditLine]:
        """Audit lines in order (``after_seq`` pages through them)."""
        async with self._db.execute(
            "SELECT seq, entry, prev, hash FROM audit WHERE seq > ? AND ts >= ? AND ts < ? ORDER BY seq LIMIT ?",
            (after_seq, since, until if until != float("inf") else 1e18, limit),
        ) as cur:
            return [AuditLine(seq=int(r[0]), entry=_audit_decoder.decode(r[1]), prev=str(r[2]), hash=str(r[3]))
                    async for r in cur]

    async def audit_search(self, *, since: float = 0.0, until: float = float("inf"), actor: str = "",
                           action: str = "", target: str = "", before_seq: int = 0, after_seq: int = 0,
                           limit: int = 50, newest_first: bool = True) -> list[AuditLine]:
        """Audit lines that match: ``actor`` and ``target`` contain the text (any case), ``action`` starts with
        it (``window.`` is every window action). ``before_seq``/``after_seq`` page through them."""
        order = "DESC" if newest_first else "ASC"
        async with self._db.execute(
            "SELECT seq, entry, prev, hash FROM audit WHERE ts >= ? AND ts < ? AND seq > ? AND seq < ? "
            "AND instr(lower(json_extract(entry, '$.actor')), ?) > 0 "
            "AND instr(json_extract(entry, '$.action'), ?) = 1 "
            "AND instr(lower(json_extract(entry, '$.target')), ?) > 0 "
            f"ORDER BY seq {order} LIMIT ?",
            (since, until if until != float("inf") else 1e18, after_seq, before_seq or (1 << 62), actor.lower(),
             action, target.lower(), limit),
        ) as cur:
            return [AuditLine(seq=int(r[0]), entry=_audit_decoder.decode(r[1]), prev=str(r[2]), hash=str(r[3]))
                    async for r in cur]

    async def reply_for(self, request_id: str) -> bytes | None:
        async with self._db.execute("SELECT reply FROM replies WHERE request_id = ?", (request_id,)) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def events_after(self, seq: int) -> list[StoredEvent]:
        async with self._db.execute(
            "SELECT seq, ts, body FROM events WHERE seq > ? ORDER BY seq", (seq,)
        ) as cur:
            return [StoredEvent(int(r[0]), float(r[1]), bytes(r[2])) async for r in cur]

    async def save_snapshot(self, seq: int, now: float, state: bytes) -> None:
        await self._db.execute("INSERT OR REPLACE INTO snapshots (seq, ts, state) VALUES (?, ?, ?)", (seq, now, state))
        await self._db.execute("DELETE FROM snapshots WHERE seq < ?", (seq,))

    async def latest_snapshot(self) -> tuple[int, bytes] | None:
        async with self._db.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1") as cur:
            row = await cur.fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    async def replies_since(self, since: float) -> dict[str, bytes]:
        async with self._db.execute("SELECT request_id, reply FROM replies WHERE ts >= ? ORDER BY ts", (since,)) as cur:
            return {str(r[0]): bytes(r[1]) async for r in cur}

    async def prune_replies(self, older_than: float) -> None:
        await self._db.execute("DELETE FROM replies WHERE ts < ?", (older_than,))

    async def hall_secret(self) -> bytes:
        """The secret ticket ids and status tokens are keyed with: made on first use, then kept for good
        (ids issued after a restart must stay distinct from, and as unguessable as, those before it)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (HALL_SECRET_KEY, secrets.token_hex(SECRET_BYTES))
        )
        value = await self.get_meta(HALL_SECRET_KEY)
        assert value is not None
        return bytes.fromhex(value)

    async def get_meta(self, key: str) -> str | None:
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
