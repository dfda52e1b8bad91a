"""``onevisit selftest``: open every configured peripheral through its factory and run its self-test.

The report says per device: ok / degraded / fault / absent, the reason codes and the driver's detail, in
Chinese and English. Exit code 0 when nothing is at fault, 1 when something is, 2 when the config is bad.
A driver that raises is reported as a fault of that device; it never stops the other devices' tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from drivers.errors import DriverError
from hall_protocol.config_files import ConfigError
from hall_protocol.health import HealthState, PeripheralHealth
from kiosk.config import DevicesConfig, KioskConfig, load_kiosk_config

log = logging.getLogger(__name__)

DEVICE_NAMES: dict[str, tuple[str, str]] = {
    "id_reader": ("身份证阅读器", "ID card reader"),
    "card_reader": ("社保卡读卡器", "Smart-card reader"),
    "receipt_printer": ("凭条打印机", "Receipt printer"),
    "document_printer": ("文档打印机", "Document printer"),
    "camera": ("摄像头", "Camera"),
    "led_display": ("窗口显示屏", "Window LED display"),
    "keypad": ("按键器", "Keypad"),
}
STATE_WORDS: dict[HealthState, tuple[str, str]] = {
    HealthState.OK: ("正常", "ok"),
    HealthState.DEGRADED: ("需注意", "degraded"),
    HealthState.FAULT: ("故障", "fault"),
    HealthState.ABSENT: ("未连接", "absent"),
}
SELF_TEST_ERROR = "self-test-error"
SELF_TEST_TIMEOUT = "self-test-timeout"


@dataclass(frozen=True, slots=True)
class DeviceReport:
    device: str
    driver: str
    health: PeripheralHealth
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        zh, en = DEVICE_NAMES.get(self.device, (self.device, self.device))
        return {
            "device": self.device,
            "name_zh": zh,
            "name_en": en,
            "driver": self.driver,
            "state": self.health.state.value,
            "reasons": list(self.health.reasons),
            "detail": self.health.detail,
            "seconds": round(self.seconds, 3),
        }


async def _id_reader(cfg: Any) -> PeripheralHealth:
    from drivers.idcard import open_id_reader

    reader = open_id_reader(cfg)
    try:
        return await reader.self_test()
    finally:
        await reader.aclose()


async def _card_reader(cfg: Any) -> PeripheralHealth:
    from drivers.smartcard import open_card_reader

    async with open_card_reader(cfg) as reader:
        return (await reader.self_test()).health


async def _receipt_printer(cfg: Any) -> PeripheralHealth:
    from drivers.receipt_printer import open_receipt_printer

    printer = open_receipt_printer(cfg)
    try:
        return await printer.self_test()
    finally:
        await printer.close()


async def _document_printer(cfg: Any) -> PeripheralHealth:
    from drivers.document_printer import DocumentPrinterError, open_document_printer

    printer = open_document_printer(cfg)
    try:
        return (await printer.self_test()).health
    except DocumentPrinterError as err:
        health = await printer.health()
        if health.state in (HealthState.OK, HealthState.DEGRADED):  # the job failed though the printer looks fine
            return PeripheralHealth(state=HealthState.FAULT, reasons=(*health.reasons, SELF_TEST_ERROR),
                                    detail=f"test page failed: {err}")
        return health
    finally:
        await printer.close()


async def _camera(cfg: Any) -> PeripheralHealth:
    from drivers.camera import CameraError, open_camera
    from drivers.camera import self_test as camera_self_test

    source = open_camera(cfg)
    try:
        try:
            await source.start()
        except CameraError:
            return await source.health()  # says absent / backend missing / fault, with the reason
        return (await camera_self_test(source)).health
    finally:
        await source.close()


async def _led_display(cfg: Any) -> PeripheralHealth:
    from drivers.led_display import open_led_display

    display = open_led_display(cfg)
    try:
        return await display.self_test()
    finally:
        await display.aclose()


async def _keypad(cfg: Any) -> PeripheralHealth:
    from drivers.keypad import open_keypad

    keypad = open_keypad(cfg)
    try:
        return await keypad.self_test()
    finally:
        await keypad.aclose()


TESTS: dict[str, Callable[[Any], Awaitable[PeripheralHealth]]] = {
    "id_reader": _id_reader,
    "card_reader": _card_reader,
    "receipt_printer": _receipt_printer,
    "document_printer": _document_printer,
    "camera": _camera,
    "led_display": _led_display,
    "keypad": _keypad,
}


def driver_name(cfg: Any) -> str:
    """The ``driver = "…"`` tag the config was chosen by."""
    tag = getattr(getattr(type(cfg), "__struct_config__", None), "tag", None)
    return str(tag) if tag is not None else type(cfg).__name__


async def check_device(name: str, cfg: Any, *, timeout_s: float = 20.0) -> DeviceReport:
    driver = driver_name(cfg)
    began = time.monotonic()
    try:
        async with asyncio.timeout(timeout_s):
            health = await TESTS[name](cfg)
    except TimeoutError:
        health = PeripheralHealth(state=HealthState.FAULT, reasons=(SELF_TEST_TIMEOUT,),
                                  detail=f"no result within {timeout_s:.0f} s")
    except DriverError as err:
        health = PeripheralHealth(state=HealthState.FAULT, reasons=(SELF_TEST_ERROR,),
                                  detail=f"{type(err).__name__}: {err}")
    except Exception as err:  # a driver bug must show as this device's fault, not end the report
        log.exception("self-test of %s raised", name)
        health = PeripheralHealth(state=HealthState.FAULT, reasons=(SELF_TEST_ERROR,),
                                  detail=f"{type(err).__name__}: {err}")
    return DeviceReport(device=name, driver=driver, health=health, seconds=time.monotonic() - began)


async def run_selftest(devices: DevicesConfig, *, timeout_s: float = 20.0) -> list[DeviceReport]:
    """One device after another (they may share a serial bus or the CPU with a running kiosk)."""
    return [await check_device(name, cfg, timeout_s=timeout_s) for name, cfg in devices.configured().items()]


def exit_code(reports: list[DeviceReport]) -> int:
    return 1 if any(r.health.state is HealthState.FAULT for r in reports) else 0


def format_report(config: KioskConfig, reports: list[DeviceReport]) -> str:
    lines = [f"设备自检 / Self-test: {config.device_id} ({config.role})"]
    if not reports:
        lines.append("  没有配置外设 / no peripherals configured")
    for r in reports:
        zh, en = DEVICE_NAMES.get(r.device, (r.device, r.device))
        state_zh, state_en = STATE_WORDS[r.health.state]
        reasons = f" [{', '.join(r.health.reasons)}]" if r.health.reasons else ""
        lines.append(f"  {zh} / {en} ({r.driver}): {state_zh} / {state_en}{reasons}  {r.seconds:.2f} s")
        if r.health.detail:
            lines.append(f"      {r.health.detail}")
    faults = sum(r.health.state is HealthState.FAULT for r in reports)
    lines.append("结果 / Result: " + ("全部可用 / nothing at fault" if not faults
                                     else f"{faults} 台设备故障 / {faults} device(s) at fault"))
    return "\n".join(lines)


def run_selftest_cli(config_path: Path, as_json: bool, *, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    try:
        config = load_kiosk_config(config_path)
    except ConfigError as err:
        for problem in err.problems:
            print(f"配置错误 / config error: {problem}", file=sys.stderr)
        return 2
    reports = asyncio.run(run_selftest(config.devices))
    code = exit_code(reports)
    if as_json:
        print(json.dumps({"device_id": config.device_id, "role": config.role, "ok": code == 0,
                          "devices": [r.as_dict() for r in reports]}, ensure_ascii=False), file=stream)
    else:
        print(format_report(config, reports), file=stream)
    return code
