"""The real pyserial keypad driver against the emulated caller keypad / evaluator on a pseudo-terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from drivers.health import HealthState
from drivers.keypad import (
    Key,
    KeyEvent,
    Keypad,
    KeypadDisconnected,
    KeypadEmulator,
    KeypadSerialConfig,
    KeypadSilent,
    PadKind,
    open_keypad,
)
from drivers.serial_pty import PtyHost
from tests.integration.drivers_serial.conftest import eventually

pytestmark = pytest.mark.integration

PtyDevice = Callable[[KeypadEmulator], PtyHost]


def keypad_on(host: PtyHost, **kw: object) -> Keypad:
    options: dict[str, object] = {"kind": "caller", "heartbeat_timeout_s": 30.0}
    options.update(kw)
    return open_keypad(KeypadSerialConfig(port=host.port, **options))  # type: ignore[arg-type]


async def started(pad: Keypad) -> AsyncIterator[KeyEvent]:
    """The event stream, with the reader running (health() opens the port and asks for a status)."""
    assert (await pad.health()).state is HealthState.OK
    return pad.events()


async def test_presses_arrive_in_order_and_are_acknowledged(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator()
    host = pty_device(emu)
    pad = keypad_on(host)
    events = await started(pad)
    for key in (Key.CALL_NEXT, Key.START, Key.FINISH):
        host.inject(emu.press(key))
    assert [(await anext(events)).key for _ in range(3)] == [Key.CALL_NEXT, Key.START, Key.FINISH]
    await eventually(lambda: not emu.unacked)
    await pad.aclose()


async def test_evaluator_ratings(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator(kind=PadKind.EVALUATOR, address=9)
    host = pty_device(emu)
    pad = keypad_on(host, kind="evaluator", address=9)
    events = await started(pad)
    host.inject(emu.press(Key.VERY_SATISFIED))
    event = await anext(events)
    assert event.key is Key.VERY_SATISFIED
    assert event.label_zh == "非常满意"
    result = await pad.self_test()
    assert "evaluator" in result.detail
    await pad.aclose()


async def test_repeated_frames_are_ignored(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator(lose_acks=True)
    host = pty_device(emu)
    pad = keypad_on(host)
    events = await started(pad)
    host.inject(emu.press(Key.RECALL))
    host.inject(emu.retransmit())
    emu.lose_acks = False
    host.inject(emu.press(Key.NO_SHOW))
    assert [(await anext(events)).key for _ in range(2)] == [Key.RECALL, Key.NO_SHOW]
    await pad.aclose()


async def test_bouncing_key_is_one_press(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator()
    host = pty_device(emu)
    pad = keypad_on(host)
    events = await started(pad)
    host.inject(emu.bounce(Key.PAUSE, times=5))
    host.inject(emu.press(Key.TRANSFER))
    assert [(await anext(events)).key for _ in range(2)] == [Key.PAUSE, Key.TRANSFER]
    await pad.aclose()


async def test_stuck_key(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator()
    host = pty_device(emu)
    pad = keypad_on(host, stuck_after_s=0.3)
    events = await started(pad)
    host.inject(emu.key_down(Key.CALL_NEXT))
    assert (await anext(events)).key is Key.CALL_NEXT
    host.inject(emu.key_down(Key.CALL_NEXT))  # auto-repeat of the held key: not a new press
    reasons: list[str] = []

    async def degraded() -> bool:
        health = await pad.health()
        reasons[:] = list(health.reasons)
        return health.state is HealthState.DEGRADED

    await eventually(degraded)
    assert reasons == ["key-stuck"]
    host.inject(emu.key_up(Key.CALL_NEXT))
    host.inject(emu.press(Key.CALL_NEXT))
    assert (await anext(events)).key is Key.CALL_NEXT
    assert (await pad.health()).state is HealthState.OK
    await pad.aclose()


async def test_silent_keypad(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator()
    pad = keypad_on(pty_device(emu), heartbeat_timeout_s=0.4)
    events = await started(pad)
    emu.disconnected = True  # powered off: no heartbeats, no answers
    with pytest.raises(KeypadSilent) as info:
        await anext(events)
    assert info.value.reason == "keypad-silent"
    health = await pad.self_test()
    assert (health.state, health.reasons) == (HealthState.ABSENT, ("keypad-silent",))
    await pad.aclose()


async def test_disconnect(pty_device: PtyDevice) -> None:
    emu = KeypadEmulator()
    host = pty_device(emu)
    pad = keypad_on(host)
    events = await started(pad)
    host.close()  # cable pulled: the pty's other end goes away
    with pytest.raises(KeypadDisconnected):
        await anext(events)
    await pad.aclose()


async def test_missing_port() -> None:
    pad = open_keypad(KeypadSerialConfig(port="/dev/onevisit-no-such-tty", kind="caller"))
    health = await pad.health()
    assert (health.state, health.reasons) == (HealthState.ABSENT, ("port-absent",))
    with pytest.raises(KeypadDisconnected):
        await anext(pad.events())
