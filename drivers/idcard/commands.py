"""GA 467 commands, which answers each can get, and the layout of the read answer. Sans-IO."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

from drivers.idcard.errors import CardDataError
from drivers.idcard.frame import CommandFrame, ResponseFrame
from drivers.idcard.status import Sw3


class Command(Enum):
    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    READ_SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_PHOTO = (0x30, 0x01)
    READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]

    def frame(self) -> CommandFrame:
        return CommandFrame(self.cmd, self.para)

    @classmethod
    def of(cls, frame: CommandFrame) -> Command | None:
        for c in cls:
            if c.value == (frame.cmd, frame.para):
                return c
        return None


SAM_ID_SIZE = 16
FIND_DATA_SIZE = 4  # card IIN
SELECT_DATA_SIZE = 8  # card serial number
_SUCCESS_DATA: dict[Command, int | None] = {  # data size of a success answer; None: checked elsewhere
    Command.RESET_SAM: 0,
    Command.SAM_STATUS: 0,
    Command.READ_SAM_ID: SAM_ID_SIZE,
    Command.SELECT_CARD: SELECT_DATA_SIZE,
    Command.READ_TEXT_PHOTO: None,
    Command.READ_TEXT_PHOTO_FINGERPRINT: None,
}
_READ_HEADER = {Command.READ_TEXT_PHOTO: 4, Command.READ_TEXT_PHOTO_FINGERPRINT: 6}


def could_answer(command: Command, resp: ResponseFrame) -> bool:
    """Whether ``resp`` can be the answer to ``command``; a frame that cannot is a late answer to an
    earlier command (one we gave up waiting for) and is dropped."""
    if resp.sw3 == Sw3.FIND_SUCCESS:
        return command is Command.FIND_CARD
    if resp.sw3 == Sw3.FIND_FAILED:
        return command in (Command.FIND_CARD, Command.SELECT_CARD)
    if resp.sw3 == Sw3.SUCCESS:
        if command is Command.FIND_CARD:
            return False
        if command in _READ_HEADER:
            return len(resp.data) >= _READ_HEADER[command]
        return len(resp.data) == _SUCCESS_DATA[command]
    return True  # a failure status can answer any command


@dataclass(frozen=True, slots=True, repr=False)
class CardPayload:
    text: bytes
    photo: bytes
    fingerprint: bytes | None

    def __repr__(self) -> str:  # personal data: sizes only
        fp = "-" if self.fingerprint is None else len(self.fingerprint)
        return f"CardPayload(text={len(self.text)} B, photo={len(self.photo)} B, fingerprint={fp})"


def parse_read_data(command: Command, data: bytes) -> CardPayload:
    """Split the data of a successful read answer: lengths (big-endian), then text, photo [, fingerprint]."""
    header = _READ_HEADER[command]
    if len(data) < header:
        raise CardDataError(f"read answer of {len(data)} bytes has no length header")
    sizes = [int.from_bytes(data[i : i + 2], "big") for i in range(0, header, 2)]
    if header + sum(sizes) != len(data):
        raise CardDataError(f"read answer lengths {sizes} do not add up to {len(data) - header} bytes")
    text = data[header : header + sizes[0]]
    photo = data[header + sizes[0] : header + sizes[0] + sizes[1]]
    fingerprint = data[header + sizes[0] + sizes[1] :] if len(sizes) == 3 else None
    return CardPayload(text, photo, fingerprint)


def encode_read_data(payload: CardPayload) -> bytes:
    sizes = [len(payload.text), len(payload.photo)]
    if payload.fingerprint is not None:
        sizes.append(len(payload.fingerprint))
    head = b"".join(n.to_bytes(2, "big") for n in sizes)
    return head + payload.text + payload.photo + (payload.fingerprint or b"")


def format_sam_id(data: bytes) -> str:
    """The SAM's management number the way vendor tools print it: ``05.01-20101028-0020434387-2147586497``
    (little-endian u16, u16, u32, u32, u32)."""
    if len(data) != SAM_ID_SIZE:
        raise CardDataError(f"SAM id is {len(data)} bytes, expected {SAM_ID_SIZE}")
    a, b, c, d, e = struct.unpack("<HHIII", data)
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"
