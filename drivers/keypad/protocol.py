"""The keypad protocol (defined by OneVisit, docs/serial-devices.md): key and heartbeat frames. Sans-IO.

Frames are STX frames (drivers.stx_frame). Device → host frames carry a sequence number
(0..255, wrapping); the host acknowledges each KEY frame, and a device that misses the ACK sends the
same frame again with the same number, which the host then ignores.

    KEY        0x4B  device → host  seq, key code, action (1 down, 0 up)
    HEARTBEAT  0x48  device → host  seq, kind ('C' caller, 'E' evaluator), flags   (every 1 s, and
                                                                                 in answer to STATUS)
    ACK        0x41  host → device  seq
    STATUS     0x53  host → device  (none)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from drivers.stx_frame import StxFrame


class FrameType(IntEnum):
    KEY = 0x4B
    HEARTBEAT = 0x48
    ACK = 0x41
    STATUS = 0x53


class Action(IntEnum):
    UP = 0
    DOWN = 1


class PadKind(IntEnum):
    CALLER = 0x43  # 'C'
    EVALUATOR = 0x45  # 'E'


class HeartbeatFlag(IntFlag):
    NONE = 0
    KEY_STUCK = 0x01  # the firmware sees a key held far too long
    JUST_BOOTED = 0x80  # first heartbeat after power-up: sequence numbers restarted


class Key(IntEnum):
    # caller keypad (呼叫器) at a window
    CALL_NEXT = 0x01
    RECALL = 0x02
    START = 0x03
    FINISH = 0x04
    NO_SHOW = 0x05
    PAUSE = 0x06
    RESUME = 0x07
    TRANSFER = 0x08
    PARK = 0x09
    # evaluator (评价器); a 4-key pad has no BASICALLY_SATISFIED
    VERY_SATISFIED = 0x11
    SATISFIED = 0x12
    BASICALLY_SATISFIED = 0x13
    DISSATISFIED = 0x14
    VERY_DISSATISFIED = 0x15

    @property
    def label_zh(self) -> str:
        return KEY_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return KEY_LABELS[self][1]

    @property
    def is_rating(self) -> bool:
        return self >= Key.VERY_SATISFIED


KEY_LABELS: dict[Key, tuple[str, str]] = {
    Key.CALL_NEXT: ("呼叫下一位", "call next"),
    Key.RECALL: ("重呼", "recall"),
    Key.START: ("开始办理", "start"),
    Key.FINISH: ("办结", "finish"),
    Key.NO_SHOW: ("过号", "no-show"),
    Key.PAUSE: ("暂停", "pause"),
    Key.RESUME: ("恢复", "resume"),
    Key.TRANSFER: ("转移", "transfer"),
    Key.PARK: ("挂起", "park"),
    Key.VERY_SATISFIED: ("非常满意", "very satisfied"),
    Key.SATISFIED: ("满意", "satisfied"),
    Key.BASICALLY_SATISFIED: ("基本满意", "basically satisfied"),
    Key.DISSATISFIED: ("不满意", "dissatisfied"),
    Key.VERY_DISSATISFIED: ("非常不满意", "very dissatisfied"),
}


@dataclass(frozen=True, slots=True)
class KeyFrame:
    seq: int
    key: int  # raw code: an unknown code is reported, not dropped silently
    action: Action


@dataclass(frozen=True, slots=True)
class Heartbeat:
    seq: int
    kind: PadKind | None
    flags: HeartbeatFlag


def key_frame(addr: int, seq: int, key: int, action: Action) -> StxFrame:
    return StxFrame(addr, FrameType.KEY, bytes([seq & 0xFF, key, action]))


def heartbeat_frame(addr: int, seq: int, kind: PadKind, flags: HeartbeatFlag = HeartbeatFlag.NONE) -> StxFrame:
    return StxFrame(addr, FrameType.HEARTBEAT, bytes([seq & 0xFF, kind, int(flags)]))


def ack_frame(addr: int, seq: int) -> StxFrame:
    return StxFrame(addr, FrameType.ACK, bytes([seq & 0xFF]))


def status_frame(addr: int) -> StxFrame:
    return StxFrame(addr, FrameType.STATUS)


def decode_device_frame(frame: StxFrame) -> KeyFrame | Heartbeat | None:
    """A device → host frame, or None for a frame that is not one (wrong type or shape)."""
    data = frame.payload
    if frame.cmd == FrameType.KEY and len(data) == 3 and data[2] in (0, 1):
        return KeyFrame(data[0], data[1], Action(data[2]))
    if frame.cmd == FrameType.HEARTBEAT and len(data) == 3:
        kind = PadKind(data[1]) if data[1] in (PadKind.CALLER, PadKind.EVALUATOR) else None
        return Heartbeat(data[0], kind, HeartbeatFlag(data[2] & 0x81))
    return None
