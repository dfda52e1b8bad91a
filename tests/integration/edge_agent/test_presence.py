"""Presence: a retained birth on connect, "offline" on a clean stop, the last will when the agent dies."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from edge_agent.local_server import LocalServer
from hall_protocol import topics
from hall_protocol.codec import decode
from hall_protocol.devices import DeviceState, Role
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import DisplayState, HallState
from hall_protocol.local import Event, Hello, Subscribe
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest
from hall_runtime.mqtt_client import make_client, payload_bytes
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from onevisit.demo import DeviceSpec, agent_config_text
from tests.integration.controller.harness import device

pytestmark = pytest.mark.integration


async def wait_state(broker: PrivateBroker, device_id: str, *, online: bool, timeout: float = 20) -> DeviceState:
    """Until the device's retained presence says ``online`` (it may already)."""
    async with make_client(broker.host, broker.port, identifier=f"watch-{device_id}", clean_start=True,
                           session_expiry_s=0) as watcher:
        await watcher.subscribe(topics.device_state("demo", device_id), qos=1)
        async with asyncio.timeout(timeout):
            async for message in watcher.messages:
                state = decode(payload_bytes(message), DeviceState)
                if state.online is online:
                    return state
    raise AssertionError("unreachable")


async def test_birth_then_offline_on_a_clean_stop(mosquitto: PrivateBroker) -> None:
    async with device(mosquitto, "kiosk-presence"):
        birth = await wait_state(mosquitto, "kiosk-presence", online=True, timeout=5)
        assert birth.role is Role.KIOSK
        assert birth.boot_id
    await wait_state(mosquitto, "kiosk-presence", online=False, timeout=5)


async def test_last_will_marks_offline_when_the_agent_dies(private_mosquitto: PrivateBroker, tmp_path: Path) -> None:
    spec = DeviceSpec("kiosk-will", Role.KIOSK, "A")
    cfg = tmp_path / "agent.toml"
    cfg.write_text(agent_config_text(spec, "demo", private_mosquitto.port, tmp_path))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "edge_agent", "--config", str(cfg))
    try:
        await wait_state(private_mosquitto, "kiosk-will", online=True)
    finally:
        proc.kill()  # no clean disconnect: only the broker's last will can say the device is gone
        await proc.wait()
    await wait_state(private_mosquitto, "kiosk-will", online=False, timeout=10)


async def test_a_ui_that_subscribes_late_gets_the_latest_hall_state_at_once(tmp_path: Path) -> None:
    async def no_requests(body: RpcRequest, timeout: float) -> RpcReply:
        return ErrorReply(request_id="", code=ErrorCode.UNAVAILABLE, message="not in this test")

    server = LocalServer(str(tmp_path / "ui.sock"), Hello(device_id="s", role="hall-screen", hall="demo"),
                         no_requests)
    await server.start()
    try:
        server.push(Event(body=HallState(hall="demo", ts=1.0, seq=7)))
        server.push(Event(body=DisplayState(zone="B", ts=1.0, seq=7, waiting=3)))
        async with AgentClient(server.path, subscribe=Subscribe(hall_state=True, zones=("B",))) as link:
            seen = []
            async with asyncio.timeout(5):
                async for event in link.events():
                    seen.append(event)
                    if len(seen) == 2:
                        break
        assert {type(e).__name__ for e in seen} == {"HallState", "DisplayState"}
    finally:
        await server.close()
