"""The device registry: slots, one-time codes (hashes only) and revoked certificates, in SQLite.

It lives in the controller's database file (``hall.db``) in its own ``enrollment_*`` tables, so that the
``onevisit device`` command and the controller see the same devices. Blocking sqlite3: async callers use
``asyncio.to_thread``. Each call opens its own connection (WAL, busy timeout), so threads never share one.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hall_controller.enrollment.errors import CodeExpired, CodeInvalid, CodeUsed, SlotNotFound
from hall_controller.enrollment.lifecycle import DeviceStatus, SlotEvent, next_status
from hall_protocol.devices import Role
from hall_protocol.enrolment import DeviceInfo
from hall_protocol.hall_config import WINDOW_ROLES
from hall_protocol.topics import check_id
from hall_runtime.sqlite import connect_durable

SCHEMA = """
CREATE TABLE IF NOT EXISTS enrollment_devices (
    device_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    zone TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    provisioned_at REAL,
    retired_at REAL,
    last_seen_at REAL,
    cert_serial TEXT NOT NULL DEFAULT '',
    cert_not_after REAL,
    selftest_ok INTEGER,
    selftest_at REAL,
    selftest_summary TEXT NOT NULL DEFAULT '',
    window TEXT
);
CREATE TABLE IF NOT EXISTS enrollment_codes (
    code_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES enrollment_devices(device_id),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL,
    cancelled_at REAL
);
CREATE INDEX IF NOT EXISTS enrollment_codes_device ON enrollment_codes(device_id);
CREATE TABLE IF NOT EXISTS enrollment_revoked (
    serial TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    revoked_at REAL NOT NULL,
    not_after REAL NOT NULL
);
"""

_COLUMNS = (
    "device_id, role, zone, name, status, created_at, provisioned_at, retired_at, last_seen_at, cert_serial, "
    "cert_not_after, selftest_ok, selftest_at, selftest_summary, window"
)


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    role: Role
    zone: str
    name: str
    status: DeviceStatus
    created_at: float
    provisioned_at: float | None = None
    retired_at: float | None = None
    last_seen_at: float | None = None
    cert_serial: str = ""
    """Hex serial of the certificate in force ("" until enrolled, and after retirement)."""
    cert_not_after: float | None = None
    selftest_ok: bool | None = None
    selftest_at: float | None = None
    selftest_summary: str = ""
    code_expires_at: float | None = None
    """Expiry of the slot's outstanding one-time code, if one is waiting to be used."""
    window: str | None = None
    """The window a window terminal, window display or evaluator stands at (it acts for that window only)."""

    @property
    def live(self) -> bool:
        """Holds credentials that the broker accepts (enrolled and not retired)."""
        return self.status in (DeviceStatus.PROVISIONED, DeviceStatus.ONLINE, DeviceStatus.OFFLINE)

    @property
    def ready(self) -> bool:
        """Online and its last self-test passed: what the console shows as 就绪."""
        return self.status is DeviceStatus.ONLINE and self.selftest_ok is True

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            device_id=self.device_id, role=self.role, zone=self.zone, name=self.name, state=self.status.value,
            ready=self.ready, created_at=self.created_at, provisioned_at=self.provisioned_at,
            retired_at=self.retired_at, last_seen_at=self.last_seen_at, cert_serial=self.cert_serial,
            cert_not_after=self.cert_not_after, selftest_ok=self.selftest_ok, selftest_at=self.selftest_at,
            selftest_summary=self.selftest_summary, code_expires_at=self.code_expires_at, window=self.window,
        )


@dataclass(frozen=True)
class RevokedSerial:
    serial: str
    device_id: str
    revoked_at: float
    not_after: float


def _record(row: sqlite3.Row, code_expires_at: float | None) -> DeviceRecord:
    return DeviceRecord(
        device_id=row["device_id"], role=Role(row["role"]), zone=row["zone"], name=row["name"],
        status=DeviceStatus(row["status"]), created_at=row["created_at"], provisioned_at=row["provisioned_at"],
        retired_at=row["retired_at"], last_seen_at=row["last_seen_at"], cert_serial=row["cert_serial"],
        cert_not_after=row["cert_not_after"],
        selftest_ok=None if row["selftest_ok"] is None else bool(row["selftest_ok"]),
        selftest_at=row["selftest_at"], selftest_summary=row["selftest_summary"], code_expires_at=code_expires_at,
        window=row["window"],
    )


_ROLE_PREFIX = {
    Role.KIOSK: "kiosk",
    Role.HALL_SCREEN: "screen",
    Role.WINDOW_DISPLAY: "display",
    Role.EVALUATOR: "eval",
    Role.WINDOW_TERMINAL: "term",
}



def hash_secret(secret: str) -> str:
    """What the registry stores instead of a code's secret."""
    return hashlib.sha256(b"onevisit-enroll-v1:" + secret.encode()).hexdigest()


class DeviceRegistry:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = connect_durable(self.path, SCHEMA)
        try:
            columns = {r[1] for r in db.execute("PRAGMA table_info(enrollment_devices)")}
            if "window" not in columns:  # a registry made before devices were bound to windows
                db.execute("ALTER TABLE enrollment_devices ADD COLUMN window TEXT")
        finally:
            db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One connection, one transaction (BEGIN IMMEDIATE: writers queue instead of failing later)."""
        db = connect_durable(self.path)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # -- reading -----------------------------------------------------------------------------------

    def _get(self, db: sqlite3.Connection, device_id: str, now: float | None = None) -> DeviceRecord:
        row = db.execute(f"SELECT {_COLUMNS} FROM enrollment_devices WHERE device_id = ?", (device_id,)).fetchone()
        if row is None:
            raise SlotNotFound(f"no device {device_id!r}", f"没有编号为 {device_id} 的设备。")
        expiry = db.execute(
            "SELECT MAX(expires_at) FROM enrollment_codes WHERE device_id = ? AND used_at IS NULL "
            "AND cancelled_at IS NULL AND expires_at > ?",
            (device_id, now if now is not None else 0.0),
        ).fetchone()[0]
        return _record(row, expiry if now is not None else None)

    def get(self, device_id: str, now: float | None = None) -> DeviceRecord:
        with self._tx() as db:
            return self._get(db, device_id, now)

    def devices(self, now: float | None = None) -> list[DeviceRecord]:
        with self._tx() as db:
            ids = [r[0] for r in db.execute("SELECT device_id FROM enrollment_devices ORDER BY created_at, device_id")]
            return [self._get(db, i, now) for i in ids]

    def revoked(self, now: float) -> list[RevokedSerial]:
        """Revoked certificates that have not expired yet (an expired one needs no CRL entry)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT serial, device_id, revoked_at, not_after FROM enrollment_revoked WHERE not_after > ? "
                "ORDER BY revoked_at", (now,),
            ).fetchall()
        return [RevokedSerial(r[0], r[1], r[2], r[3]) for r in rows]

    # -- slots -------------------------------------------------------------------------------------

    def create_slot(self, role: Role, zone: str, name: str, now: float, window: str | None = None) -> DeviceRecord:
        """A new pending slot with the next free id ``{role}-{zone}-{nn}`` (e.g. ``kiosk-A-01``)."""
        check_id(zone, "zone")
        if (role in WINDOW_ROLES) != (window is not None):
            raise ValueError(f"a {role} {'needs' if role in WINDOW_ROLES else 'takes no'} window")
        if window is not None:
            check_id(window, "window")
        name = name.strip()
        if not name or len(name) > 100:
            raise ValueError("name must be 1-100 characters")
        prefix = f"{_ROLE_PREFIX[role]}-{zone}-"
        with self._tx() as db:
            taken = {r[0] for r in db.execute("SELECT device_id FROM enrollment_devices") if r[0].startswith(prefix)}
            n = 1
            while f"{prefix}{n:02d}" in taken:
                n += 1
            device_id = check_id(f"{prefix}{n:02d}", "device")
            db.execute(
                "INSERT INTO enrollment_devices (device_id, role, zone, name, status, created_at, window) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (device_id, role.value, zone, name, DeviceStatus.PENDING.value, now, window),
            )
            return self._get(db, device_id, now)

    def add_code(self, device_id: str, code_hash: str, now: float, ttl_s: float) -> float:
        """Attach a new one-time code (by hash) to a slot; older unused codes of the slot stop working."""
        with self._tx() as db:
            rec = self._get(db, device_id)
            status = next_status(rec.status, SlotEvent.NEW_CODE)
            db.execute("UPDATE enrollment_codes SET cancelled_at = ? WHERE device_id = ? AND used_at IS NULL "
                       "AND cancelled_at IS NULL", (now, device_id))
            db.execute("INSERT INTO enrollment_codes (code_hash, device_id, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?)", (code_hash, device_id, now, now + ttl_s))
            db.execute("UPDATE enrollment_devices SET status = ? WHERE device_id = ?", (status.value, device_id))
            return now + ttl_s

    # -- codes -------------------------------------------------------------------------------------

    @staticmethod
    def _check(db: sqlite3.Connection, code_hash: str, now: float) -> str:
        row = db.execute(
            "SELECT device_id, expires_at, used_at, cancelled_at FROM enrollment_codes WHERE code_hash = ?",
            (code_hash,),
        ).fetchone()
        if row is None:
            raise CodeInvalid("unknown one-time code", "授权码无效，请核对后重新输入，或在控制台重新生成。")
        if row["used_at"] is not None:
            raise CodeUsed("this one-time code has already been used",
                           "该授权码已被使用过（每个授权码只能使用一次），请在控制台重新生成。")
        if row["cancelled_at"] is not None:
            raise CodeInvalid("this one-time code was replaced by a newer one",
                              "该授权码已被新生成的授权码取代，请使用最新的授权码。")
        if row["expires_at"] <= now:
            raise CodeExpired("this one-time code has expired", "授权码已过期，请在控制台重新生成。")
        device_id: str = row["device_id"]
        return device_id

    def check_code(self, code_hash: str, now: float) -> DeviceRecord:
        """The slot a code belongs to, without using the code up. Raises CodeInvalid/CodeUsed/CodeExpired."""
        with self._tx() as db:
            device_id = self._check(db, code_hash, now)
            rec = self._get(db, device_id, now)
        if rec.status is DeviceStatus.RETIRED:
            raise CodeInvalid("the slot of this code is retired", "该授权码对应的设备已停用。")
        return rec

    def consume_code(self, code_hash: str, now: float) -> DeviceRecord:
        """Use the code up, atomically: of two concurrent enrolments with one code, exactly one gets here."""
        with self._tx() as db:
            device_id = self._check(db, code_hash, now)
            db.execute("UPDATE enrollment_codes SET used_at = ? WHERE code_hash = ?", (now, code_hash))
            return self._get(db, device_id, now)

    def release_code(self, code_hash: str) -> None:
        """Give a consumed code back when enrolment failed on our side (broker down), so it can be retried."""
        with self._tx() as db:
            db.execute("UPDATE enrollment_codes SET used_at = NULL WHERE code_hash = ?", (code_hash,))

    # -- lifecycle ---------------------------------------------------------------------------------

    def record_enrolment(self, device_id: str, serial: str, not_after: float, now: float) -> RevokedSerial | None:
        """The slot now holds a new certificate; a previous one (a replaced device) is revoked and returned."""
        with self._tx() as db:
            rec = self._get(db, device_id)
            status = next_status(rec.status, SlotEvent.ENROLLED)
            old = self._revoke(db, rec, now)
            db.execute(
                "UPDATE enrollment_devices SET status = ?, provisioned_at = ?, cert_serial = ?, cert_not_after = ?, "
                "selftest_ok = NULL, selftest_at = NULL, selftest_summary = '' WHERE device_id = ?",
                (status.value, now, serial, not_after, device_id),
            )
            return old

    @staticmethod
    def _revoke(db: sqlite3.Connection, rec: DeviceRecord, now: float) -> RevokedSerial | None:
        if not rec.cert_serial:
            return None
        not_after = rec.cert_not_after if rec.cert_not_after is not None else now + 366 * 86400
        db.execute("INSERT OR IGNORE INTO enrollment_revoked (serial, device_id, revoked_at, not_after) "
                   "VALUES (?, ?, ?, ?)", (rec.cert_serial, rec.device_id, now, not_after))
        return RevokedSerial(rec.cert_serial, rec.device_id, now, not_after)

    def retire(self, device_id: str, now: float) -> RevokedSerial | None:
        """Mark retired, revoke its certificate (returned), cancel its outstanding codes."""
        with self._tx() as db:
            rec = self._get(db, device_id)
            status = next_status(rec.status, SlotEvent.RETIRE)
            old = self._revoke(db, rec, now)
            db.execute("UPDATE enrollment_codes SET cancelled_at = ? WHERE device_id = ? AND used_at IS NULL "
                       "AND cancelled_at IS NULL", (now, device_id))
            db.execute("UPDATE enrollment_devices SET status = ?, retired_at = ?, cert_serial = '', "
                       "cert_not_after = NULL WHERE device_id = ?", (status.value, now, device_id))
            return old

    def record_presence(self, device_id: str, online: bool, now: float) -> DeviceRecord:
        with self._tx() as db:
            rec = self._get(db, device_id)
            status = next_status(rec.status, SlotEvent.CAME_ONLINE if online else SlotEvent.WENT_OFFLINE)
            db.execute("UPDATE enrollment_devices SET status = ?, last_seen_at = ? WHERE device_id = ?",
                       (status.value, now, device_id))
            return self._get(db, device_id)

    def record_selftest(self, device_id: str, ok: bool, summary: str, now: float) -> DeviceRecord:
        with self._tx() as db:
            rec = self._get(db, device_id)
            if rec.status in (DeviceStatus.PENDING, DeviceStatus.RETIRED):
                next_status(rec.status, SlotEvent.CAME_ONLINE)  # raises: such a slot has no device to test
            db.execute(
                "UPDATE enrollment_devices SET selftest_ok = ?, selftest_at = ?, selftest_summary = ?, "
                "last_seen_at = ? WHERE device_id = ?",
                (int(ok), now, summary[:500], now, device_id),
            )
            return self._get(db, device_id)
