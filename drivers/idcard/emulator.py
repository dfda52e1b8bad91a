"""A GA 467 reader with its SAM, as a sans-IO emulator (drivers.serial_pty.Emulator).

Host it on a pty with PtyHost to test the real pyserial driver, or wire it in-process with EmulatorLink
(that is the simulator). Every fault a kiosk meets in a hall can be scripted: no card, a card pulled away
mid-read, each failure status, answers split across reads, garbage on the line, a reader slower than the
timeout, a corrupt checksum, a failed or unauthorised SAM.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import struct
from dataclasses import dataclass, field
from enum import StrEnum

from drivers.idcard.commands import CardPayload, Command, encode_read_data
from drivers.idcard.errors import FrameChecksumError, FrameError
from drivers.idcard.frame import PREAMBLE, CommandFrame, CommandParser, ResponseFrame
from drivers.idcard.record import PHOTO_SIZE, encode_identity_text
from drivers.idcard.status import Sw3

DEFAULT_SAM_ID = struct.pack("<HHIII", 5, 1, 20240101, 12345678, 87654321)


@dataclass(frozen=True, repr=False)
class CardImage:
    """What a card gives the reader: text block, WLT photo, optional fingerprint, IIN and serial."""

    text: bytes
    photo: bytes
    fingerprint: bytes | None = None
    iin: bytes = b"\x00" * 4
    serial: bytes = b"\x00" * 8

    def __repr__(self) -> str:
        return f"CardImage(text={len(self.text)} B, photo={len(self.photo)} B)"


def sample_card(
    *,
    name: str = "张三",
    sex_code: str = "2",
    nation_code: str = "01",
    birth_date: dt.date = dt.date(1949, 12, 31),
    address: str = "北京市朝阳区示例路1号",
    id_number: str = "11010519491231002X",  # the worked example of GB 11643-1999, not a real person
    issuing_authority: str = "北京市公安局朝阳分局",
    valid_from: dt.date = dt.date(2015, 1, 1),
    valid_until: dt.date | None = None,
    fingerprint: bytes | None = None,
) -> CardImage:
    """A fictional card. The photo is a fixed byte pattern of WLT size, not a decodable WLT image."""
    text = encode_identity_text(
        name=name,
        sex_code=sex_code,
        nation_code=nation_code,
        birth_date=birth_date,
        address=address,
        id_number=id_number,
        issuing_authority=issuing_authority,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    photo = (b"WLT-SAMPLE-" + bytes(range(256)) * 4)[:PHOTO_SIZE]
    return CardImage(
        text=text,
        photo=photo,
        fingerprint=fingerprint,
        iin=b"\x01\x02\x03\x04",
        serial=bytes(range(0x10, 0x18)),
    )


class SamState(StrEnum):
    OK = "ok"
    SELF_TEST_FAILED = "self-test-failed"
    UNAUTHORISED = "unauthorised"


@dataclass
class Ga467Emulator:
    card: CardImage | None = None
    sam_id: bytes = DEFAULT_SAM_ID
    sam: SamState = SamState.OK
    forced_status: dict[Command, int] = field(default_factory=dict)  # answer this command with this SW3
    split_frames: bool = False  # deliver each answer in 2..4 pieces with short gaps
    garbage_between_frames: bool = False  # random bytes before and after each answer
    delay_s: float = 0.0  # before every answer
    corrupt_checksums: int = 0  # corrupt the next N answers; -1 corrupts every answer
    pull_card_during_read: bool = False  # the next read sends part of its answer, then the card is gone
    seed: int = 467
    received: list[CommandFrame] = field(default_factory=list)
    host_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._parser = CommandParser()
        self._rng = random.Random(self.seed)
        self._found = False
        self._selected = False

    # -- scripting helpers ---------------------------------------------------------------------------
    def place(self, card: CardImage) -> None:
        self.card = card
        self._found = self._selected = False

    def remove(self) -> None:
        self.card = None
        self._found = self._selected = False

    # -- Emulator ------------------------------------------------------------------------------------
    def receive(self, data: bytes) -> list[tuple[float, bytes]]:
        self._parser.receive_data(data)
        out: list[tuple[float, bytes]] = []
        while True:
            try:
                frame = self._parser.next_frame()
            except FrameError as err:
                self.host_errors.append(str(err))
                sw3 = Sw3.CHECKSUM_ERROR if isinstance(err, FrameChecksumError) else Sw3.LENGTH_ERROR
                out += self._send(ResponseFrame(0, 0, sw3))
                continue
            if frame is None:
                return out
            self.received.append(frame)
            out += self._answer(frame)

    def _answer(self, frame: CommandFrame) -> list[tuple[float, bytes]]:
        command = Command.of(frame)
        if command is None or frame.data:
            return self._send(ResponseFrame(0, 0, Sw3.COMMAND_ERROR))
        if self.sam is SamState.SELF_TEST_FAILED and command is not Command.RESET_SAM:
            return self._send(ResponseFrame(0, 0, Sw3.SAM_SELF_TEST_FAILED))
        if self.sam is SamState.UNAUTHORISED:
            return self._send(ResponseFrame(0, 0, Sw3.SAM_NOT_AUTHORISED))
        if command in self.forced_status:
            return self._send(ResponseFrame(0, 0, self.forced_status[command]))
        match command:
            case Command.RESET_SAM | Command.SAM_STATUS:
                self._found = self._selected = False
                return self._send(ResponseFrame(0, 0, Sw3.SUCCESS))
            case Command.READ_SAM_ID:
                return self._send(ResponseFrame(0, 0, Sw3.SUCCESS, self.sam_id))
            case Command.FIND_CARD:
                if self.card is None:
                    self._found = False
                    return self._send(ResponseFrame(0, 0, Sw3.FIND_FAILED))
                self._found = True
                return self._send(ResponseFrame(0, 0, Sw3.FIND_SUCCESS, self.card.iin))
            case Command.SELECT_CARD:
                if self.card is None or not self._found:
                    return self._send(ResponseFrame(0, 0, Sw3.SELECT_FAILED))
                self._selected = True
                return self._send(ResponseFrame(0, 0, Sw3.SUCCESS, self.card.serial))
            case _:
                return self._answer_read(command)

    def _answer_read(self, command: Command) -> list[tuple[float, bytes]]:
        if self.card is None or not self._selected:
            return self._send(ResponseFrame(0, 0, Sw3.READ_FAILED))
        fingerprint = (
            (self.card.fingerprint or b"") if command is Command.READ_TEXT_PHOTO_FINGERPRINT else None
        )
        data = encode_read_data(CardPayload(self.card.text, self.card.photo, fingerprint))
        answer = self._send(ResponseFrame(0, 0, Sw3.SUCCESS, data))
        if self.pull_card_during_read:
            self.pull_card_during_read = False
            self.remove()
            wire = b"".join(chunk for _, chunk in answer)
            return [(answer[0][0], wire[: len(wire) * 2 // 5])]  # the rest never comes
        return answer

    def _send(self, frame: ResponseFrame) -> list[tuple[float, bytes]]:
        wire = bytearray(frame.encode())
        if self.corrupt_checksums:
            wire[-1] ^= 0x5A
            if self.corrupt_checksums > 0:
                self.corrupt_checksums -= 1
        chunks: list[bytes] = [bytes(wire)]
        if self.split_frames:
            cuts = sorted(self._rng.sample(range(1, len(wire)), k=min(3, len(wire) - 1)))
            edges = [0, *cuts, len(wire)]
            chunks = [bytes(wire[a:b]) for a, b in itertools.pairwise(edges)]
        timed = [(self._rng.uniform(0.001, 0.02) if i else 0.0, c) for i, c in enumerate(chunks)]
        if self.garbage_between_frames:
            timed.insert(0, (0.0, self._garbage()))
            timed.append((0.0, self._garbage()))
        first_delay, first = timed[0]
        timed[0] = (first_delay + self.delay_s, first)
        return timed

    def _garbage(self) -> bytes:
        while True:
            junk = bytes(self._rng.randrange(256) for _ in range(self._rng.randint(1, 12)))
            if PREAMBLE[:2] not in junk:  # line noise, not a frame start in disguise
                return junk
