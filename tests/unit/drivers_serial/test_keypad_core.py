"""The keypad core, sans-IO with time passed in: repeats, bounce, held keys, stuck keys, silence."""

from __future__ import annotations

from collections.abc import Sequence

from drivers.health import HealthState
from drivers.keypad.core import KeyEvent, KeypadCore
from drivers.keypad.emulator import KeypadEmulator
from drivers.keypad.protocol import Action, FrameType, Key, PadKind, ack_frame, key_frame
from drivers.stx_frame import StxParser


def core(**kw: float) -> KeypadCore:
    return KeypadCore(address=1, now=0.0, **kw)


def keys(events: Sequence[KeyEvent]) -> list[Key]:
    return [e.key for e in events]


def test_press_gives_one_event_and_acks_each_frame() -> None:
    c, pad = core(), KeypadEmulator()
    events = c.receive_data(pad.press(Key.CALL_NEXT), now=1.0)
    assert keys(events) == [Key.CALL_NEXT]
    assert events[0].label_zh == "呼叫下一位"
    assert c.data_to_send() == ack_frame(1, 0).encode() + ack_frame(1, 1).encode()
    assert c.data_to_send() == b""


def test_retransmitted_frames_are_ignored_but_acked_again() -> None:
    c, pad = core(), KeypadEmulator(lose_acks=True)
    events = c.receive_data(pad.press(Key.FINISH), now=1.0)
    assert keys(events) == [Key.FINISH]
    assert keys(c.receive_data(pad.retransmit(), now=1.5)) == []
    assert c.stats.repeats == 4
    parser = StxParser()
    parser.receive_data(c.data_to_send())
    acks = []
    while (f := parser.next_frame()) is not None:
        assert f.cmd == FrameType.ACK
        acks.append(f.payload[0])
    assert acks == [0, 0, 1, 1, 0, 1]


def test_same_sequence_number_after_the_window_is_a_new_press() -> None:
    c = core(repeat_window_s=2.0)
    frame = key_frame(1, 7, Key.RECALL, Action.DOWN).encode() + key_frame(1, 8, Key.RECALL, Action.UP).encode()
    assert keys(c.receive_data(frame, now=1.0)) == [Key.RECALL]
    assert keys(c.receive_data(frame, now=4.0)) == [Key.RECALL]


def test_bouncing_contact_gives_one_press() -> None:
    c, pad = core(debounce_s=0.12), KeypadEmulator()
    assert keys(c.receive_data(pad.bounce(Key.START, times=4), now=1.0)) == [Key.START]
    assert c.stats.bounces == 3
    assert keys(c.receive_data(pad.press(Key.START), now=1.5)) == [Key.START]  # a real second press


def test_held_key_auto_repeat_is_not_a_press_and_becomes_stuck() -> None:
    c, pad = core(stuck_after_s=5.0, heartbeat_timeout_s=100), KeypadEmulator()
    assert keys(c.receive_data(pad.key_down(Key.PAUSE), now=1.0)) == [Key.PAUSE]
    assert keys(c.receive_data(pad.key_down(Key.PAUSE), now=2.0)) == []
    assert c.stats.held_repeats == 1
    assert c.health(now=5.9).state is HealthState.OK
    health = c.health(now=6.0)
    assert health.state is HealthState.DEGRADED
    assert health.reasons == ("key-stuck",)
    assert "pause" in health.detail
    c.receive_data(pad.key_up(Key.PAUSE), now=7.0)
    assert c.health(now=7.0).state is HealthState.OK


def test_firmware_stuck_flag() -> None:
    c, pad = core(), KeypadEmulator(stuck_flag=True)
    c.receive_data(pad.heartbeat(), now=1.0)
    assert c.health(now=1.0).reasons == ("key-stuck",)


def test_silence_and_heartbeats() -> None:
    c, pad = core(heartbeat_timeout_s=3.0), KeypadEmulator(kind=PadKind.EVALUATOR)
    assert not c.silent(now=3.0)
    assert c.silent(now=3.1)
    assert c.health(now=3.1).state is HealthState.ABSENT
    c.receive_data(pad.heartbeat(), now=4.0)
    assert c.heard
    assert c.last_heartbeat is not None
    assert c.last_heartbeat.kind is PadKind.EVALUATOR
    assert c.health(now=6.9).state is HealthState.OK
    assert c.health(now=7.1).reasons == ("keypad-silent",)


def test_reboot_restarts_sequence_numbers() -> None:
    c = core()
    assert keys(c.receive_data(KeypadEmulator().press(Key.SATISFIED), now=1.0)) == [Key.SATISFIED]
    rebooted = KeypadEmulator()  # first heartbeat says JUST_BOOTED, seq starts at 0 again
    c.receive_data(rebooted.heartbeat(), now=1.2)
    assert keys(c.receive_data(rebooted.press(Key.DISSATISFIED), now=1.3)) == [Key.DISSATISFIED]


def test_foreign_addresses_unknown_keys_and_noise() -> None:
    c = core()
    wire = (
        key_frame(2, 1, Key.CALL_NEXT, Action.DOWN).encode()
        + key_frame(1, 2, 0x7F, Action.DOWN).encode()
        + b"\x02\x01\x4b\x03\x00\x00\x00\x00\x03"
    )
    assert c.receive_data(wire, now=1.0) == []
    stats = c.stats
    assert (stats.foreign_frames, stats.unknown_keys, stats.line_errors) == (1, 1, 1)


def test_evaluator_keys_are_ratings() -> None:
    assert [k.label_zh for k in Key if k.is_rating] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert not Key.CALL_NEXT.is_rating


def test_emulator_answers_status_and_records_acks() -> None:
    pad = KeypadEmulator()
    pad.press(Key.CALL_NEXT)
    assert set(pad.unacked) == {0, 1}
    pad.receive(ack_frame(1, 0).encode())
    assert set(pad.unacked) == {1}
    replies = pad.receive(b"\x02\x01\x53\x00\x52\x03")
    assert len(replies) == 1
    assert pad.status_requests == 1
    pad.disconnected = True
    assert pad.press(Key.CALL_NEXT) == b""
    assert pad.heartbeat() == b""
