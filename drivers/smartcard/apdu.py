"""ISO/IEC 7816-4 command and response APDUs, status words, and the T=0 retry rules (sans-IO).

``Exchange`` is the one place that knows the two transport-level answers a card may give instead of a
result: ``61xx`` ("xx more bytes are waiting: send GET RESPONSE") and ``6Cxx`` ("wrong Le: send the same
command again with Le=xx"). It takes bytes in and says which bytes to send next, so it is tested without a
reader and shared by the PC/SC adapter and the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.smartcard.errors import ApduFormatError, CardProtocolError

SHORT_MAX_DATA = 255
SHORT_MAX_LE = 256
EXTENDED_MAX = 65536

INS_GET_RESPONSE = 0xC0
INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_READ_RECORD = 0xB2


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU. ``le`` is None when no response data is expected, else 1..65536 (256 = short "00")."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ApduFormatError(f"{name}={value} is not a byte")
        if len(self.data) > EXTENDED_MAX - 1:
            raise ApduFormatError(f"command data of {len(self.data)} bytes exceeds 65535")
        if self.le is not None and not 1 <= self.le <= EXTENDED_MAX:
            raise ApduFormatError(f"Le={self.le} is outside 1..65536")

    @property
    def extended(self) -> bool:
        return len(self.data) > SHORT_MAX_DATA or (self.le is not None and self.le > SHORT_MAX_LE)

    def with_le(self, le: int) -> CommandApdu:
        return CommandApdu(self.cla, self.ins, self.p1, self.p2, self.data, le)

    def to_bytes(self) -> bytes:
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        if not self.extended:
            body = bytes((len(self.data),)) + self.data if self.data else b""
            tail = bytes((self.le % 256,)) if self.le is not None else b""
            return header + body + tail
        body = b"\x00" + len(self.data).to_bytes(2, "big") + self.data if self.data else b""
        if self.le is None:
            return header + body
        le = (self.le % EXTENDED_MAX).to_bytes(2, "big")
        return header + body + (le if self.data else b"\x00" + le)

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Decode any of the seven ISO 7816-4 cases (1, 2S, 3S, 4S, 2E, 3E, 4E)."""
        if len(raw) < 4:
            raise ApduFormatError(f"command APDU of {len(raw)} bytes is shorter than its 4-byte header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        n = len(body)
        if n == 0:
            return cls(cla, ins, p1, p2)
        if n == 1:
            return cls(cla, ins, p1, p2, le=body[0] or SHORT_MAX_LE)
        if body[0] != 0:
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[-1] or SHORT_MAX_LE)
            raise ApduFormatError(f"short Lc={lc} does not match {n} body bytes")
        if n == 3:
            return cls(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or EXTENDED_MAX)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ApduFormatError("extended Lc of 0")
        if n == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]))
        if n == 5 + lc:
            le = int.from_bytes(body[3 + lc :], "big") or EXTENDED_MAX
            return cls(cla, ins, p1, p2, bytes(body[3 : 3 + lc]), le)
        raise ApduFormatError(f"extended Lc={lc} does not match {n} body bytes")


@dataclass(frozen=True)
class ResponseApdu:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == 0x9000

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise CardProtocolError(f"response of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))


_SW_EXACT = {
    0x9000: "success",
    0x6281: "part of returned data may be corrupted",
    0x6282: "end of file or record reached before Le bytes",
    0x6283: "selected file deactivated",
    0x6700: "wrong length",
    0x6881: "logical channel not supported",
    0x6882: "secure messaging not supported",
    0x6981: "command incompatible with file structure",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6988: "incorrect secure messaging data objects",
    0x6A80: "incorrect parameters in the data field",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A84: "not enough memory space in the file",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters P1-P2",
    0x6D00: "instruction code not supported",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}
_SW1 = {
    0x61: "response bytes still available",
    0x62: "warning: state of non-volatile memory unchanged",
    0x63: "warning: state of non-volatile memory changed",
    0x64: "error: state of non-volatile memory unchanged",
    0x65: "error: state of non-volatile memory changed",
    0x66: "security-related issue",
    0x67: "wrong length",
    0x68: "function in CLA not supported",
    0x69: "command not allowed",
    0x6A: "wrong parameters P1-P2",
    0x6C: "wrong Le field",
}

# Status words meaning "the terminal lacks the right to read this", as opposed to "this does not exist".
SECURITY_SW = frozenset({0x6982, 0x6983, 0x6985, 0x6986, 0x6988})


def describe_sw(sw: int) -> str:
    """A short English description of a status word, for logs (never shown to citizens)."""
    if sw in _SW_EXACT:
        return _SW_EXACT[sw]
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return f"verification failed, {sw2 & 0x0F} tries left"
    if sw1 == 0x61:
        return f"{sw2 or 256} response bytes still available"
    if sw1 == 0x6C:
        return f"wrong Le: exact length is {sw2 or 256}"
    return _SW1.get(sw1, "unknown status word")


def is_success(sw: int) -> bool:
    """9000, and the 62xx/63xx warnings that still carry a usable answer."""
    if sw == 0x9000:
        return True
    sw1, sw2 = sw >> 8, sw & 0xFF
    return sw1 == 0x62 or (sw1 == 0x63 and sw2 & 0xF0 != 0xC0)


def _channel_class(cla: int) -> int:
    """The CLA for GET RESPONSE: same logical channel as the command (ISO 7816-4 §5.4.1), no SM, no chaining."""
    if cla & 0xE0 == 0x00:
        return cla & 0x03
    if cla & 0xC0 == 0x40:
        return 0x40 | (cla & 0x0F)
    return 0x00  # proprietary classes (e.g. 80 for EMV) fetch their remaining bytes with CLA 00


@dataclass
class Exchange:
    """Drive one logical command through 61xx / 6Cxx until the card gives its final answer.

    ``first()`` gives the bytes to send; each ``receive(response)`` returns either the next command bytes
    or the final ``ResponseApdu`` (with all GET RESPONSE chunks joined). Loop limits turn a card that keeps
    asking for more into ``CardProtocolError`` instead of a hang.
    """

    command: CommandApdu
    max_chunks: int = 256
    max_retries_6c: int = 2
    _data: bytearray = field(default_factory=bytearray)
    _chunks: int = 0
    _retries_6c: int = 0
    _done: bool = False
    _last: bytes = b""

    def first(self) -> bytes:
        self._last = self.command.to_bytes()
        return self._last

    def receive(self, raw: bytes) -> bytes | ResponseApdu:
        if self._done:
            raise RuntimeError("exchange already finished")
        resp = ResponseApdu.parse(raw)
        if resp.sw1 == 0x61:
            self._data += resp.data
            self._chunks += 1
            if self._chunks > self.max_chunks:
                raise CardProtocolError(f"card kept answering 61xx after {self.max_chunks} GET RESPONSEs")
            get = CommandApdu(_channel_class(self.command.cla), INS_GET_RESPONSE, 0, 0, le=resp.sw2 or SHORT_MAX_LE)
            self._last = get.to_bytes()
            return self._last
        if resp.sw1 == 0x6C:
            self._retries_6c += 1
            if self._retries_6c > self.max_retries_6c:
                raise CardProtocolError("card kept answering 6Cxx (wrong Le) to the corrected command")
            last = CommandApdu.parse(self._last)
            self._last = last.with_le(resp.sw2 or SHORT_MAX_LE).to_bytes()
            return self._last
        self._done = True
        return ResponseApdu(bytes(self._data) + resp.data, resp.sw)
