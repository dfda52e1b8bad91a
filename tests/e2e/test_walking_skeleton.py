"""The whole path through real processes: kiosk client → agent → Mosquitto → controller → ticket back →
a window calls next → the hall screen's agent pushes the call."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hall_protocol.devices import Role
from hall_protocol.hall import CallEvent
from hall_protocol.hall_config import load_hall_config
from hall_protocol.local import Subscribe
from hall_protocol.tickets import IssueTicket, TicketReply, WindowCommand, WindowOp, WindowReply
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from onevisit.demo import DeviceSpec, Processes, agent_config_text, wait_for_controller

ROOT = Path(__file__).resolve().parents[2]
HALL = ROOT / "configs/demo/hall.toml"


@pytest.fixture
async def hall(private_mosquitto: PrivateBroker, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    config = load_hall_config(HALL)
    procs = Processes(tmp_path)
    py = sys.executable
    procs.start("controller", [py, "-m", "hall_controller", "--config", str(HALL),
                               "--broker", f"127.0.0.1:{private_mosquitto.port}", "--db", str(tmp_path / "hall.db"),
                               "--web-port", "0"])
    devices = [DeviceSpec("kiosk-1", Role.KIOSK, "A"), DeviceSpec("screen-1", Role.HALL_SCREEN, "A"),
               DeviceSpec("win-W1", Role.WINDOW_TERMINAL, "A")]
    sockets = {}
    for d in devices:
        cfg = tmp_path / f"agent-{d.device_id}.toml"
        cfg.write_text(agent_config_text(d, config.hall.id, private_mosquitto.port, tmp_path))
        procs.start(d.device_id, [py, "-m", "edge_agent", "--config", str(cfg)])
        sockets[d.device_id] = str(tmp_path / f"{d.device_id}.sock")
    try:
        await wait_for_controller(private_mosquitto, config.hall.id, procs)
        for path in sockets.values():
            async with asyncio.timeout(20):
                while not await asyncio.to_thread(Path(path).exists):  # noqa: ASYNC110 - no event for a new file
                    await asyncio.sleep(0.05)
        yield sockets
    finally:
        procs.stop_all()


def rid() -> str:
    return uuid.uuid4().hex


@pytest.mark.e2e
async def test_ticket_to_call_on_the_hall_screen(hall: dict[str, str]) -> None:
    async with (
        AgentClient(hall["kiosk-1"]) as kiosk,
        AgentClient(hall["win-W1"]) as window,
        AgentClient(hall["screen-1"], subscribe=Subscribe(calls=True)) as screen,
    ):
        for link in (kiosk, window, screen):
            await link.wait_online()

        reply = await kiosk.request(IssueTicket(request_id=rid(), service="SB-CARD", source_device="kiosk-1"))
        assert isinstance(reply, TicketReply), reply
        ticket = reply.ticket
        assert ticket.number.startswith("A")
        assert ticket.position == 1
        assert ticket.est_wait_high_s >= ticket.est_wait_s >= ticket.est_wait_low_s >= 0
        assert ticket.status_url.startswith("http://127.0.0.1:8080/t/demo/")

        # the same request again (a kiosk retry) gets the same ticket, not a second one
        again = await kiosk.request(IssueTicket(request_id=reply.request_id, service="SB-CARD",
                                                source_device="kiosk-1"))
        assert isinstance(again, TicketReply)
        assert again.ticket.number == ticket.number

        for op in (WindowOp.LOGIN, WindowOp.OPEN):
            r = await window.request(WindowCommand(request_id=rid(), window_id="W1", op=op, staff_id="s1"))
            assert isinstance(r, WindowReply), r
        called = await window.request(WindowCommand(request_id=rid(), window_id="W1", op=WindowOp.CALL_NEXT))
        assert isinstance(called, WindowReply), called
        assert called.ticket is not None
        assert called.ticket.number == ticket.number

        async with asyncio.timeout(5):
            async for event in screen.events():
                if isinstance(event, CallEvent) and event.call.ticket_id == ticket.ticket_id:
                    assert event.call.window_id == "W1"
                    assert event.call.window_name == "1号窗口"
                    break


@pytest.mark.e2e
def test_headless_demo_runs_and_reports(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "onevisit.cli", "demo", "--headless", "--duration", "12", "--rate", "60",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["bench"] == "demo"
    assert summary["errors"] == 0
    assert summary["issued"] > 0
    assert summary["called"] > 0
    assert summary["screen_calls"] >= summary["called"]
