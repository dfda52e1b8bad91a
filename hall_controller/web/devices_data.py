"""The devices pages' data: every device the hall knows (the enrolment registry and the hall config's static
devices), with what the controller hears from it (``device_watch``): presence, health with reasons from its
telemetry's peripherals, self-test results, telemetry history, and the answers to commands sent to it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from hall_controller.device_watch import CommandSeen, DeviceWatch
from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_controller.enrollment.registry import DeviceRecord
from hall_controller.web.console_common import local_time
from hall_protocol.devices import CommandName, Role
from hall_protocol.hall_config import WINDOW_ROLES, HallConfig
from hall_protocol.health import SEVERITY, HealthState, PeripheralHealth

CONSOLE_COMMANDS = (CommandName.SELF_TEST, CommandName.PRINT_TEST_PAGE, CommandName.RESTART_UI,
                    CommandName.SEND_DIAGNOSTICS)


class Peripheral(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    state: str
    reasons: tuple[str, ...]
    detail: str


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    device_id: str
    name: str
    role: str
    zone: str
    window: str | None
    source: str  # "registry" (enrolled) or "config" (hall.toml's static devices)
    status: str  # the registry's (pending, provisioned, online, offline, retired), or online/offline/unknown
    online: bool
    last_seen: float | None
    last_seen_text: str
    health: str  # ok, degraded, fault, absent; "unknown" before any telemetry
    problems: tuple[str, ...]  # "printer: media-low" for each peripheral that is not ok
    selftest_ok: bool | None
    selftest_summary: str
    selftest_at_text: str
    cpu_pct: float | None
    mem_pct: float | None
    temp_c: float | None
    disk_pct: float | None
    outbox_depth: int | None
    code_expires_text: str  # a one-time code is waiting to be used until then
    commandable: bool  # it holds credentials (a retired or pending slot has no device to command)
    manageable: bool  # an enrolment slot: a new code, retirement


class Option(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    label_zh: str
    label_en: str


class DevicesPage(msgspec.Struct, frozen=True, kw_only=True):
    rows: tuple[DeviceRow, ...]
    enrollment_on: bool
    roles: tuple[Option, ...]
    zones: tuple[Option, ...]
    windows: tuple[Option, ...]
    commands: tuple[str, ...]
    version: int


class ChartData(msgspec.Struct, frozen=True, kw_only=True):
    """Telemetry history, oldest first, for ECharts. Times are when the controller heard each sample, in
    milliseconds of the hall's wall clock counted as if it were UTC (the chart shows them with ``useUTC``, so
    they read as the hall's time whatever the browser's zone)."""

    t: tuple[float, ...]
    cpu_pct: tuple[float, ...]
    mem_pct: tuple[float, ...]
    disk_pct: tuple[float, ...]
    temp_c: tuple[float | None, ...]
    outbox_depth: tuple[int, ...]


class CommandView(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    by: str
    sent_text: str
    answered_text: str
    ok: bool
    code: str
    detail: str
    data: tuple[tuple[str, str], ...]


class DeviceDetail(msgspec.Struct, frozen=True, kw_only=True):
    device: DeviceRow
    peripherals: tuple[Peripheral, ...]
    has_telemetry: bool
    selftest: tuple[Peripheral, ...]  # the last self-test report's results, by peripheral
    software_version: str
    chart: ChartData
    commands: tuple[CommandView, ...]  # newest first
    command_names: tuple[str, ...]
    version: int


def _peripherals(found: dict[str, PeripheralHealth]) -> tuple[Peripheral, ...]:
    return tuple(Peripheral(name=k, state=v.state.value, reasons=v.reasons, detail=v.detail)
                 for k, v in sorted(found.items()))


def _row(device_id: str, name: str, role: Role, zone: str, window: str | None, record: DeviceRecord | None,
         watch: DeviceWatch, timezone: str) -> DeviceRow:
    presence, sample = watch.presence.get(device_id), watch.history.latest(device_id)
    telemetry = sample.telemetry if sample is not None else None
    seen = watch.last_seen.get(device_id) or (record.last_seen_at if record is not None else None)
    if record is not None:
        status = record.status.value
        online = presence.online if presence is not None else record.status is DeviceStatus.ONLINE
        if record.status not in (DeviceStatus.PENDING, DeviceStatus.RETIRED) and presence is not None:
            status = DeviceStatus.ONLINE.value if presence.online else DeviceStatus.OFFLINE.value
    else:
        online = presence is not None and presence.online
        status = "unknown" if presence is None else ("online" if online else "offline")
    peripherals = telemetry.peripherals if telemetry is not None else {}
    health = (max((p.state for p in peripherals.values()), key=SEVERITY.__getitem__, default=HealthState.OK).value
              if telemetry is not None else "unknown")
    problems = tuple(f"{k}: {', '.join(v.reasons) or v.state.value}" for k, v in sorted(peripherals.items())
                     if v.state is not HealthState.OK)
    selftest = watch.selftests.get(device_id)
    if selftest is not None:
        selftest_ok: bool | None = selftest.report.ok
        selftest_summary = ", ".join(f"{k}: {v.state.value}" for k, v in sorted(selftest.report.results.items()))
        selftest_at = local_time(selftest.at, timezone)
    else:
        selftest_ok = record.selftest_ok if record is not None else None
        selftest_summary = record.selftest_summary if record is not None else ""
        selftest_at = local_time(record.selftest_at or 0, timezone, date=True) if record is not None else ""
    live = record is None or record.live
    return DeviceRow(
        device_id=device_id, name=name, role=role.value, zone=zone, window=window,
        source="registry" if record is not None else "config", status=status, online=online, last_seen=seen,
        last_seen_text=local_time(seen or 0, timezone, date=True), health=health, problems=problems,
        selftest_ok=selftest_ok, selftest_summary=selftest_summary, selftest_at_text=selftest_at,
        cpu_pct=telemetry.cpu_pct if telemetry else None, mem_pct=telemetry.mem_pct if telemetry else None,
        temp_c=telemetry.temp_c if telemetry else None, disk_pct=telemetry.disk_pct if telemetry else None,
        outbox_depth=telemetry.outbox_depth if telemetry else None,
        code_expires_text=local_time(record.code_expires_at or 0, timezone) if record is not None else "",
        commandable=live, manageable=record is not None and record.status is not DeviceStatus.RETIRED,
    )


def device_rows(config: HallConfig, records: list[DeviceRecord], watch: DeviceWatch) -> tuple[DeviceRow, ...]:
    """Enrolled devices first (in the registry's order), then the hall config's devices not enrolled."""
    tz = config.hall.timezone
    rows = [_row(r.device_id, r.name, r.role, r.zone, r.window, r, watch, tz) for r in records]
    enrolled = {r.device_id for r in records}
    rows += [_row(d.id, d.id, d.role, d.zone, d.window, None, watch, tz) for d in config.devices
             if d.id not in enrolled]
    return tuple(rows)


def devices_page(config: HallConfig, records: list[DeviceRecord], watch: DeviceWatch, enrollment_on: bool,
                 role_names: dict[str, tuple[str, str]]) -> DevicesPage:
    return DevicesPage(
        rows=device_rows(config, records, watch), enrollment_on=enrollment_on,
        roles=tuple(Option(value=r.value, label_zh=role_names[r.value][0], label_en=role_names[r.value][1])
                    for r in Role),
        zones=tuple(Option(value=z.id, label_zh=z.name_zh, label_en=z.name_en) for z in config.zones),
        windows=tuple(Option(value=w.id, label_zh=w.name_zh, label_en=w.name_en) for w in config.windows),
        commands=tuple(c.value for c in CONSOLE_COMMANDS), version=watch.hub.version,
    )


def command_view(seen: CommandSeen, timezone: str) -> CommandView:
    r = seen.result
    return CommandView(name=seen.name.value, by=seen.by, sent_text=local_time(seen.sent_at, timezone),
                       answered_text=local_time(seen.answered_at, timezone), ok=r.ok,
                       code=r.code.value if r.code is not None else "", detail=r.detail,
                       data=tuple(sorted(r.data.items())))


def _offset_s(ts: float, zone: ZoneInfo) -> float:
    offset = datetime.fromtimestamp(ts, zone).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def device_detail(row: DeviceRow, watch: DeviceWatch, timezone: str) -> DeviceDetail:
    samples = watch.history.samples(row.device_id)
    latest = samples[-1].telemetry if samples else None
    selftest = watch.selftests.get(row.device_id)
    presence = watch.presence.get(row.device_id)
    zone = ZoneInfo(timezone)
    chart = ChartData(
        t=tuple(round((s.received_at + _offset_s(s.received_at, zone)) * 1000) for s in samples),
        cpu_pct=tuple(s.telemetry.cpu_pct for s in samples), mem_pct=tuple(s.telemetry.mem_pct for s in samples),
        disk_pct=tuple(s.telemetry.disk_pct for s in samples), temp_c=tuple(s.telemetry.temp_c for s in samples),
        outbox_depth=tuple(s.telemetry.outbox_depth for s in samples),
    )
    return DeviceDetail(
        device=row, peripherals=_peripherals(latest.peripherals) if latest is not None else (),
        has_telemetry=latest is not None,
        selftest=_peripherals(selftest.report.results) if selftest is not None else (),
        software_version=presence.software_version if presence is not None else "", chart=chart,
        commands=tuple(command_view(c, timezone) for c in watch.commands.get(row.device_id, ())),
        command_names=tuple(c.value for c in CONSOLE_COMMANDS), version=watch.hub.version,
    )


def window_role(role: Role) -> bool:
    return role in WINDOW_ROLES
