"""Contacts (encrypted, for one day) and the delivery status of every message, in the notifier's own SQLite
file: a slow or broken notifications database never touches the engine's commits.

Delivery status changes are noted in memory at once and written in batches by :meth:`NotifyStore.flush_loop`
(the send path never waits for a disk write). Deleted rows are overwritten (``secure_delete``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import aiosqlite

from hall_controller.notify.gateway import Channel
from hall_controller.notify.keys import DayKeys
from hall_protocol.identity import mask_phone
from hall_runtime.sqlite import open_durable

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    ticket_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    masked TEXT NOT NULL,
    box BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (ticket_id, channel)
);
CREATE TABLE IF NOT EXISTS deliveries (
    message_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    step INTEGER NOT NULL,
    channel TEXT NOT NULL,
    to_masked TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_ticket ON deliveries(ticket_id);
CREATE INDEX IF NOT EXISTS deliveries_day ON deliveries(day);
"""
KEEP_DELIVERY_DAYS = 31


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"  # not delivered in time: a late call message would mislead
    SUPERSEDED = "superseded"  # a newer message for the same ticket went out instead
    DROPPED = "dropped"  # the notifier's queue was full


FINAL = frozenset({Status.SENT, Status.FAILED, Status.EXPIRED, Status.SUPERSEDED, Status.DROPPED})


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    ticket_id: str
    day: str
    kind: str
    step: int
    channel: str
    to_masked: str
    status: Status
    attempts: int
    reason: str
    provider_id: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True, repr=False)
class StoredContact:
    ticket_id: str
    channel: Channel
    day: str
    masked: str
    box: bytes


def masked_address(channel: Channel, address: str) -> str:
    return mask_phone(address) if channel is Channel.SMS else address[:4] + "****"


class NotifyStore:
    def __init__(self, db: aiosqlite.Connection, keys: DayKeys) -> None:
        self._db = db
        self.keys = keys
        self.contacts: dict[tuple[str, Channel], StoredContact] = {}
        self.deliveries: dict[str, Delivery] = {}  # today's and anything not yet written
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()  # one connection: one transaction at a time
        self._changed = asyncio.Event()
        self.on_change: Callable[[], None] | None = None  # e.g. the pages' hub: a phone page shows the status

    @classmethod
    async def open(cls, path: Path, key_path: Path) -> NotifyStore:
        db = await open_durable(path, SCHEMA)
        await db.execute("PRAGMA secure_delete=ON")
        store = cls(db, DayKeys(key_path))
        async with db.execute("SELECT ticket_id, channel, day, masked, box FROM contacts") as cur:
            async for r in cur:
                c = StoredContact(str(r[0]), Channel(r[1]), str(r[2]), str(r[3]), bytes(r[4]))
                store.contacts[(c.ticket_id, c.channel)] = c
        return store

    async def load_day(self, day: str) -> None:
        async with self._db.execute("SELECT * FROM deliveries WHERE day = ?", (day,)) as cur:
            async for r in cur:
                d = Delivery(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]), str(r[6]),
                             Status(r[7]), int(r[8]), str(r[9]), str(r[10]), float(r[11]), float(r[12]))
                self.deliveries[d.message_id] = d

    async def close(self) -> None:
        await self.flush()
        await self._db.close()

    # -- contacts --------------------------------------------------------------------------------------

    async def add_contact(self, ticket_id: str, channel: Channel, day: str, address: str, now: float) -> str:
        """Keep ``address`` (encrypted) for ``ticket_id``'s day; returns it masked."""
        contact = StoredContact(ticket_id, channel, day, masked_address(channel, address),
                                self.keys.encrypt(day, ticket_id, address))
        async with self._writing:
            await self._db.execute(
                "INSERT OR REPLACE INTO contacts (ticket_id, channel, day, masked, box, created_at) "
                "VALUES (?,?,?,?,?,?)", (ticket_id, channel.value, day, contact.masked, contact.box, now))
        self.contacts[(ticket_id, channel)] = contact
        return contact.masked

    def contacts_of(self, ticket_id: str) -> list[StoredContact]:
        return [c for (tid, _), c in self.contacts.items() if tid == ticket_id]

    def has_contact(self, ticket_id: str) -> bool:
        return any((ticket_id, ch) in self.contacts for ch in Channel)

    def address(self, contact: StoredContact) -> str:
        """The number in clear, for the moment of sending only."""
        return self.keys.decrypt(contact.day, contact.ticket_id, contact.box)

    async def purge_contacts(self, today: str) -> int:
        """Delete every contact not of ``today``, then their days' keys. Returns the rows deleted."""
        async with self._writing:
            cur = await self._db.execute("DELETE FROM contacts WHERE day != ?", (today,))
            deleted = cur.rowcount
            await self._db.execute("DELETE FROM deliveries WHERE day < date(?, ?)",
                                   (today, f"-{KEEP_DELIVERY_DAYS} day"))
        self.contacts = {k: c for k, c in self.contacts.items() if c.day == today}
        self.deliveries = {k: d for k, d in self.deliveries.items() if d.day == today or k in self._dirty}
        dropped = self.keys.keep_only(today)
        if deleted or dropped:
            log.info("contacts of %s deleted (%d) with their keys", ", ".join(dropped) or "earlier days", deleted)
        return deleted

    # -- deliveries ------------------------------------------------------------------------------------

    def note(self, delivery: Delivery) -> None:
        self.deliveries[delivery.message_id] = delivery
        self._dirty.add(delivery.message_id)
        self._wake.set()
        self._changed.set()
        self._changed = asyncio.Event()
        if self.on_change is not None:
            self.on_change()

    async def next_change(self) -> None:
        """Until a delivery's status changes."""
        await self._changed.wait()

    def update(self, message_id: str, now: float, **changes: object) -> Delivery:
        d = replace(self.deliveries[message_id], updated_at=now, **changes)  # type: ignore[arg-type]
        self.note(d)
        return d

    def of_ticket(self, ticket_id: str) -> list[Delivery]:
        return sorted((d for d in self.deliveries.values() if d.ticket_id == ticket_id), key=lambda d: d.created_at)

    async def flush(self) -> None:
        # shielded: a cancelled caller must not leave a transaction open on the shared connection
        await asyncio.shield(self._locked_flush())

    async def _locked_flush(self) -> None:
        async with self._writing:
            await self._flush()

    async def _flush(self) -> None:
        batch, self._dirty = self._dirty, set()
        rows = [self.deliveries[m] for m in batch if m in self.deliveries]
        if not rows:
            return
        await self._db.execute("BEGIN")
        try:
            await self._db.executemany(
                "INSERT OR REPLACE INTO deliveries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(d.message_id, d.ticket_id, d.day, d.kind, d.step, d.channel, d.to_masked, d.status.value,
                  d.attempts, d.reason, d.provider_id, d.created_at, d.updated_at) for d in rows])
            await self._db.execute("COMMIT")
        except BaseException:
            self._dirty |= batch
            await self._db.execute("ROLLBACK")
            raise

    async def flush_loop(self, every_s: float = 0.2) -> None:
        """Write noted changes in batches, at most every ``every_s``."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except aiosqlite.Error as err:
                log.error("delivery status not written: %s", err)
            await asyncio.sleep(every_s)
