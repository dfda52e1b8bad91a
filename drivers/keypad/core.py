"""The keypad protocol state machine, sans-IO: bytes and the current time in → key events and ACK bytes out.

What it filters: retransmitted frames (same sequence number within ``repeat_window_s``), contact bounce
(a new press of the same key within ``debounce_s`` of the last one), auto-repeat of a held key, and
frames for other addresses on a shared RS-485 bus. What it notices: a key held past ``stuck_after_s``,
and silence (no frame, not even a heartbeat, for ``heartbeat_timeout_s``).
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.health import HealthState, PeripheralHealth
from drivers.keypad.protocol import (
    Action,
    Heartbeat,
    HeartbeatFlag,
    Key,
    KeyFrame,
    ack_frame,
    decode_device_frame,
)
from drivers.stx_frame import StxFrameError, StxParser


@dataclass(frozen=True, slots=True)
class KeyEvent:
    key: Key
    seq: int
    at: float  # monotonic seconds when the press arrived

    @property
    def label_zh(self) -> str:
        return self.key.label_zh


@dataclass(frozen=True, slots=True)
class KeypadStats:
    presses: int
    repeats: int
    bounces: int
    held_repeats: int
    unknown_keys: int
    line_errors: int
    foreign_frames: int


class KeypadCore:
    def __init__(
        self,
        *,
        address: int = 1,
        now: float,
        debounce_s: float = 0.12,
        stuck_after_s: float = 5.0,
        heartbeat_timeout_s: float = 3.5,
        repeat_window_s: float = 5.0,
    ) -> None:
        self.address = address
        self.debounce_s = debounce_s
        self.stuck_after_s = stuck_after_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.repeat_window_s = repeat_window_s
        self._parser = StxParser()
        self._outbox = bytearray()
        self._started = now
        self._last_frame: float | None = None
        self._seen: dict[int, float] = {}
        self._last_press: dict[Key, float] = {}
        self._held: dict[Key, float] = {}
        self.last_heartbeat: Heartbeat | None = None
        self.heartbeats = 0
        self._counts = dict.fromkeys(KeypadStats.__slots__, 0)

    # -- input ---------------------------------------------------------------------------------------
    def receive_data(self, data: bytes, now: float) -> list[KeyEvent]:
        self._parser.receive_data(data)
        events: list[KeyEvent] = []
        while True:
            try:
                frame = self._parser.next_frame()
            except StxFrameError:
                self._counts["line_errors"] += 1
                continue
            if frame is None:
                return events
            if frame.addr != self.address:
                self._counts["foreign_frames"] += 1
                continue
            decoded = decode_device_frame(frame)
            if decoded is None:
                self._counts["line_errors"] += 1
                continue
            self._last_frame = now
            if isinstance(decoded, Heartbeat):
                self._on_heartbeat(decoded)
            else:
                event = self._on_key(decoded, now)
                if event is not None:
                    events.append(event)

    def data_to_send(self) -> bytes:
        out = bytes(self._outbox)
        self._outbox.clear()
        return out

    def _on_heartbeat(self, hb: Heartbeat) -> None:
        self.last_heartbeat = hb
        self.heartbeats += 1
        if hb.flags & HeartbeatFlag.JUST_BOOTED:
            self._seen.clear()  # its sequence numbers start again
            self._held.clear()

    def _on_key(self, frame: KeyFrame, now: float) -> KeyEvent | None:
        self._outbox += ack_frame(self.address, frame.seq).encode()  # ACK repeats too: the first ACK was lost
        for seq, at in list(self._seen.items()):
            if now - at > self.repeat_window_s:
                del self._seen[seq]
        if frame.seq in self._seen:
            self._counts["repeats"] += 1
            return None
        self._seen[frame.seq] = now
        try:
            key = Key(frame.key)
        except ValueError:
            self._counts["unknown_keys"] += 1
            return None
        if frame.action is Action.UP:
            self._held.pop(key, None)
            return None
        if key in self._held:
            self._counts["held_repeats"] += 1
            return None
        self._held[key] = now
        last = self._last_press.get(key)
        if last is not None and now - last < self.debounce_s:
            self._counts["bounces"] += 1
            return None
        self._last_press[key] = now
        self._counts["presses"] += 1
        return KeyEvent(key, frame.seq, now)

    # -- state ---------------------------------------------------------------------------------------
    def silent(self, now: float) -> bool:
        since = self._last_frame if self._last_frame is not None else self._started
        return now - since > self.heartbeat_timeout_s

    @property
    def heard(self) -> bool:
        return self._last_frame is not None

    def stuck_keys(self, now: float) -> list[Key]:
        return [k for k, t in self._held.items() if now - t >= self.stuck_after_s]

    @property
    def stats(self) -> KeypadStats:
        return KeypadStats(**self._counts)

    def health(self, now: float) -> PeripheralHealth:
        if self.silent(now):
            since = "never heard" if self._last_frame is None else f"silent for {now - self._last_frame:.1f} s"
            return PeripheralHealth(state=HealthState.ABSENT, reasons=("keypad-silent",), detail=since)
        stuck = self.stuck_keys(now)
        firmware_stuck = self.last_heartbeat is not None and bool(self.last_heartbeat.flags & HeartbeatFlag.KEY_STUCK)
        if stuck or firmware_stuck:
            names = ", ".join(k.label_en for k in stuck) or "reported by the keypad"
            return PeripheralHealth(state=HealthState.DEGRADED, reasons=("key-stuck",), detail=f"key stuck: {names}")
        return PeripheralHealth.ok()
