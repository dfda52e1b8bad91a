"""Appointment codes, the contract between whoever prints them (the console, a booking system) and the kiosk
that scans them, and the ID look-up a kiosk's agent sends instead of an ID number.

QR text: ``OVAPPT:{hall}:{appointment_id}:{check}``

- ``hall`` and ``appointment_id``: 1 … 64 characters of ``A-Z a-z 0-9 _ -``.
- ``check``: two decimal digits, ISO 7064 MOD 97-10 (the IBAN rule) over ``{hall}:{appointment_id}``, each
  character mapped to its two-digit index in ``0-9 A-Z a-z _ - :``. A mistyped or damaged code fails the
  check; the controller's look-up of the id remains the authority.

ID look-up: ``HMAC-SHA256(check-in key, "idcard:" + ID number)`` as 64 hex digits. The key is the hall's
check-in key: the controller holds it (to store the same hash for an appointment registered with an ID
number) and so does every kiosk's agent (delivered at enrolment). The ID number itself never leaves the
kiosk, and a copy of the controller's database (without the key file) cannot be searched for a number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

APPOINTMENT_PREFIX = "OVAPPT:"
ID_LOOKUP_PREFIX = "idk:"
"""``CheckIn.appointment_code`` of a check-in by ID card: this prefix and the look-up hash."""

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHECK = re.compile(r"[0-9]{2}")
_LOOKUP = re.compile(r"[0-9a-f]{64}")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-:"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


@dataclass(frozen=True)
class AppointmentCode:
    hall: str
    appointment_id: str


def is_code_id(value: str) -> bool:
    """True for a hall or appointment id that fits the code's alphabet."""
    return _ID.fullmatch(value) is not None


def mod97(body: str, tail: str) -> int:
    digits = "".join(f"{_INDEX[c]:02d}" for c in body) + tail
    return int(digits) % 97


def appointment_check(hall: str, appointment_id: str) -> str:
    """The two check digits of an appointment code; raises ValueError for ids outside the alphabet."""
    for what, value in (("hall", hall), ("appointment_id", appointment_id)):
        if not is_code_id(value):
            raise ValueError(f"{what} {value!r} must be 1-64 characters of A-Z a-z 0-9 _ -")
    return f"{98 - mod97(f'{hall}:{appointment_id}', '00'):02d}"


def appointment_code(hall: str, appointment_id: str) -> str:
    """The text to print (as a QR) on an appointment confirmation."""
    return f"{APPOINTMENT_PREFIX}{hall}:{appointment_id}:{appointment_check(hall, appointment_id)}"


def check_matches(hall: str, appointment_id: str, check: str) -> bool:
    return _CHECK.fullmatch(check) is not None and mod97(f"{hall}:{appointment_id}", check) == 1


def parse_appointment_code(text: str) -> AppointmentCode:
    """The hall and id of an appointment QR text; ValueError (naming the part) when it is not a valid one."""
    if not text.startswith(APPOINTMENT_PREFIX):
        raise ValueError(f"does not start with {APPOINTMENT_PREFIX}")
    parts = text[len(APPOINTMENT_PREFIX):].split(":")
    if len(parts) != 3:
        raise ValueError(f"expected hall:appointment_id:check, got {len(parts)} part(s)")
    hall, appointment_id, check = parts
    if not is_code_id(hall) or not is_code_id(appointment_id):
        raise ValueError("hall and appointment_id must be 1-64 characters of A-Z a-z 0-9 _ -")
    if not check_matches(hall, appointment_id, check):
        raise ValueError("check digits do not match")
    return AppointmentCode(hall=hall, appointment_id=appointment_id)


def normalise_id_number(id_number: str) -> str:
    """The form the look-up is computed over: no surrounding space, the check character upper case."""
    return id_number.strip().upper()


def id_lookup(key: bytes, id_number: str) -> str:
    """The keyed hash a check-in by ID card is matched by (see the module docstring)."""
    message = ("idcard:" + normalise_id_number(id_number)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_id_lookup(value: str) -> bool:
    return _LOOKUP.fullmatch(value) is not None
