"""API tokens of the open HTTP API: one per integration (a booking system, the provincial 好差评 platform),
each with scopes (``permissions.API_SCOPES``). Kept in the hall database as SHA-256 hashes: a token is 256
random bits, shown once when it is made, so a copy of the database does not let anybody in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from hall_controller.actors import Actor, ActorKind
from hall_controller.permissions import API_SCOPES
from hall_protocol.errors import OneVisitError
from hall_runtime.sqlite import open_durable

TOKEN_PREFIX = "ovk_"
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL,
    last_used_at REAL
);
"""


class TokenError(OneVisitError):
    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


@dataclass(frozen=True, slots=True)
class ApiToken:
    name: str
    scopes: frozenset[str]
    created_at: float
    revoked_at: float | None
    last_used_at: float | None

    def actor(self) -> Actor:
        return Actor(ActorKind.API, self.name, scopes=self.scopes)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    n = name.strip()
    if not (1 <= len(n) <= 40) or not all(c.isalnum() or c in "._-" for c in n):
        raise TokenError(f"name {name!r}: 1-40 letters, digits, . _ -", "名称须为1-40位字母、数字或 . _ -")
    return n


def check_scopes(scopes: list[str] | tuple[str, ...]) -> frozenset[str]:
    unknown = sorted(set(scopes) - set(API_SCOPES))
    if unknown or not scopes:
        raise TokenError(f"scopes must be some of {', '.join(sorted(API_SCOPES))}; not {', '.join(unknown)}",
                         f"权限范围须为 {'、'.join(sorted(API_SCOPES))} 中的一项或多项")
    return frozenset(scopes)


class ApiTokenStore:
    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock

    @classmethod
    async def open(cls, path: str | Path, *, clock: Callable[[], float] = time.time) -> ApiTokenStore:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(await open_durable(path, SCHEMA), clock)

    async def close(self) -> None:
        await self._db.close()

    async def add(self, name: str, scopes: list[str] | tuple[str, ...]) -> tuple[ApiToken, str]:
        """A new token: its record and the token itself (shown once; only its hash is kept)."""
        name, granted = check_name(name), check_scopes(scopes)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        await self._db.execute("DELETE FROM api_tokens WHERE name = ? AND revoked_at IS NOT NULL", (name,))
        try:
            await self._db.execute(
                "INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?)",
                (name, _hash(token), " ".join(sorted(granted)), self._clock()))
            await self._db.commit()
        except sqlite3.IntegrityError as err:
            raise TokenError(f"a token named {name} exists (revoke it first)", f"名为 {name} 的令牌已存在") from err
        return await self.get(name), token

    async def get(self, name: str) -> ApiToken:
        async with self._db.execute(
            "SELECT name, scopes, created_at, revoked_at, last_used_at FROM api_tokens WHERE name = ?", (name,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise TokenError(f"no token named {name!r}", f"没有名为 {name} 的令牌")
        return _token(row)

    async def list(self) -> list[ApiToken]:
        async with self._db.execute(
            "SELECT name, scopes, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY name"
        ) as cur:
            return [_token(r) async for r in cur]

    async def revoke(self, name: str) -> ApiToken:
        """Refused from the next request on; the record stays (listed as revoked) until a new token takes
        its name."""
        await self.get(name)
        await self._db.execute("UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                               (self._clock(), name))
        await self._db.commit()
        return await self.get(name)

    async def authenticate(self, token: str) -> ApiToken | None:
        """The live token a bearer token names, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = _hash(token)
        async with self._db.execute(
            "SELECT name, scopes, created_at, revoked_at, last_used_at, token_hash FROM api_tokens "
            "WHERE token_hash = ?", (digest,)
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[3] is not None or not hmac.compare_digest(str(row[5]), digest):
            return None
        now = self._clock()
        if row[4] is None or now - float(row[4]) > 60:  # one write a minute is enough to say it is in use
            await self._db.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", (now, digest))
            await self._db.commit()
        return _token(row[:5])


def _token(row: tuple[object, ...] | sqlite3.Row) -> ApiToken:
    return ApiToken(str(row[0]), frozenset(str(row[1]).split()), float(row[2]),  # type: ignore[arg-type]
                    None if row[3] is None else float(row[3]),  # type: ignore[arg-type]
                    None if row[4] is None else float(row[4]))  # type: ignore[arg-type]
