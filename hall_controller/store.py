"""Crash-safe persistence of the hall: an append-only event log, the first reply to every request, and
periodic snapshots of derived state. SQLite in WAL mode with synchronous=FULL: an answer is sent only
after the events that produced it are on disk, so a kill -9 or power cut loses nothing that was answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

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
"""


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    ts: float
    body: bytes


class Store:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.last_seq = 0

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.executescript(SCHEMA)
        store = cls(db)
        async with db.execute("SELECT COALESCE(MAX(seq), 0) FROM events") as cur:
            row = await cur.fetchone()
        store.last_seq = int(row[0]) if row else 0
        return store

    async def close(self) -> None:
        await self._db.close()

    async def commit_batch(self, events: list[bytes], now: float, replies: list[tuple[str, bytes]]) -> int:
        """Append ``events`` and remember each (request_id, reply), atomically. Returns the last seq."""
        db = self._db
        await db.execute("BEGIN IMMEDIATE")
        try:
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
            await db.execute("ROLLBACK")
            raise
        self.last_seq = seq
        return seq

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

    async def get_meta(self, key: str) -> str | None:
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
