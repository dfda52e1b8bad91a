"""People's accounts (window staff, managers, technicians) and their sessions, in the hall database.

Passwords are stored as Argon2id hashes (argon2-cffi; hashing runs in a thread, it takes tens of
milliseconds on purpose). After ``LOCK_AFTER`` wrong passwords in a row an account is locked for
``LOCK_S``; a manager or ``onevisit staff reset-password`` unlocks it. Sessions are random tokens kept as
SHA-256 hashes: a copy of the database does not log anybody in. A session ends at logout, after
``IDLE_S`` without use, or ``MAX_S`` after login (a shift), whichever comes first.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import aiosqlite
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hall_protocol.errors import OneVisitError
from hall_runtime.sqlite import open_durable

LOCK_AFTER = 5
LOCK_S = 15 * 60
IDLE_S = 2 * 3600
MAX_S = 12 * 3600
MIN_PASSWORD = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    password_set_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES accounts(username),
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL,
    window TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
"""


class PersonRole(StrEnum):
    STAFF = "staff"  # window staff: the window terminal only
    MANAGER = "manager"  # the hall manager: the whole console
    TECHNICIAN = "technician"  # devices only


class AccountError(OneVisitError):
    """A refusal a person is told about: ``message_zh`` on the page, ``str()`` in the log."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    display_name: str
    role: PersonRole
    disabled: bool
    failures: int
    locked_until: float
    created_at: float

    def locked(self, now: float) -> bool:
        return self.locked_until > now


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # only known right after login (it goes into the cookie); "" when read back from the store
    username: str
    role: PersonRole
    display_name: str
    csrf: str
    created_at: float
    window: str | None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> str:
    u = username.strip()
    if not (1 <= len(u) <= 32) or not all(c.isalnum() or c in "._-" for c in u):
        raise AccountError(f"username {username!r}: 1-32 letters, digits, . _ -", "用户名须为1-32位字母、数字或 . _ -")
    return u


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters", f"密码至少{MIN_PASSWORD}位")


class AccountStore:
    """Create with :meth:`open`. Every method that writes commits before it returns."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_hex(8))  # verified against when the user is unknown

    @classmethod
    async def open(cls, path: str | Path, *, clock: Callable[[], float] = time.time) -> AccountStore:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(await open_durable(path, SCHEMA), clock)

    async def close(self) -> None:
        await self._db.close()

    # -- accounts --------------------------------------------------------------------------------

    async def add(self, username: str, display_name: str, role: PersonRole, password: str) -> Account:
        username = check_username(username)
        check_password(password)
        digest = await asyncio.to_thread(self._hasher.hash, password)
        now = self._clock()
        try:
            await self._db.execute(
                "INSERT INTO accounts (username, display_name, role, password_hash, created_at, password_set_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (username, display_name.strip() or username, role.value, digest, now, now))
            await self._db.commit()
        except sqlite3.IntegrityError as err:
            raise AccountError(f"account {username} exists", f"账号 {username} 已存在") from err
        return await self.get(username)

    async def get(self, username: str) -> Account:
        async with self._db.execute(
            "SELECT username, display_name, role, disabled, failures, locked_until, created_at FROM accounts "
            "WHERE username = ?", (username,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise AccountError(f"no account {username!r}", f"没有账号 {username}")
        return Account(row[0], row[1], PersonRole(row[2]), bool(row[3]), int(row[4]), float(row[5]), float(row[6]))

    async def list(self) -> list[Account]:
        async with self._db.execute("SELECT username FROM accounts ORDER BY role, username") as cur:
            names = [r[0] async for r in cur]
        return [await self.get(n) for n in names]

    async def set_disabled(self, username: str, disabled: bool) -> Account:
        await self.get(username)
        await self._db.execute("UPDATE accounts SET disabled = ? WHERE username = ?", (int(disabled), username))
        if disabled:
            await self._db.execute("DELETE FROM sessions WHERE username = ?", (username,))
        await self._db.commit()
        return await self.get(username)

    async def set_password(self, username: str, password: str) -> Account:
        """A new password; it also unlocks the account and ends its sessions."""
        await self.get(username)
        check_password(password)
        digest = await asyncio.to_thread(self._hasher.hash, password)
        await self._db.execute(
            "UPDATE accounts SET password_hash = ?, password_set_at = ?, failures = 0, locked_until = 0 "
            "WHERE username = ?", (digest, self._clock(), username))
        await self._db.execute("DELETE FROM sessions WHERE username = ?", (username,))
        await self._db.commit()
        return await self.get(username)

    # -- logging in ------------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> Session:
        """A new session, or AccountError saying why not (the same words for "no such user" and "wrong
        password", so the page does not tell which usernames exist)."""
        now = self._clock()
        async with self._db.execute(
            "SELECT password_hash, disabled, failures, locked_until FROM accounts WHERE username = ?",
            (username,)) as cur:
            row = await cur.fetchone()
        wrong = AccountError("wrong username or password", "用户名或密码错误")
        if row is None:
            await asyncio.to_thread(self._verify, self._dummy, password)  # same time as a real check
            raise wrong
        digest, disabled, failures, locked_until = str(row[0]), bool(row[1]), int(row[2]), float(row[3])
        if locked_until > now:
            minutes = max(1, round((locked_until - now) / 60))
            raise AccountError(f"account locked for {minutes} more minute(s) after {LOCK_AFTER} wrong passwords",
                               f"密码连续错误{LOCK_AFTER}次，账号已锁定，请{minutes}分钟后再试或联系管理员")
        if not await asyncio.to_thread(self._verify, digest, password):
            failures += 1
            lock = now + LOCK_S if failures >= LOCK_AFTER else 0.0
            await self._db.execute("UPDATE accounts SET failures = ?, locked_until = ? WHERE username = ?",
                                   (0 if lock else failures, lock, username))
            await self._db.commit()
            raise wrong
        if disabled:
            raise AccountError("this account is disabled", "该账号已停用，请联系管理员")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self._db.execute("UPDATE accounts SET failures = 0 WHERE username = ?", (username,))
        await self._db.execute(
            "INSERT INTO sessions (token_hash, username, csrf, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
            (_hash_token(token), username, csrf, now, now))
        await self._db.commit()
        account = await self.get(username)
        return Session(token, username, account.role, account.display_name, csrf, now, None)

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False

    async def session(self, token: str, *, touch: bool = True) -> Session | None:
        """The live session of a cookie token, or None. A look with ``touch`` counts as use (it keeps the session
        from idling out); a live page's stream looks without, so an unattended page does not keep it alive."""
        if not token:
            return None
        now = self._clock()
        h = _hash_token(token)
        async with self._db.execute(
            "SELECT s.username, a.role, a.display_name, s.csrf, s.created_at, s.seen_at, s.window, a.disabled "
            "FROM sessions s JOIN accounts a ON a.username = s.username WHERE s.token_hash = ?", (h,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        if bool(row[7]) or now - float(row[5]) > IDLE_S or now - float(row[4]) > MAX_S:
            await self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (h,))
            await self._db.commit()
            return None
        if touch and now - float(row[5]) > 60:  # one write a minute is enough to keep the idle clock
            await self._db.execute("UPDATE sessions SET seen_at = ? WHERE token_hash = ?", (now, h))
            await self._db.commit()
        return Session("", str(row[0]), PersonRole(row[1]), str(row[2]), str(row[3]), float(row[4]), row[6])

    async def set_window(self, token: str, window: str | None) -> None:
        await self._db.execute("UPDATE sessions SET window = ? WHERE token_hash = ?", (window, _hash_token(token)))
        await self._db.commit()

    async def logout(self, token: str) -> None:
        await self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash_token(token),))
        await self._db.commit()
