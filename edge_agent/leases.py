"""Offline ticket blocks: ticket numbers leased from the controller in advance, issued while the hall is away.

A block (:class:`LeaseBlock`, from ``hall_protocol.tickets.LeaseGranted``) is a range of numbers of one
service, valid on one day only. :meth:`LeaseStore.take` hands out the next unused number of that service and
day exactly once: the number is marked used by the same committed statement that returns it (SQLite, WAL,
``synchronous=FULL``, as for the outbox), so a number that reached a caller can never be handed out again,
even after kill -9 or a power cut. A crash between the commit and the print only leaves a gap, never a
duplicate; the controller treats gaps in a lease as numbers never issued.

The store may share the outbox's file (a second connection; WAL lets both write in turn) or have its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from hall_protocol.errors import OneVisitError
from hall_protocol.tickets import LeaseGranted, Provisional
from hall_runtime.sqlite import StorageError, open_durable

logger = logging.getLogger(__name__)

_PREFIX = re.compile(r"^[A-Z]{1,2}$")  # the same rule as hall_protocol.hall_config's service prefix


class LeaseError(OneVisitError):
    """A block that cannot be stored (malformed, overlapping another, replayed with other numbers),
    or a storage failure. ``str()`` is the detail for the log; the UI words the refusal it causes."""


def format_number(prefix: str, value: int) -> str:
    """As the controller prints it: the prefix, then at least three digits ("A007", "A123", "A1203")."""
    return f"{prefix}{value:03d}"


@dataclass(frozen=True, slots=True)
class LeaseBlock:
    lease_id: str
    service: str
    day: str  # YYYY-MM-DD, the hall's local day on which the block may be used
    prefix: str
    first: int
    last: int

    @classmethod
    def from_granted(cls, msg: LeaseGranted) -> LeaseBlock:
        return cls(msg.lease_id, msg.service, msg.day, msg.prefix, msg.first, msg.last)

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def validate(self) -> None:
        """Raise LeaseError naming the bad field."""
        if not self.lease_id:
            raise LeaseError("lease block: lease_id is empty")
        if not self.service:
            raise LeaseError(f"lease {self.lease_id}: service is empty")
        try:
            parsed = dt.date.fromisoformat(self.day)
        except ValueError as err:
            raise LeaseError(f"lease {self.lease_id}: day {self.day!r} is not YYYY-MM-DD") from err
        if parsed.isoformat() != self.day:
            raise LeaseError(f"lease {self.lease_id}: day {self.day!r} is not YYYY-MM-DD")
        if not _PREFIX.match(self.prefix):
            raise LeaseError(f"lease {self.lease_id}: prefix {self.prefix!r} is not 1-2 capital letters")
        if not 1 <= self.first <= self.last:
            raise LeaseError(f"lease {self.lease_id}: range {self.first}..{self.last} is empty or below 1")


@dataclass(frozen=True, slots=True)
class ProvisionalNumber:
    """A number issued offline. The UI says it is provisional (its own wording, from the ticket's
    ``provisional`` flag)."""

    lease_id: str
    service: str
    day: str
    prefix: str
    value: int
    issued_at: float  # the citizen's real arrival time (epoch seconds)

    @property
    def number(self) -> str:
        return format_number(self.prefix, self.value)

    def to_protocol(self) -> Provisional:
        """The ``provisional`` field of the IssueTicket request sent when the hall is back."""
        return Provisional(lease_id=self.lease_id, number=self.number, arrived_at=self.issued_at)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS lease_blocks (
    lease_id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    day TEXT NOT NULL,
    prefix TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    next_value INTEGER NOT NULL,
    added INTEGER NOT NULL  -- arrival order: older blocks are used up first
);
CREATE INDEX IF NOT EXISTS lease_blocks_use ON lease_blocks (service, day, added);
"""


class LeaseStore:
    """Persisted lease blocks. Create with :meth:`open`."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> LeaseStore:
        path = Path(path)
        try:
            db = await open_durable(path, _SCHEMA)
        except StorageError as err:
            raise LeaseError(f"lease store: {err}") from err
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def add(self, block: LeaseBlock) -> bool:
        """Store a granted block. Returns False when this exact block was already stored (a replayed grant).

        Refuses (LeaseError) a malformed block, a replay of the lease id with other numbers, and a block
        whose numbers overlap another block of the same prefix and day: issuing both could duplicate.
        """
        block.validate()
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = await self._db.execute_fetchall(
                    "SELECT lease_id, service, day, prefix, first, last FROM lease_blocks"
                    " WHERE lease_id = ? OR (day = ? AND prefix = ? AND first <= ? AND last >= ?)",
                    (block.lease_id, block.day, block.prefix, block.last, block.first),
                )
                for row in rows:
                    other = LeaseBlock(*row)
                    if other == block:
                        await self._db.execute("ROLLBACK")
                        return False
                    await self._db.execute("ROLLBACK")
                    if other.lease_id == block.lease_id:
                        raise LeaseError(f"lease {block.lease_id} replayed with other numbers: {other}")
                    raise LeaseError(f"lease {block.lease_id} overlaps lease {other.lease_id} ({other})")
                await self._db.execute(
                    "INSERT INTO lease_blocks (lease_id, service, day, prefix, first, last, next_value,"
                    " added) VALUES (?, ?, ?, ?, ?, ?, ?,"
                    " (SELECT coalesce(max(added), 0) + 1 FROM lease_blocks))",
                    (block.lease_id, block.service, block.day, block.prefix, block.first, block.last,
                     block.first),
                )
                await self._db.execute("COMMIT")
            except sqlite3.Error:
                await self._rollback()
                raise
        except sqlite3.Error as err:
            raise LeaseError(f"cannot store lease {block.lease_id}: {err}") from err
        logger.info(
            "lease %s stored: service %s day %s numbers %s..%s", block.lease_id, block.service, block.day,
            format_number(block.prefix, block.first), format_number(block.prefix, block.last),
        )
        return True

    async def take(self, service: str, day: str, *, now: float) -> ProvisionalNumber | None:
        """The next unused number of ``service`` on ``day``, durably marked used; None when none is left.

        One UPDATE … RETURNING statement in autocommit mode: the number is committed (fsynced) before it
        is returned, and concurrent takers (tasks or processes) serialize on SQLite's write lock.
        """
        try:
            rows = await self._db.execute_fetchall(
                "UPDATE lease_blocks SET next_value = next_value + 1"
                " WHERE lease_id = (SELECT lease_id FROM lease_blocks"
                "   WHERE service = ? AND day = ? AND next_value <= last ORDER BY added LIMIT 1)"
                " RETURNING lease_id, prefix, next_value - 1",
                (service, day),
            )
        except sqlite3.Error as err:
            raise LeaseError(f"cannot take a provisional number for {service}: {err}") from err
        row = next(iter(rows), None)
        if row is None:
            logger.warning("no provisional number left for service %s on %s", service, day)
            return None
        lease_id, prefix, value = row
        issued = ProvisionalNumber(lease_id, service, day, prefix, value, now)
        logger.info("provisional number %s issued from lease %s", issued.number, lease_id)
        return issued

    async def remaining(self, service: str, day: str) -> int:
        """Numbers still unused for ``service`` on ``day`` (blocks of other days never count)."""
        rows = await self._db.execute_fetchall(
            "SELECT coalesce(sum(last - next_value + 1), 0) FROM lease_blocks"
            " WHERE service = ? AND day = ? AND next_value <= last",
            (service, day),
        )
        total: int = next(iter(rows))[0]
        return total

    async def needs_refill(self, service: str, day: str, low_water: int) -> bool:
        """True when fewer than ``low_water`` numbers are left: time to send a LeaseRequest."""
        return await self.remaining(service, day) < low_water

    async def discard_before(self, day: str) -> int:
        """Delete blocks of days before ``day`` (they can never be used again); returns how many."""
        try:
            cur = await self._db.execute("DELETE FROM lease_blocks WHERE day < ?", (day,))
        except sqlite3.Error as err:
            raise LeaseError(f"cannot discard old leases: {err}") from err
        return cur.rowcount

    async def _rollback(self) -> None:
        try:
            await self._db.execute("ROLLBACK")
        except sqlite3.Error as err:
            logger.debug("lease store rollback: %s", err)
