"""What the broker lets in, listener by listener (Mosquitto 2.0.11 with the dynamic-security plugin).

- On the device listener a client id is the username: a device cannot take over anybody else's session.
- The controller's and the admin's accounts are refused on the device listener, even with a device's
  certificate, and on loopback they must use their own client id.
- A packet larger than any message costs its sender the connection; nobody receives it.

A device publishing on its own reply or command topic is covered with the rest of its ACL in
test_enrolment_flow.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path

import aiomqtt
import pytest

from edge_agent.app import tls_context_for
from edge_agent.config import AgentConfig
from hall_controller.enrollment import dynsec
from hall_controller.enrollment.broker_config import MAX_PACKET
from hall_controller.enrollment.service import ADMIN_SECRET, controller_broker_password
from hall_protocol import topics
from hall_runtime.mqtt_client import make_client
from tests.integration.enrollment.conftest import HALL, Hall
from tests.integration.enrollment.test_enrolment_flow import device_client, enrol

pytestmark = pytest.mark.integration


async def still_connected(client: aiomqtt.Client) -> bool:
    """Whether ``client`` still has its session: a message it publishes to itself comes back."""
    marker = uuid.uuid4().hex.encode()
    try:
        await client.publish(topics.device_telemetry(HALL, "probe"), marker, qos=1)
        async with asyncio.timeout(3):
            async for message in client.messages:
                if message.payload == marker:
                    return True
    except aiomqtt.MqttError:
        return False
    return False


def refused(error: aiomqtt.MqttError) -> bool:
    return "Not authorized" in str(error) or "135" in str(error)


def password_of(config: AgentConfig) -> str:
    return Path(config.broker.password_file).read_text().strip()


async def connect_as(config: AgentConfig, *, identifier: str, username: str, password: str) -> None:
    """Log in on the device listener with ``config``'s certificate and someone's credentials; hold 0.2 s."""
    client = make_client(config.broker.host, config.broker.port, identifier=identifier, username=username,
                         password=password, tls_context=tls_context_for(config), clean_start=True,
                         session_expiry_s=0)
    async with client:
        await asyncio.sleep(0.2)


async def test_a_device_cannot_take_over_another_clients_session(hall: Hall, tmp_path: Path) -> None:
    a = await enrol(hall, tmp_path, "kiosk", "A", "a")
    b = await enrol(hall, tmp_path, "kiosk", "A", "b")
    b_password = password_of(b)
    async with hall.controller_client("victim-on-loopback") as observer, \
            device_client(a, identifier=f"dev-{a.device_id}") as device_a:
        await observer.subscribe(topics.device_telemetry(HALL, "probe"), qos=1)
        await device_a.subscribe(topics.device_reply(HALL, a.device_id), qos=1)
        # Device B names the client ids of a loopback session, of device A and of the controller.
        for victim in ("victim-on-loopback", f"dev-{a.device_id}", a.device_id,
                       dynsec.controller_client_id(HALL), f"test-controller-{HALL}"):
            await connect_as(b, identifier=victim, username=b.device_id, password=b_password)
        assert await still_connected(observer)
        await observer.publish(topics.device_reply(HALL, a.device_id), b"still there?", qos=1)
        async with asyncio.timeout(3):
            message = await anext(aiter(device_a.messages))
        assert message.payload == b"still there?"


async def test_controller_and_admin_accounts_are_refused_on_the_device_listener(hall: Hall, tmp_path: Path) -> None:
    kiosk = await enrol(hall, tmp_path, "kiosk", "A", "k")
    controller_password = controller_broker_password(hall.settings)
    admin_password = (hall.settings.state_dir / ADMIN_SECRET).read_text().strip()
    attempts = [
        (dynsec.controller_client_id(HALL), dynsec.CONTROLLER_USER, controller_password),
        (dynsec.ADMIN_CLIENT_ID, dynsec.ADMIN_USER, admin_password),
    ]
    for identifier, username, password in attempts:
        with pytest.raises(aiomqtt.MqttError) as info:
            await connect_as(kiosk, identifier=identifier, username=username, password=password)
        assert refused(info.value), (username, info.value)


async def test_on_loopback_the_controller_account_needs_its_own_client_id(hall: Hall) -> None:
    password = controller_broker_password(hall.settings)
    client = make_client("127.0.0.1", hall.setup.broker.port, identifier="not-the-controller",
                         username=dynsec.CONTROLLER_USER, password=password, clean_start=True, session_expiry_s=0)
    with pytest.raises(aiomqtt.MqttError) as info:
        async with client:
            pass
    assert refused(info.value)
    # the admin's own exchanges use its pinned client id
    assert (await hall.service.admin.execute([{"command": "getClient", "username": dynsec.ADMIN_USER}]))[0][
        "data"]["client"]["clientid"] == dynsec.ADMIN_CLIENT_ID


async def until_cut_off(device: aiomqtt.Client, payload: bytes, topic: str) -> None:
    await device.publish(topic, payload, qos=1)
    async with asyncio.timeout(3):
        async for _ in device.messages:  # the broker closes the connection
            pass


async def test_a_packet_over_the_limit_costs_the_device_its_connection(hall: Hall, tmp_path: Path) -> None:
    kiosk = await enrol(hall, tmp_path, "kiosk", "A", "k")
    async with hall.controller_client("big-watch") as observer, device_client(kiosk) as device:
        await observer.subscribe(topics.device_telemetry(HALL, kiosk.device_id), qos=1)
        with pytest.raises(aiomqtt.MqttError):
            await until_cut_off(device, b"x" * (MAX_PACKET + 1), topics.device_telemetry(HALL, kiosk.device_id))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                async for message in observer.messages:
                    raise AssertionError(f"{len(bytes(message.payload))} bytes were forwarded")  # type: ignore[arg-type]
