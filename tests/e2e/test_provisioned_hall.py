"""Provisioning through real processes: `onevisit device init` → broker with mutual TLS and per-device ACL →
controller with enrolment → `onevisit device add` → `onevisit provision` → the agent connects with its own
identity and a ticket goes through. Then the device is retired and is refused at once."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hall_controller.enrollment.broker_config import BrokerFiles, find_dynsec_plugin, private_extra_config
from hall_protocol.local import Subscribe
from hall_protocol.tickets import IssueTicket, TicketReply
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from onevisit.demo import Processes
from tests.fixtures.components import free_port, unavailable

ROOT = Path(__file__).resolve().parents[2]
HALL = ROOT / "configs/demo/hall.toml"


def onevisit(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "onevisit.cli", *args], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.mark.e2e
async def test_enrol_a_kiosk_issue_a_ticket_then_retire_it(tmp_path: Path) -> None:
    plugin = find_dynsec_plugin()
    if plugin is None:
        unavailable("mosquitto dynamic-security plugin", "mosquitto_dynamic_security.so not found")
    assert plugin is not None
    state, db, dynsec = tmp_path / "state", tmp_path / "hall.db", tmp_path / "broker" / "dynamic-security.json"
    (tmp_path / "broker").mkdir()
    common = ["--db", str(db), "--state-dir", str(state)]
    onevisit("device", "init", "--hall", "demo", "--dynsec-file", str(dynsec), *common)

    tls_port, api_port = free_port(), free_port()
    files = BrokerFiles.in_dirs(state / "ca", dynsec)
    broker = PrivateBroker(workdir=tmp_path / "broker", extra_config=private_extra_config(files, tls_port, plugin))
    broker.start()
    procs = Processes(tmp_path)
    try:
        procs.start("controller", [
            sys.executable, "-m", "hall_controller", "--config", str(HALL), "--broker", f"127.0.0.1:{broker.port}",
            "--db", str(db), "--state-dir", str(state), "--api-port", str(api_port),
            "--broker-tls-port", str(tls_port), "--web-port", "0",
        ])
        controller_url = f"https://127.0.0.1:{api_port}"
        added = onevisit("device", "add", "--role", "kiosk", "--zone", "A", "--name", "自助机1",
                         "--controller", controller_url, *common)
        code = re.search(r"one-time code: (\S+)", added)
        assert code is not None, added
        device_id = re.search(r"device: (\S+)", added)
        assert device_id is not None

        device_dir = tmp_path / "device"
        for _ in range(50):  # the controller's API may still be starting
            out = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "onevisit.cli", "provision", "--controller", controller_url,
                 "--code", code.group(1), "--dir", str(device_dir), "--data-dir", str(tmp_path / "agent-data"),
                 "--socket", str(tmp_path / "agent.sock")],
                capture_output=True, text=True, timeout=60, cwd=ROOT,
            )
            if out.returncode == 0 or "cannot reach the controller" not in out.stdout + out.stderr:
                break
            await asyncio.sleep(0.2)
        assert out.returncode == 0, out.stdout + out.stderr
        agent_toml = next(device_dir.rglob("agent.toml"))
        for secret in device_dir.rglob("*"):
            if secret.is_file() and secret.suffix in (".key", ".pem", ".password") and "key" in secret.name:
                assert secret.stat().st_mode & 0o077 == 0, f"{secret} is readable by others"

        agent = procs.start("agent", [sys.executable, "-m", "edge_agent", "--config", str(agent_toml)])
        socket_path = re.search(r'socket_path = "([^"]+)"', agent_toml.read_text())
        assert socket_path is not None
        async with asyncio.timeout(20):
            while not await asyncio.to_thread(Path(socket_path.group(1)).exists):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        async with AgentClient(socket_path.group(1), subscribe=Subscribe()) as link:
            await link.wait_online(20)
            reply = await link.request(IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD",
                                                   source_device=device_id.group(1)))
            assert isinstance(reply, TicketReply), reply
            assert not reply.ticket.provisional

            onevisit("device", "retire", device_id.group(1), "--broker", f"127.0.0.1:{broker.port}",
                     "--broker-pidfile", str(tmp_path / "no-pidfile"), *common)
            await link.wait_offline(10)
        assert agent.poll() is None  # the agent keeps running (and retrying), it just cannot get in
        listing = onevisit("device", "list", *common)
        assert "retired" in listing
    finally:
        procs.stop_all()
        broker.close()
