"""Device presence, telemetry, remote commands and self-test messages."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from hall_protocol.codec import Message
from hall_protocol.errors import ErrorCode
from hall_protocol.health import PeripheralHealth


class Role(StrEnum):
    KIOSK = "kiosk"
    HALL_SCREEN = "hall-screen"
    WINDOW_DISPLAY = "window-display"
    EVALUATOR = "evaluator"
    WINDOW_TERMINAL = "window-terminal"  # a staff caller keypad or counter PC


class DeviceState(Message, frozen=True, tag="device.state"):
    """Retained on ``device/{id}/state``: the birth message, and (online=False) the last will."""

    device_id: str
    role: Role
    online: bool
    boot_id: str = ""
    software_version: str = ""
    schema_version: int = 1
    capabilities: tuple[str, ...] = ()
    ts: float = 0.0


class Telemetry(Message, frozen=True, tag="device.telemetry"):
    """Latest-value: a newer one replaces an older one; never queued."""

    device_id: str
    ts: float
    cpu_pct: float = 0.0
    mem_pct: float = 0.0
    rss_mib: float = 0.0
    temp_c: float | None = None
    disk_pct: float = 0.0
    uptime_s: float = 0.0
    outbox_depth: int = 0
    outbox_oldest_s: float = 0.0
    outbox_alarm: bool = False
    peripherals: dict[str, PeripheralHealth] = msgspec.field(default_factory=dict)


class CommandName(StrEnum):
    """The allow-list of remote commands. Anything else is refused."""

    RESTART_UI = "restart-ui"
    SELF_TEST = "self-test"
    PRINT_TEST_PAGE = "print-test-page"
    RELOAD_CONFIG = "reload-config"
    SEND_DIAGNOSTICS = "send-diagnostics"


class Command(Message, frozen=True, tag="device.command"):
    command_id: str
    name: CommandName
    expires_at: float  # epoch seconds; an expired command is never executed
    args: dict[str, str] = msgspec.field(default_factory=dict)


class CommandResult(Message, frozen=True, tag="device.command-result"):
    command_id: str
    ok: bool
    detail: str = ""
    code: ErrorCode | None = None  # why it was refused or failed: expired, unknown-type, malformed, ...
    data: dict[str, str] = msgspec.field(default_factory=dict)


class SelfTestReport(Message, frozen=True, tag="device.selftest"):
    request_id: str
    device_id: str
    ok: bool
    results: dict[str, PeripheralHealth] = msgspec.field(default_factory=dict)
    ts: float = 0.0
