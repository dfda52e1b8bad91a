"""GA 467 SAM frame codec, sans-IO: bytes in → frames out, frames → bytes.

Layout (both directions)::

    AA AA AA 96 69 | LEN_HI LEN_LO | body … | CHK
                     └── LEN counts body + CHK ──┘
    CHK = XOR of LEN_HI, LEN_LO and every body byte

A host → reader body is ``CMD PARA DATA…``; a reader → host body is ``SW1 SW2 SW3 DATA…``.
The parser drops bytes until it sees the preamble, skips broken frames (raising a typed FrameError
once per broken frame, after which it can go on being fed) and reports a frame that began but never
finished through ``end_of_data()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from drivers.idcard.errors import FrameChecksumError, FrameLengthError, FrameTruncated

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
MAX_LENGTH = 4096  # the longest real answer (text + photo + 1024 B fingerprint) has LEN = 2314
_HEADER = len(PREAMBLE) + 2


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def encode_frame(body: bytes) -> bytes:
    length = len(body) + 1
    if length > MAX_LENGTH:
        raise ValueError(f"frame body of {len(body)} bytes exceeds the protocol's {MAX_LENGTH - 1}")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([xor(head + body)])


@dataclass(frozen=True, slots=True)
class CommandFrame:
    """Host → reader."""

    cmd: int
    para: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode_frame(bytes([self.cmd, self.para]) + self.data)


@dataclass(frozen=True, slots=True)
class ResponseFrame:
    """Reader → host. SW1/SW2 relay the card's APDU status; SW3 is the reader's own status."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode_frame(bytes([self.sw1, self.sw2, self.sw3]) + self.data)


def _prefix_overlap(buf: bytes | bytearray) -> int:
    """How many trailing bytes of ``buf`` could be the start of a preamble still arriving."""
    for n in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf[-n:] == PREAMBLE[:n]:
            return n
    return 0


class FrameParser:
    """Finds frames in a byte stream. ``min_length`` is the smallest legal LEN for this direction."""

    def __init__(self, *, min_length: int, max_length: int = MAX_LENGTH) -> None:
        self._buf = bytearray()
        self._min = min_length
        self._max = max_length
        self.discarded = 0  # garbage bytes dropped while hunting for a preamble (diagnostics)

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    @property
    def pending(self) -> bool:
        """A preamble has been seen and its frame is not complete yet."""
        return self._buf.find(PREAMBLE) >= 0

    def next_body(self) -> bytes | None:
        """The next complete frame's body (without LEN and CHK), or None until more bytes arrive."""
        start = self._buf.find(PREAMBLE)
        if start < 0:
            keep = _prefix_overlap(self._buf)
            self.discarded += len(self._buf) - keep
            del self._buf[: len(self._buf) - keep]
            return None
        if start:
            self.discarded += start
            del self._buf[:start]
        if len(self._buf) < _HEADER:
            return None
        length = int.from_bytes(self._buf[len(PREAMBLE) : _HEADER], "big")
        if not self._min <= length <= self._max:
            self._skip_preamble()
            raise FrameLengthError(f"frame length {length} outside {self._min}..{self._max}")
        end = _HEADER + length
        if len(self._buf) < end:
            return None
        frame = bytes(self._buf[:end])
        if xor(frame[len(PREAMBLE) : -1]) != frame[-1]:
            # skip only the first preamble byte: a real frame may hide inside a torn one's bytes
            self._skip_preamble()
            raise FrameChecksumError(f"checksum mismatch in a frame of length {length}")
        del self._buf[:end]
        return frame[_HEADER:-1]

    def end_of_data(self) -> None:
        """The peer went quiet. A frame left half-received is torn: raise FrameTruncated and forget it."""
        start = self._buf.find(PREAMBLE)
        if start >= 0:
            frame = self._buf[start:]
            have = len(frame)
            want = (
                _HEADER + int.from_bytes(frame[len(PREAMBLE) : _HEADER], "big") if have >= _HEADER else None
            )
            self.discarded += start
            self._buf.clear()
            raise FrameTruncated(f"frame stopped after {have} of {want or '?'} bytes")
        self.discarded += len(self._buf)
        self._buf.clear()

    def _skip_preamble(self) -> None:
        self.discarded += 1
        del self._buf[:1]


class ResponseParser:
    """Reader → host frames."""

    def __init__(self, *, max_length: int = MAX_LENGTH) -> None:
        self._frames = FrameParser(min_length=4, max_length=max_length)

    def receive_data(self, data: bytes) -> None:
        self._frames.receive_data(data)

    @property
    def pending(self) -> bool:
        return self._frames.pending

    @property
    def discarded(self) -> int:
        return self._frames.discarded

    def next_frame(self) -> ResponseFrame | None:
        body = self._frames.next_body()
        if body is None:
            return None
        return ResponseFrame(body[0], body[1], body[2], body[3:])

    def end_of_data(self) -> None:
        self._frames.end_of_data()


class CommandParser:
    """Host → reader frames (used by the emulator)."""

    def __init__(self, *, max_length: int = MAX_LENGTH) -> None:
        self._frames = FrameParser(min_length=3, max_length=max_length)

    def receive_data(self, data: bytes) -> None:
        self._frames.receive_data(data)

    def next_frame(self) -> CommandFrame | None:
        body = self._frames.next_body()
        if body is None:
            return None
        return CommandFrame(body[0], body[1], body[2:])

    def end_of_data(self) -> None:
        self._frames.end_of_data()
