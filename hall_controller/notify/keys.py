"""The keys that keep a citizen's phone number unreadable everywhere but at the moment of sending.

- The sealing key pair: agents seal a number with its public half (``HallState.contact_key``); derived from
  the hall secret (HKDF), so it survives restarts without another stored secret and no device can open a box.
- The day keys: a stored number is encrypted (AES-256-GCM, the ticket id as associated data) with a key of
  its day, kept in a 0600 file apart from the database. When a day's numbers are deleted its key is deleted
  too, so a copy of the database, or a deleted row left in a free page, stays unreadable.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hall_protocol.errors import OneVisitError
from hall_runtime.files import write_private

_SEAL_INFO = b"onevisit contact sealing key v1"


class ContactKeyError(OneVisitError):
    """A stored contact could not be decrypted (its day's key is gone, or the row was altered)."""


def sealing_key(hall_secret: bytes) -> X25519PrivateKey:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(hall_secret)
    return X25519PrivateKey.from_private_bytes(raw)


class DayKeys:
    """``{day: key}`` in a 0600 file; a day's key is made on first use and deleted with that day's data."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, bytes] = {}
        if path.exists():
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._keys = {day: bytes.fromhex(key) for day, key in raw.items()}

    def _save(self) -> None:
        write_private(self.path, json.dumps({d: k.hex() for d, k in self._keys.items()}).encode())

    def _key(self, day: str) -> bytes:
        key = self._keys.get(day)
        if key is None:
            key = self._keys[day] = secrets.token_bytes(32)
            self._save()  # on disk before any row depends on it
        return key

    def encrypt(self, day: str, ticket_id: str, value: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self._key(day)).encrypt(nonce, value.encode(), ticket_id.encode())

    def decrypt(self, day: str, ticket_id: str, box: bytes) -> str:
        key = self._keys.get(day)
        if key is None:
            raise ContactKeyError(f"no key for {day}: its contacts were deleted")
        try:
            return AESGCM(key).decrypt(box[:12], box[12:], ticket_id.encode()).decode()
        except InvalidTag as err:
            raise ContactKeyError("a stored contact does not decrypt") from err

    def keep_only(self, day: str) -> list[str]:
        """Delete every day's key but ``day``'s (after their rows are gone); the days dropped."""
        dropped = [d for d in self._keys if d != day]
        if dropped:
            for d in dropped:
                del self._keys[d]
            self._save()
        return dropped
