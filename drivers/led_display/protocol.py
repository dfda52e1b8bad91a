"""The LED window display protocol (defined by OneVisit, docs/serial-devices.md). Sans-IO.

Frames are STX frames (drivers.stx_frame). The host sends a command to one address; the
display at that address answers ACK (0x06, payload = the command byte, plus status data for STATUS) or
NAK (0x15, payload = the command byte and a reason). Broadcast (0xFF) commands are not answered.
Text is GB 18030.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from drivers.led_display.errors import DisplayTextError
from drivers.stx_frame import MAX_PAYLOAD, StxFrame

ALL_LINES = 0xFF
MAX_BRIGHTNESS = 15


class LedCommand(IntEnum):
    SHOW = 0x31  # payload: line, effect, GB 18030 text
    CLEAR = 0x32  # payload: line (0xFF: all)
    BRIGHTNESS = 0x33  # payload: level 0..15
    BLINK = 0x34  # payload: line, on (0/1), period in 100 ms units
    STATUS = 0x35  # no payload; ACK carries lines, columns, brightness, fault flags


class Reply(IntEnum):
    ACK = 0x06
    NAK = 0x15


class Effect(IntEnum):
    STATIC = 0  # text longer than the line scrolls anyway
    SCROLL = 1


class NakReason(IntEnum):
    CHECKSUM = 0x01
    UNKNOWN_COMMAND = 0x02
    BAD_PARAMETER = 0x03  # line out of range, brightness too high
    TEXT_TOO_LONG = 0x04
    UNSUPPORTED_CHARACTER = 0x05  # a character the display's font does not have
    BUSY = 0x06


NAK_MEANING: dict[int, str] = {
    NakReason.CHECKSUM: "checksum error",
    NakReason.UNKNOWN_COMMAND: "unknown command",
    NakReason.BAD_PARAMETER: "bad parameter",
    NakReason.TEXT_TOO_LONG: "text too long",
    NakReason.UNSUPPORTED_CHARACTER: "character not in the display's font",
    NakReason.BUSY: "busy",
}


class FaultFlag(IntFlag):
    NONE = 0
    MODULE = 0x01  # an LED module or row driver failed
    OVERHEAT = 0x02
    POWER = 0x04  # supply voltage low


@dataclass(frozen=True, slots=True)
class DisplayStatus:
    lines: int
    columns: int  # half-width columns per line (a Chinese character takes two)
    brightness: int
    faults: FaultFlag

    def encode(self) -> bytes:
        return bytes([self.lines, self.columns, self.brightness, int(self.faults)])

    @classmethod
    def decode(cls, data: bytes) -> DisplayStatus:
        if len(data) != 4:
            raise ValueError(f"status of {len(data)} bytes, expected 4")
        return cls(data[0], data[1], data[2], FaultFlag(data[3] & 0x07))


def encode_text(text: str) -> bytes:
    try:
        raw = text.encode("gb18030")
    except UnicodeEncodeError as err:
        raise DisplayTextError(f"text is not encodable in GB 18030 at {err.start}") from err
    if len(raw) > MAX_PAYLOAD - 2:
        raise DisplayTextError(f"text needs {len(raw)} bytes, a frame holds {MAX_PAYLOAD - 2}")
    return raw


def show(addr: int, line: int, text: str, effect: Effect = Effect.STATIC) -> StxFrame:
    return StxFrame(addr, LedCommand.SHOW, bytes([line, effect]) + encode_text(text))


def clear(addr: int, line: int = ALL_LINES) -> StxFrame:
    return StxFrame(addr, LedCommand.CLEAR, bytes([line]))


def brightness(addr: int, level: int) -> StxFrame:
    if not 0 <= level <= MAX_BRIGHTNESS:
        raise DisplayTextError(f"brightness {level} outside 0..{MAX_BRIGHTNESS}")
    return StxFrame(addr, LedCommand.BRIGHTNESS, bytes([level]))


def blink(addr: int, line: int, on: bool, period_100ms: int = 5) -> StxFrame:
    return StxFrame(addr, LedCommand.BLINK, bytes([line, int(on), period_100ms]))


def status(addr: int) -> StxFrame:
    return StxFrame(addr, LedCommand.STATUS)


def ack(addr: int, cmd: int, data: bytes = b"") -> StxFrame:
    return StxFrame(addr, Reply.ACK, bytes([cmd]) + data)


def nak(addr: int, cmd: int, reason: NakReason) -> StxFrame:
    return StxFrame(addr, Reply.NAK, bytes([cmd, reason]))


def answers(request: StxFrame, reply: StxFrame) -> bool:
    """Whether ``reply`` is this display's answer to ``request`` (not a late answer to something else).
    A checksum NAK names no command (the display could not trust the frame), so it answers any."""
    if reply.addr == request.addr and reply.cmd == Reply.NAK and reply.payload[1:2] == bytes([NakReason.CHECKSUM]):
        return True
    return (
        reply.addr == request.addr
        and reply.cmd in (Reply.ACK, Reply.NAK)
        and len(reply.payload) >= 1
        and reply.payload[0] == request.cmd
    )
