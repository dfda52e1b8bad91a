"""A caller keypad or an evaluator as a sans-IO emulator (drivers.serial_pty.Emulator).

Key presses are unsolicited: ``press`` (and friends) return the bytes the pad would send, for
``PtyHost.inject`` or ``EmulatorLink.inject``. The emulator hears the host's ACKs and STATUS requests
through ``receive``. Faults: lost ACKs (every key frame sent twice with one sequence number), bouncing
contacts, a stuck key, a disconnected (silent) pad, a firmware stuck-key flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.keypad.protocol import (
    Action,
    FrameType,
    HeartbeatFlag,
    Key,
    PadKind,
    heartbeat_frame,
    key_frame,
)
from drivers.stx_frame import StxFrameError, StxParser


@dataclass
class KeypadEmulator:
    kind: PadKind = PadKind.CALLER
    address: int = 1
    lose_acks: bool = False
    disconnected: bool = False
    stuck_flag: bool = False
    acked: list[int] = field(default_factory=list)
    status_requests: int = 0

    def __post_init__(self) -> None:
        self._parser = StxParser()
        self._seq = 0
        self._booted = True
        self.unacked: dict[int, bytes] = {}

    def receive(self, data: bytes) -> list[tuple[float, bytes]]:
        self._parser.receive_data(data)
        out: list[tuple[float, bytes]] = []
        while True:
            try:
                frame = self._parser.next_frame()
            except StxFrameError:
                continue
            if frame is None:
                return out
            if frame.addr != self.address or self.disconnected:
                continue
            if frame.cmd == FrameType.ACK and len(frame.payload) == 1:
                self.acked.append(frame.payload[0])
                if not self.lose_acks:
                    self.unacked.pop(frame.payload[0], None)
            elif frame.cmd == FrameType.STATUS:
                self.status_requests += 1
                out.append((0.0, self.heartbeat()))

    # -- what the pad sends ----------------------------------------------------------------------------
    def key_down(self, key: Key) -> bytes:
        return self._key(key, Action.DOWN)

    def key_up(self, key: Key) -> bytes:
        return self._key(key, Action.UP)

    def press(self, key: Key) -> bytes:
        return self.key_down(key) + self.key_up(key)

    def bounce(self, key: Key, times: int = 3) -> bytes:
        """A worn contact: the press chatters ``times`` times within a few milliseconds."""
        return b"".join(self.press(key) for _ in range(times))

    def heartbeat(self) -> bytes:
        if self.disconnected:
            return b""
        flags = HeartbeatFlag.KEY_STUCK if self.stuck_flag else HeartbeatFlag.NONE
        if self._booted:
            flags |= HeartbeatFlag.JUST_BOOTED
            self._booted = False
        return heartbeat_frame(self.address, self._next_seq(), self.kind, flags).encode()

    def retransmit(self) -> bytes:
        """Every key frame not yet acknowledged, again, with its original sequence number."""
        return b"".join(self.unacked.values()) if not self.disconnected else b""

    def _key(self, key: Key, action: Action) -> bytes:
        if self.disconnected:
            return b""
        seq = self._next_seq()
        wire = key_frame(self.address, seq, key, action).encode()
        self.unacked[seq] = wire
        return wire + wire if self.lose_acks else wire

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFF
        return seq
