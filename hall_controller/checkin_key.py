"""The hall's check-in key: kiosks' agents send ``HMAC(key, "idcard:" + ID number)`` to check in by ID card,
and the controller stores the same keyed hash for an appointment registered with an ID number
(``hall_protocol.appointments.id_lookup``).

The key lives in its own 0600 file, not in the database: a copy of the database alone cannot be searched
for an ID number. Enrolment hands it to every kiosk (``EnrollReply.checkin_key``).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from hall_runtime.files import write_private

KEY_FILE = "checkin.key"
KEY_BYTES = 32


def load_or_create(path: Path) -> bytes:
    """The key in ``path`` (64 hex digits), made there with a fresh random value the first time."""
    if path.exists():
        return read_key(path)
    key = secrets.token_bytes(KEY_BYTES)
    write_private(path, key.hex().encode() + b"\n")
    return key


def read_key(path: Path) -> bytes:
    """ValueError when the file does not hold 64 hex digits."""
    text = path.read_text().strip()
    key = bytes.fromhex(text)
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path}: a check-in key is {KEY_BYTES * 2} hex digits")
    return key
