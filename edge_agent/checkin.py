"""Check-in by ID card: the UI hands its agent the citizen's ID number over the local socket; the agent
sends the hall only ``idk:`` and the keyed hash of it (``hall_protocol.appointments.id_lookup``).

The key is the hall's check-in key (``checkin_key_file``, delivered at enrolment). A kiosk without it
refuses this check-in: nothing is sent rather than something the hall could not match, or the number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from hall_protocol.appointments import ID_LOOKUP_PREFIX, id_lookup, normalise_id_number
from hall_protocol.errors import ErrorCode
from hall_protocol.local import CheckInById
from hall_protocol.tickets import CheckIn, ErrorReply, RpcReply, RpcRequest

log = logging.getLogger(__name__)

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")  # resident ID: 18 characters (or the old 15 digits)


def load_checkin_key(path: str) -> bytes | None:
    """The key in ``path``, or None when no file is configured or it is missing (check-in by ID is then
    refused, the rest of the device works); ValueError for a file that holds no key."""
    if not path:
        return None
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        log.warning("check-in key file %s is missing: check-in by ID card is refused", path)
        return None
    key = bytes.fromhex(text.strip())
    if len(key) != 32:
        raise ValueError(f"{path}: a check-in key is 64 hex digits")
    return key


class IdCheckIn:
    def __init__(self, key: bytes | None, submit: Callable[[RpcRequest, float], Awaitable[RpcReply]]) -> None:
        self._key = key
        self._submit = submit

    async def __call__(self, msg: CheckInById) -> RpcReply:
        if self._key is None:
            log.warning("check-in by ID refused: this device has no check-in key (checkin_key_file)")
            return ErrorReply(request_id=msg.request_id, code=ErrorCode.FORBIDDEN,
                              message="this device has no check-in key")
        number = normalise_id_number(msg.id_number)
        if not _ID_NUMBER.fullmatch(number):
            return ErrorReply(request_id=msg.request_id, code=ErrorCode.MALFORMED, message="not an ID number",
                              field="id_number")
        code = ID_LOOKUP_PREFIX + id_lookup(self._key, number)
        return await self._submit(CheckIn(request_id=msg.request_id, appointment_code=code), msg.timeout_s)
