"""Config structs (strict, discriminated by `driver`) and the in-process simulators behind the factories."""

from __future__ import annotations

import pytest

from drivers.health import HealthState
from drivers.idcard import (
    Ga467Reader,
    Ga467SerialConfig,
    IdReaderConfig,
    IdReaderSim,
    IdReaderSimConfig,
    open_id_reader,
)
from drivers.idcard.errors import FrameTruncated, ReaderAbsent
from drivers.keypad import Key, KeypadConfig, KeypadSim, KeypadSimConfig, SerialKeypad, open_keypad
from drivers.led_display import LedDisplayConfig, LedDisplaySim, LedDisplaySimConfig, SerialLedDisplay, open_led_display
from hall_protocol.config_files import ConfigError, convert


def test_id_reader_config_variants() -> None:
    real = convert({"driver": "ga467-serial", "port": "/dev/ttyUSB0"}, IdReaderConfig)
    assert real == Ga467SerialConfig(port="/dev/ttyUSB0")
    assert real.baudrate == 115200
    assert isinstance(convert({"driver": "sim"}, IdReaderConfig), IdReaderSimConfig)
    assert type(open_id_reader(real)) is Ga467Reader


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"driver": "ga467-serial", "port": "/dev/x", "baudrate": 1200}, "baudrate"),
        ({"driver": "ga467-serial", "port": "/dev/x", "read_timeout_s": 0}, "read_timeout_s"),
        ({"driver": "ga467-serial", "port": "/dev/x", "prot": 1}, "prot"),
        ({"driver": "ga467-serial"}, "port"),
        ({"driver": "ga468"}, "driver"),
    ],
)
def test_id_reader_config_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        convert(raw, IdReaderConfig, source="devices.toml")
    assert field in info.value.problems[0].field or field in info.value.problems[0].message


def test_led_and_keypad_configs() -> None:
    led = convert({"driver": "led-serial", "port": "/dev/ttyS1", "address": 3, "brightness": 9}, LedDisplayConfig)
    assert type(open_led_display(led)) is SerialLedDisplay
    assert isinstance(open_led_display(LedDisplaySimConfig()), LedDisplaySim)
    pad = convert({"driver": "keypad-serial", "port": "/dev/ttyS2", "kind": "evaluator"}, KeypadConfig)
    assert type(open_keypad(pad)) is SerialKeypad
    assert isinstance(open_keypad(KeypadSimConfig(kind="caller")), KeypadSim)
    with pytest.raises(ConfigError):
        convert({"driver": "led-serial", "port": "/dev/ttyS1", "address": 255}, LedDisplayConfig)
    with pytest.raises(ConfigError):
        convert({"driver": "sim", "kind": "cashier"}, KeypadConfig)


async def test_id_reader_sim_from_config() -> None:
    reader = open_id_reader(IdReaderSimConfig())
    record = await reader.read_card()
    assert record is not None
    assert record.masked_name == "张*"
    empty = open_id_reader(IdReaderSimConfig(card_present=False))
    assert await empty.read_card() is None
    await reader.aclose()
    await empty.aclose()


async def test_id_reader_sim_faults() -> None:
    sim = IdReaderSim()
    sim.emulator.pull_card_during_read = True
    with pytest.raises(FrameTruncated) as info:
        await sim.read_card()
    assert info.value.reason == "card-moved"
    assert await sim.read_card() is None  # the card is gone
    sim.place()
    sim.unplug()
    with pytest.raises(ReaderAbsent):
        await sim.read_card()
    assert (await sim.health()).reasons == ("reader-absent",)
    sim.plug_in()
    assert (await sim.health()).state is HealthState.OK
    await sim.aclose()


async def test_led_sim_screen() -> None:
    display = LedDisplaySim()
    await display.show("请A001号到3号窗口", line=0)
    await display.show("办理中", line=1, blink=True)
    assert display.screen == ["请A001号到3号窗口", "办理中"]
    assert display.emulator.blinking == [False, True]
    await display.clear(1)
    assert display.screen == ["请A001号到3号窗口", ""]
    with pytest.raises(ValueError, match="line"):
        await display.show("x", line=5)
    await display.aclose()


async def test_keypad_sim_events() -> None:
    pad = KeypadSim(heartbeat_interval_s=0.1)
    events = pad.events()
    pad.press(Key.CALL_NEXT)
    pad.bounce(Key.FINISH)
    first, second = await anext(events), await anext(events)
    assert (first.key, second.key) == (Key.CALL_NEXT, Key.FINISH)
    assert (await pad.self_test()).state is HealthState.OK
    await pad.aclose()
