"""A scripted ISO 7816 card (sans-IO): command bytes in, response bytes or a fault out.

Shared by the in-process simulator and the vpcd virtual card of the integration tests, so both behave the
same way: answers come from a table; a card can be told to hand long answers out T=0-style through
``61xx`` + GET RESPONSE, to insist on the exact Le with ``6Cxx``, to go mute, or to be pulled away
when a given command arrives.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from drivers.smartcard.apdu import INS_GET_RESPONSE, INS_READ_RECORD, INS_SELECT, CommandApdu
from drivers.smartcard.errors import ApduFormatError


class Fault(enum.Enum):
    PULLED = "pulled"  # the card leaves the reader instead of answering
    MUTE = "mute"  # the card stays in the reader and never answers


def command_key(command: CommandApdu | bytes) -> bytes:
    """The table key for a command: header and data, without Le (so a 6Cxx re-send hits the same entry)."""
    cmd = command if isinstance(command, CommandApdu) else CommandApdu.parse(command)
    return CommandApdu(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data).to_bytes()


@dataclass
class ScriptedCard:
    atr: bytes
    answers: dict[bytes, bytes] = field(default_factory=dict)  # command_key → response data + SW
    chunk: int | None = None  # answers with data go out as 61xx, then GET RESPONSE chunks of this size
    strict_le: bool = False  # a case-2/4 command whose Le is not the exact length gets 6Cxx
    pull_on: set[bytes] = field(default_factory=set)  # command_keys at which the card is pulled away
    mute_on: set[bytes] = field(default_factory=set)  # command_keys the card never answers
    received: list[bytes] = field(default_factory=list)  # every command as it arrived
    _pending: bytes = b""
    _pending_sw: bytes = b"\x90\x00"

    def reply(self, command: CommandApdu | bytes | str, response: bytes | str) -> ScriptedCard:
        """Add a table entry; hex strings are accepted for readability in tests."""
        cmd = bytes.fromhex(command) if isinstance(command, str) else command
        resp = bytes.fromhex(response) if isinstance(response, str) else response
        self.answers[command_key(cmd)] = resp
        return self

    def power_on(self) -> None:
        self._pending = b""

    def handle(self, raw: bytes) -> bytes | Fault:
        self.received.append(bytes(raw))
        try:
            cmd = CommandApdu.parse(raw)
        except ApduFormatError:
            return b"\x67\x00"
        key = command_key(cmd)
        if key in self.pull_on:
            return Fault.PULLED
        if key in self.mute_on:
            return Fault.MUTE
        if cmd.ins == INS_GET_RESPONSE and self._pending:
            return self._get_response(cmd)
        self._pending = b""
        answer = self.answers.get(key)
        if answer is None:
            return _not_found(cmd.ins)
        data, sw = answer[:-2], answer[-2:]
        if not data:
            return answer
        if self.strict_le and cmd.le is not None and cmd.le != len(data):
            return bytes((0x6C, len(data) % 256))
        if self.chunk:
            self._pending, self._pending_sw = data, sw
            return bytes((0x61, min(len(data), self.chunk) % 256))
        if cmd.le is not None and cmd.le < len(data):
            return data[: cmd.le] + sw
        return answer

    def _get_response(self, cmd: CommandApdu) -> bytes:
        size = min(cmd.le or 256, self.chunk or 256, len(self._pending))
        out, self._pending = self._pending[:size], self._pending[size:]
        if self._pending:
            return out + bytes((0x61, min(len(self._pending), self.chunk or 256) % 256))
        return out + self._pending_sw


def _not_found(ins: int) -> bytes:
    if ins == INS_SELECT:
        return b"\x6a\x82"
    if ins == INS_READ_RECORD:
        return b"\x6a\x83"
    return b"\x6d\x00"
