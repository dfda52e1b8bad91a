"""Ticket ids and status-page tokens, derived from a per-hall secret so that neither can be guessed.

Both are keyed BLAKE2s of the same message (day, number, request id) under the hall's secret, in two
domains (BLAKE2's ``person`` parameter): knowing a ticket's id, its number or its request id tells nothing
about its token, and nobody can compute either without the secret. The engine stays pure: the secret is
part of the state (``EngineState.keys``), and a rebuild reads the ids back from the log's events.

- ticket id: 80 bits, 16 characters of the lowercase base32 alphabet (URL- and topic-safe, short enough
  for a QR); (day, number) is unique per ticket, so ids collide only by chance (≈ n²/2⁸¹ for n tickets).
- token: 120 bits, 24 such characters.

Each character is the low 5 bits of one digest byte (uniform, as the digest is): one C-level
``bytes.translate`` instead of ``base64.b32encode``, which cost more than the rest of issuing a ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32  # BLAKE2s takes a key of at most 32 bytes
_ID_CHARS = 16
_TOKEN_CHARS = 24
_TO_BASE32 = bytes(b"abcdefghijklmnopqrstuvwxyz234567"[b & 31] for b in range(256))


class TicketKeys:
    """The hall's secret. Compared in constant time; never shown by ``repr``."""

    __slots__ = ("_id", "_key", "_token")

    def __init__(self, secret: bytes) -> None:
        if not 16 <= len(secret) <= SECRET_BYTES:
            raise ValueError(f"the hall secret must be 16 to {SECRET_BYTES} bytes, not {len(secret)}")
        self._key = secret
        # Keyed once; each ticket copies the keyed state rather than keying again.
        self._id = hashlib.blake2s(digest_size=_ID_CHARS, key=secret, person=b"ov-tid")
        self._token = hashlib.blake2s(digest_size=_TOKEN_CHARS, key=secret, person=b"ov-tok")

    @classmethod
    def generate(cls) -> TicketKeys:
        return cls(secrets.token_bytes(SECRET_BYTES))

    def derive(self, day: str, number: str, request_id: str) -> tuple[str, str]:
        """(ticket id, status token) of the ticket numbered ``number`` on ``day`` by request ``request_id``."""
        message = f"{day}\x00{number}\x00{request_id}".encode()
        ticket_id, token = self._id.copy(), self._token.copy()
        ticket_id.update(message)
        token.update(message)
        return ticket_id.digest().translate(_TO_BASE32).decode(), token.digest().translate(_TO_BASE32).decode()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TicketKeys) and hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        raise TypeError("TicketKeys is not hashable")

    def __repr__(self) -> str:
        return "TicketKeys(<secret>)"
