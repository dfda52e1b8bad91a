"""The real pyserial LED display driver against the emulated display on a pseudo-terminal."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drivers.health import HealthState
from drivers.led_display import (
    DisplayAbsent,
    DisplayNoAnswer,
    DisplayRejected,
    LedDisplay,
    LedDisplayEmulator,
    LedSerialConfig,
    open_led_display,
)
from drivers.led_display import protocol as p
from drivers.serial_pty import PtyHost

pytestmark = pytest.mark.integration

PtyDevice = Callable[[LedDisplayEmulator], PtyHost]


def display_on(host: PtyHost, **kw: object) -> LedDisplay:
    options: dict[str, object] = {"response_timeout_s": 0.3}
    options.update(kw)
    return open_led_display(LedSerialConfig(port=host.port, **options))  # type: ignore[arg-type]


async def test_show_blink_clear(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator(address=1, lines=2)
    display = display_on(pty_device(emu))
    await display.show("请A012号到3号窗口", line=0)
    await display.show("A012", line=1, blink=True, scroll=True)
    assert emu.screen == ["请A012号到3号窗口", "A012"]
    assert emu.blinking == [False, True]
    await display.clear(line=1)
    assert emu.screen == ["请A012号到3号窗口", ""]
    await display.clear()
    assert emu.screen == ["", ""]
    await display.aclose()


async def test_brightness_is_sent_when_the_port_opens(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator(address=7)
    display = display_on(pty_device(emu), address=7, brightness=3)
    await display.show("暂停服务")
    assert emu.brightness == 3
    assert [f.cmd for f in emu.received[:2]] == [p.LedCommand.BRIGHTNESS, p.LedCommand.SHOW]
    await display.aclose()


async def test_nak_is_a_typed_error(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator()
    display = display_on(pty_device(emu))
    with pytest.raises(DisplayRejected) as info:
        await display.show("䶮")  # outside the display's GB 2312 font
    assert info.value.nak == p.NakReason.UNSUPPORTED_CHARACTER
    assert info.value.reason == "display-error"
    emu.nak_reason, emu.nak_count = p.NakReason.BAD_PARAMETER, -1
    with pytest.raises(DisplayRejected):
        await display.clear()
    await display.aclose()


async def test_busy_nak_once_is_retried(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator(nak_reason=p.NakReason.BUSY, nak_count=1)
    display = display_on(pty_device(emu))
    await display.show("A001")
    assert emu.screen[0] == "A001"
    await display.aclose()


async def test_one_lost_command_is_resent(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator(drop_next=1)
    display = display_on(pty_device(emu))
    await display.show("A002")
    assert emu.screen[0] == "A002"
    assert len(emu.received) == 3  # SHOW (dropped), SHOW, BLINK
    await display.aclose()


async def test_no_answer(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator(drop_next=2)
    display = display_on(pty_device(emu))
    with pytest.raises(DisplayNoAnswer) as info:
        await display.show("A003")
    assert info.value.reason == "display-not-responding"
    await display.aclose()


async def test_display_absent(pty_device: PtyDevice) -> None:
    display = display_on(pty_device(LedDisplayEmulator(absent=True)), response_timeout_s=0.15)
    health = await display.health()
    assert health.state is HealthState.ABSENT
    assert health.reasons == ("display-not-responding",)
    with pytest.raises(DisplayNoAnswer):
        await display.show("A004")
    assert (await display.self_test()).state is HealthState.ABSENT
    await display.aclose()


async def test_wrong_address_gets_no_answer(pty_device: PtyDevice) -> None:
    display = display_on(pty_device(LedDisplayEmulator(address=2)), address=3, response_timeout_s=0.15)
    with pytest.raises(DisplayNoAnswer):
        await display.show("A005")
    await display.aclose()


async def test_missing_port() -> None:
    display = open_led_display(LedSerialConfig(port="/dev/onevisit-no-such-tty"))
    assert (await display.health()).reasons == ("port-absent",)
    with pytest.raises(DisplayAbsent):
        await display.show("A006")


@pytest.mark.parametrize(
    ("faults", "state", "reasons"),
    [
        (p.FaultFlag.MODULE, HealthState.FAULT, ("module-fault",)),
        (p.FaultFlag.OVERHEAT, HealthState.DEGRADED, ("overheat",)),
        (p.FaultFlag.POWER | p.FaultFlag.MODULE, HealthState.FAULT, ("module-fault", "power-low")),
    ],
)
async def test_hardware_faults_in_health(
    pty_device: PtyDevice, faults: p.FaultFlag, state: HealthState, reasons: tuple[str, ...]
) -> None:
    display = display_on(pty_device(LedDisplayEmulator(faults=faults)))
    health = await display.health()
    assert (health.state, health.reasons) == (state, reasons)
    await display.aclose()


async def test_self_test_restores_the_screen(pty_device: PtyDevice) -> None:
    emu = LedDisplayEmulator()
    display = display_on(pty_device(emu))
    await display.show("请A007号", line=0, blink=True)
    result = await display.self_test()
    assert result.state is HealthState.OK
    assert "test pattern" in result.detail
    assert any(
        f.payload[2:].decode("gb18030") == "测试TEST 0123456789" for f in emu.received if f.cmd == p.LedCommand.SHOW
    )
    assert emu.screen == ["请A007号", ""]
    assert emu.blinking == [True, False]
    await display.aclose()


async def test_port_lost_while_in_use(pty_device: PtyDevice) -> None:
    host = pty_device(LedDisplayEmulator())
    display = display_on(host)
    await display.show("A008")
    host.close()
    with pytest.raises(DisplayAbsent):
        await display.show("A009")
    assert (await display.health()).reasons == ("port-absent",)
    await display.aclose()
