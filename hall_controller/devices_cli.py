"""``onevisit device init|add|code|list|retire``: device slots from the hall server's shell.

Talks to the registry in the controller's database (``--db``) and the CA in ``--state-dir`` directly, so it
works whether or not the controller is running; ``retire`` also tells the broker (``--broker``, the loopback
admin listener) to drop the device at once.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from hall_controller.enrollment.errors import BrokerAdminError, EnrollmentError
from hall_controller.enrollment.lifecycle import status_zh
from hall_controller.enrollment.qr import terminal_qr
from hall_controller.enrollment.registry import DeviceRecord
from hall_controller.enrollment.service import (
    EnrollmentService,
    EnrollmentSettings,
    IssuedCode,
    init_state,
    pidfile_reloader,
)

DEFAULT_STATE_DIR = "/var/lib/onevisit/enrollment"
DEFAULT_PIDFILE = "/run/mosquitto/mosquitto.pid"


def _host_port(text: str, default_port: int) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    return host or "127.0.0.1", int(port)


def _settings(args: argparse.Namespace, hall: str) -> EnrollmentSettings:
    admin_host, admin_port = _host_port(getattr(args, "broker", "127.0.0.1:1883"), 1883)
    return EnrollmentSettings(
        hall=hall,
        db_path=Path(args.db),
        state_dir=Path(args.state_dir),
        admin_host=admin_host,
        admin_port=admin_port,
        controller_url=getattr(args, "controller", "https://127.0.0.1:8443"),
        code_ttl_s=float(getattr(args, "ttl", 15.0)) * 60,
        broker_host=getattr(args, "broker_host", "127.0.0.1"),
        server_hosts=tuple(getattr(args, "server_host", None) or ()),
    )


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _print_code(issued: IssuedCode, out: TextIO) -> None:
    d = issued.device
    print(f"设备 / device: {d.device_id}  ({d.role.value}, zone {d.zone}, {d.name})", file=out)
    print(f"一次性授权码 / one-time code: {issued.code}", file=out)
    print(f"有效期至 / expires: {_when(issued.expires_at)} (单次有效 / single use)", file=out)
    print(f"接入链接 / link: {issued.link}", file=out)
    print(f"在设备上运行 / on the device run:\n  onevisit provision --controller "
          f"{issued.link.split('/enroll')[0]} --code {issued.code}", file=out)
    print(terminal_qr(issued.link), file=out, end="")


def format_devices(devices: list[DeviceRecord]) -> str:
    header = ("ID", "ROLE", "ZONE", "STATE 状态", "READY", "SELF-TEST 自检", "LAST SEEN", "NAME")
    rows = [header]
    for d in devices:
        selftest = "-" if d.selftest_ok is None else ("ok" if d.selftest_ok else "FAIL")
        if d.selftest_summary and d.selftest_ok is False:
            selftest += f" ({d.selftest_summary})"
        state = f"{d.status.value} {status_zh(d.status)}"
        if d.code_expires_at is not None:
            state += f" [code until {_when(d.code_expires_at)[11:]}]"
        rows.append((d.device_id, d.role.value, d.zone, state, "就绪 yes" if d.ready else "no", selftest,
                     _when(d.last_seen_at), d.name))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] for r in rows]
    return "\n".join(lines)


def device_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Exit codes: 0 done, 1 refused (bad input, unknown device, broker unreachable), 2 not set up."""
    out = out or sys.stdout
    action = args.device_command
    try:
        if action == "init":
            settings = _settings(args, args.hall)
            ca = init_state(settings, Path(args.dynsec_file) if args.dynsec_file else None)
            print(f"大厅 CA / hall CA: {ca.ca_cert_path}  (pin {ca.pin})", file=out)
            print(f"服务器证书 / server certificate: {ca.server_cert_path}", file=out)
            print(f"管理员令牌 / manager token: {settings.state_dir / 'manager.token'} (0600)", file=out)
            if args.dynsec_file:
                print(f"动态安全配置 / dynamic-security file: {args.dynsec_file}", file=out)
            return 0
        reload = pidfile_reloader(Path(args.broker_pidfile)) if action == "retire" else None
        service = EnrollmentService.open(_settings(args, hall=""), create=False, reload_broker=reload)
        if action == "add":
            _print_code(service.create_slot(args.role, args.zone, args.name, args.window or None), out)
        elif action == "code":
            _print_code(service.new_code(args.device_id), out)
        elif action == "list":
            print(format_devices(service.devices()), file=out)
        elif action == "retire":
            try:
                rec = asyncio.run(service.retire(args.device_id))
            except BrokerAdminError as err:
                print(f"设备已停用、证书已吊销，但消息服务器暂不可达：{err.message_zh}\n"
                      f"Retired and certificate revoked, but the broker could not be told: {err.message_en}\n"
                      "控制器启动时会再次删除其凭据 / the controller removes its credentials when it starts.",
                      file=out)
                return 1
            print(f"设备 {rec.device_id} 已停用，凭据已吊销。/ Device {rec.device_id} retired; credentials revoked.",
                  file=out)
        else:
            raise AssertionError(action)
    except EnrollmentError as err:
        print(f"{err.message_zh}\n{err.message_en}", file=out)
        return 2 if err.code.value == "internal" else 1
    return 0
