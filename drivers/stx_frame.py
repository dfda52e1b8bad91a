"""The STX/ETX frame used by OneVisit's hall serial devices (LED window displays, keypads). Sans-IO.

Layout::

    STX | ADDR | CMD | LEN | PAYLOAD (LEN bytes) | CHK | ETX
    02                                                  03
    CHK = XOR of ADDR, CMD, LEN and every payload byte

STX and ETX may also occur inside the payload: frames are delimited by LEN, and ETX + CHK only confirm
the frame. A broken frame is skipped one byte at a time, so a good frame hidden behind it is still found.
Shared by drivers.led_display and drivers.keypad (docs/serial-devices.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from drivers.errors import DriverError

STX = 0x02
ETX = 0x03
MAX_PAYLOAD = 250
BROADCAST = 0xFF
_HEAD = 4  # STX ADDR CMD LEN


class StxFrameError(DriverError):
    """A broken frame on the line (the parser has skipped it)."""

    reason = "line-errors"


class StxChecksumError(StxFrameError):
    pass


class StxFramingError(StxFrameError):
    """LEN too large, or no ETX where the frame should end."""


class StxTruncated(StxFrameError):
    """A frame began but its bytes stopped coming."""


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


@dataclass(frozen=True, slots=True)
class StxFrame:
    addr: int
    cmd: int
    payload: bytes = b""

    def encode(self) -> bytes:
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes exceeds {MAX_PAYLOAD}")
        body = bytes([self.addr, self.cmd, len(self.payload)]) + self.payload
        return bytes([STX]) + body + bytes([xor(body), ETX])


class StxParser:
    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded = 0

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    @property
    def pending(self) -> bool:
        return STX in self._buf

    def next_frame(self) -> StxFrame | None:
        start = self._buf.find(STX)
        if start < 0:
            self.discarded += len(self._buf)
            self._buf.clear()
            return None
        if start:
            self.discarded += start
            del self._buf[:start]
        if len(self._buf) < _HEAD:
            return None
        length = self._buf[3]
        if length > MAX_PAYLOAD:
            self._skip()
            raise StxFramingError(f"length {length} exceeds {MAX_PAYLOAD}")
        end = _HEAD + length + 2
        if len(self._buf) < end:
            return None
        frame = bytes(self._buf[:end])
        if frame[-1] != ETX:
            self._skip()
            raise StxFramingError(f"no ETX after a frame of length {length}")
        if xor(frame[1:-2]) != frame[-2]:
            self._skip()
            raise StxChecksumError(f"checksum mismatch in a frame of length {length}")
        del self._buf[:end]
        return StxFrame(frame[1], frame[2], frame[_HEAD:-2])

    def end_of_data(self) -> None:
        """The peer went quiet: a half-received frame is torn."""
        start = self._buf.find(STX)
        have = len(self._buf) - start if start >= 0 else 0
        self.discarded += len(self._buf) - have
        self._buf.clear()
        if have:
            raise StxTruncated(f"frame stopped after {have} bytes")

    def _skip(self) -> None:
        self.discarded += 1
        del self._buf[:1]
