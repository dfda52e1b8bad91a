"""The identity read from a card, and the decoding of the card's 256-byte text block.

The record holds personal data: its repr masks name and ID number, so it can never leak into a log by
accident. The photo stays as WLT bytes in memory; nothing here writes it anywhere.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from drivers.idcard.codes import NATION, SEX, SEX_EN
from drivers.idcard.errors import CardDataError, InvalidIdNumber
from hall_protocol.identity import is_valid_id_number, mask_id_number, mask_name

TEXT_SIZE = 256
PHOTO_SIZE = 1024
LONG_TERM = "长期"

# (field, bytes) in card order; UCS-2 little-endian, padded with spaces.
TEXT_LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth", 16),
    ("address", 70),
    ("id_number", 36),
    ("authority", 30),
    ("valid_from", 16),
    ("valid_until", 16),
    ("reserved", 36),
)


class IdentityRecord(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    sex_code: str
    nation_code: str
    birth_date: dt.date
    address: str
    id_number: str
    issuing_authority: str
    valid_from: dt.date
    valid_until: dt.date | None  # None: 长期 (no expiry)
    photo_wlt: bytes = b""  # vendor-encoded photo; decode with a WltDecoder, never write to disk
    fingerprint: bytes | None = None

    @property
    def sex(self) -> str:
        return SEX[self.sex_code]

    @property
    def sex_en(self) -> str:
        return SEX_EN[self.sex_code]

    @property
    def nation(self) -> str:
        return NATION[self.nation_code]

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def is_expired(self, today: dt.date) -> bool:
        return self.valid_until is not None and today > self.valid_until

    def __repr__(self) -> str:
        return (
            f"IdentityRecord(name={self.masked_name!r}, id_number={self.masked_id_number!r}, "
            f"photo={len(self.photo_wlt)} B, fingerprint={'yes' if self.fingerprint else 'no'})"
        )

    __str__ = __repr__


def _field(text: bytes, name: str, start: int, size: int) -> str:
    try:
        return text[start : start + size].decode("utf-16-le").strip(" \x00")
    except UnicodeDecodeError as err:
        raise CardDataError(f"field {name} is not valid UCS-2") from err


def _date(value: str, name: str) -> dt.date:
    if len(value) != 8 or not value.isdigit():
        raise CardDataError(f"field {name} is not a YYYYMMDD date (length {len(value)})")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as err:
        raise CardDataError(f"field {name} is not a calendar date") from err


def decode_identity(text: bytes, photo: bytes = b"", fingerprint: bytes | None = None) -> IdentityRecord:
    """Decode the text block; every field is checked. Errors never carry the personal data itself."""
    if len(text) != TEXT_SIZE:
        raise CardDataError(f"text block is {len(text)} bytes, expected {TEXT_SIZE}")
    fields: dict[str, str] = {}
    offset = 0
    for name, size in TEXT_LAYOUT:
        fields[name] = _field(text, name, offset, size)
        offset += size
    if not fields["name"]:
        raise CardDataError("field name is empty")
    if fields["sex"] not in SEX:
        raise CardDataError(f"field sex has an unknown code ({len(fields['sex'])} chars)")
    if fields["nation"] not in NATION:
        raise CardDataError("field nation has a code outside GB/T 3304")
    id_number = fields["id_number"].upper()
    if not is_valid_id_number(id_number):
        raise InvalidIdNumber(f"ID number {mask_id_number(id_number)} fails the GB 11643 check")
    birth = _date(fields["birth"], "birth")
    if id_number[6:14] != fields["birth"]:
        raise CardDataError("birth date does not match the ID number")
    valid_from = _date(fields["valid_from"], "valid_from")
    valid_until = None if fields["valid_until"] == LONG_TERM else _date(fields["valid_until"], "valid_until")
    if valid_until is not None and valid_until < valid_from:
        raise CardDataError("validity ends before it starts")
    return IdentityRecord(
        name=fields["name"],
        sex_code=fields["sex"],
        nation_code=fields["nation"],
        birth_date=birth,
        address=fields["address"],
        id_number=id_number,
        issuing_authority=fields["authority"],
        valid_from=valid_from,
        valid_until=valid_until,
        photo_wlt=photo,
        fingerprint=fingerprint,
    )


def encode_identity_text(
    *,
    name: str,
    sex_code: str,
    nation_code: str,
    birth_date: dt.date,
    address: str,
    id_number: str,
    issuing_authority: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
) -> bytes:
    """The card's text block for these values (for emulators and tests); no validation beyond sizes."""
    values = {
        "name": name,
        "sex": sex_code,
        "nation": nation_code,
        "birth": birth_date.strftime("%Y%m%d"),
        "address": address,
        "id_number": id_number,
        "authority": issuing_authority,
        "valid_from": valid_from.strftime("%Y%m%d"),
        "valid_until": LONG_TERM if valid_until is None else valid_until.strftime("%Y%m%d"),
        "reserved": "",
    }
    out = bytearray()
    for field, size in TEXT_LAYOUT:
        raw = values[field].encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"{field} needs {len(raw)} bytes, the card has {size}")
        out += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    return bytes(out)
