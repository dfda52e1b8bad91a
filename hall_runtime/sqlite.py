"""SQLite opened for durability: WAL, ``synchronous=FULL``, a busy timeout, autocommit off our way.

Every store of OneVisit (the controller's event log, the enrolment registry, an agent's outbox and leases)
answers a caller only after its write is on disk, so a power cut can never lose what was acknowledged.
WAL lets readers run beside the one writer; FULL fsyncs the WAL at each commit.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from hall_protocol.errors import OneVisitError

BUSY_TIMEOUT_MS = 5000


class StorageError(OneVisitError):
    """The database could not be opened with the durability every store relies on."""


def _check_wal(path: Path, mode: object) -> None:
    if str(mode).lower() != "wal":
        raise StorageError(f"{path}: SQLite refused WAL mode (got {mode!r})")


async def open_durable(path: str | Path, schema: str = "") -> aiosqlite.Connection:
    """An aiosqlite connection in autocommit mode (callers issue BEGIN/COMMIT), WAL + FULL, with ``schema``
    applied. Raises StorageError naming the file when that is not possible."""
    path = Path(path)
    if not path.parent.is_dir():
        # Checked here because a failed aiosqlite.connect leaves its worker thread racing the loop.
        raise StorageError(f"cannot open {path}: folder {path.parent} does not exist")
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as err:
        raise StorageError(f"cannot open {path}: {err}") from err
    try:
        async with db.execute("PRAGMA journal_mode=WAL") as cur:
            row = await cur.fetchone()
        _check_wal(path, row[0] if row else None)
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if schema:
            await db.executescript(schema)
    except sqlite3.Error as err:
        await db.close()
        raise StorageError(f"cannot open {path}: {err}") from err
    except BaseException:
        await db.close()
        raise
    return db


def connect_durable(path: str | Path, schema: str = "") -> sqlite3.Connection:
    """The same settings for a blocking caller (run it in a thread): autocommit, WAL + FULL, ``schema``."""
    path = Path(path)
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as err:
        raise StorageError(f"cannot open {path}: {err}") from err
    try:
        _check_wal(path, db.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        db.execute("PRAGMA synchronous=FULL")
        if schema:
            db.executescript(schema)
    except sqlite3.Error as err:
        db.close()
        raise StorageError(f"cannot open {path}: {err}") from err
    except BaseException:
        db.close()
        raise
    return db
