"""The citizen's session: who they are, what they typed, their photo and temporary files, and the wipe.

Personal data lives only here, only for the session. ``wipe()`` drops it all and returns a record that
says what was cleared without saying whose it was.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from hall_protocol.identity import mask_id_number, mask_name
from kiosk.viewmodels.observable import Observable

log = logging.getLogger(__name__)


class IdSource(StrEnum):
    ID_CARD = "id-card"  # 居民身份证 on the reader
    SSC = "ssc"  # 社会保障卡
    EID_QR = "eid-qr"  # 电子身份证 / 网证 QR through the camera
    MANUAL = "manual"  # typed on the keypad (check digit verified, no name)


@dataclass(frozen=True, slots=True, repr=False)
class Identity:
    id_number: str
    source: IdSource
    name: str = ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def greeting_name(self) -> str:
        """What the greeting shows: 张* when the name is known, else the masked ID number."""
        return self.masked_name or self.masked_id

    def __repr__(self) -> str:
        return f"Identity(name={self.masked_name!r}, id_number={self.masked_id!r}, source={self.source.value!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class WipeRecord:
    """Logged and reported at every session end. Counts and kinds only: nothing about the person."""

    session_id: str
    reason: str  # "idle", "finished", "home", "fault"
    started_at: float
    wiped_at: float
    had_identity: bool
    identity_source: str | None
    inputs_cleared: int
    photo_cleared: bool
    temp_files_removed: int
    temp_files_failed: int


@dataclass
class _Data:
    identity: Identity | None = None
    photo: bytearray | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    temp_files: list[Path] = field(default_factory=list)
    ticket_ids: list[str] = field(default_factory=list)


class Session(Observable):
    def __init__(self, now: float = 0.0) -> None:
        super().__init__()
        self._data = _Data()
        self.session_id = secrets.token_hex(8)
        self.started_at = now

    @property
    def identity(self) -> Identity | None:
        return self._data.identity

    @property
    def identified(self) -> bool:
        return self._data.identity is not None

    def set_identity(self, identity: Identity) -> None:
        self._data.identity = identity
        log.info("session %s: identified by %s", self.session_id, identity.source.value)
        self._notify("identity")

    @property
    def photo(self) -> bytes | None:
        return bytes(self._data.photo) if self._data.photo is not None else None

    def set_photo(self, data: bytes) -> None:
        self._data.photo = bytearray(data)
        self._notify("photo")

    @property
    def inputs(self) -> dict[str, str]:
        return dict(self._data.inputs)

    def set_input(self, key: str, value: str) -> None:
        self._data.inputs[key] = value
        self._notify("inputs")

    def add_temp_file(self, path: Path) -> None:
        self._data.temp_files.append(path)

    @property
    def temp_files(self) -> tuple[Path, ...]:
        return tuple(self._data.temp_files)

    def add_ticket(self, ticket_id: str) -> None:
        self._data.ticket_ids.append(ticket_id)
        self._notify("tickets")

    @property
    def ticket_ids(self) -> tuple[str, ...]:
        return tuple(self._data.ticket_ids)

    @property
    def empty(self) -> bool:
        d = self._data
        return d.identity is None and d.photo is None and not d.inputs and not d.temp_files and not d.ticket_ids

    def wipe(self, reason: str, now: float) -> WipeRecord:
        """Clear everything; the session gets a fresh id. Returns (and logs) a record without personal data."""
        d = self._data
        if d.photo is not None:
            d.photo[:] = bytes(len(d.photo))  # overwrite the one copy we own before dropping it
        removed = failed = 0
        for path in d.temp_files:
            try:
                path.unlink(missing_ok=True)
                removed += 1
            except OSError as err:
                failed += 1
                log.warning("session %s: could not remove a temporary file: %s", self.session_id, err.strerror)
        record = WipeRecord(
            session_id=self.session_id,
            reason=reason,
            started_at=self.started_at,
            wiped_at=now,
            had_identity=d.identity is not None,
            identity_source=d.identity.source.value if d.identity else None,
            inputs_cleared=len(d.inputs),
            photo_cleared=d.photo is not None,
            temp_files_removed=removed,
            temp_files_failed=failed,
        )
        self._data = _Data()
        self.session_id = secrets.token_hex(8)
        self.started_at = now
        log.info(
            "session %s wiped (%s): identity=%s inputs=%d photo=%s temp_files=%d/%d",
            record.session_id, reason, record.identity_source or "none", record.inputs_cleared,
            record.photo_cleared, removed, removed + failed,
        )
        self._notify("identity", "photo", "inputs", "tickets")
        return record
