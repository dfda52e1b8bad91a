"""Enrolment through the HTTPS API with the real provision code, against a real Mosquitto (mTLS + dynsec)."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import ssl
import stat
import time
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest

from edge_agent.app import Agent, tls_context_for
from edge_agent.config import AgentConfig, load_agent_config
from edge_agent.identity import IdentityPaths
from edge_agent.provision import ProvisionError, provision, provision_cli
from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.devices import DeviceState, Role
from hall_protocol.enrolment import EnrollmentCode
from hall_runtime.mqtt_client import make_client
from tests.integration.enrollment.conftest import CHECKIN_KEY, HALL, Hall

pytestmark = pytest.mark.integration


async def add_device(hall: Hall, role: str = "kiosk", zone: str = "A", name: str = "1号自助机",
                     window: str | None = None) -> dict[str, Any]:
    r = await hall.api.post("/api/v1/devices", json={"role": role, "zone": zone, "name": name, "window": window})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def enrol(hall: Hall, tmp_path: Path, role: str = "kiosk", zone: str = "A", name: str = "dev",
                window: str | None = None) -> AgentConfig:
    body = await add_device(hall, role, zone, name, window)
    out = tmp_path / body["device"]["device_id"]
    done = await provision(hall.url, body["code"], out, data_dir=str(out / "data"),
                           socket_path=str(out / "ui.sock"))
    return done.config


def device_client(config: AgentConfig, identifier: str | None = None, password: str | None = None) -> aiomqtt.Client:
    password = password or Path(config.broker.password_file).read_text().strip()
    return make_client(config.broker.host, config.broker.port, identifier=identifier or f"dev-{config.device_id}",
                       username=config.broker.username, password=password, tls_context=tls_context_for(config),
                       clean_start=True, session_expiry_s=0)


async def delivered(hall: Hall, sender: aiomqtt.Client, attempts: list[str], marker: str) -> set[str]:
    """Publish every topic in ``attempts`` then ``marker`` (allowed) from ``sender``; return which of the
    attempts reached a subscriber of everything. QoS 1 from one client keeps its order, so once the marker
    arrives, anything still missing was dropped by the broker."""
    got: set[str] = set()
    async with hall.controller_client() as observer:
        await observer.subscribe(f"{topics.ROOT}/{topics.TOPIC_VERSION}/#", qos=1)
        for t in attempts:
            await sender.publish(t, b"probe", qos=1)
        await sender.publish(marker, b"marker", qos=1)
        async with asyncio.timeout(5):
            async for m in observer.messages:
                if m.retain:
                    continue  # left by earlier tests on this broker
                if m.payload == b"marker":
                    return got
                got.add(str(m.topic))
    return got


def tls_handshake_error(config: AgentConfig) -> str | None:
    """TLS 1.2 handshake with the device's certificate: with 1.2 a revoked client cert fails the handshake
    itself (with 1.3 the alert only comes after), so refusal is seen at once."""
    ctx = tls_context_for(config)
    assert ctx is not None
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection((config.broker.host, config.broker.port), timeout=3) as raw, \
                ctx.wrap_socket(raw, server_hostname=config.broker.host):
            return None
    except ssl.SSLError as err:
        return str(err)


def suback(codes: object) -> list[int]:
    """SUBACK reason codes as numbers (aiomqtt gives paho ReasonCode objects for MQTT v5)."""
    assert isinstance(codes, list | tuple)
    return [rc if isinstance(rc, int) else int(rc.value) for rc in codes]


def refused_within(config: AgentConfig, timeout: float) -> str | None:
    """Blocking: the handshake error once the broker has re-read its CRL (it does so on SIGHUP, with no
    signal back to us, so this asks again until then)."""
    deadline = time.monotonic() + timeout
    while (error := tls_handshake_error(config)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return error


async def until_cut_off(client: aiomqtt.Client) -> None:
    """Return by raising MqttError when the broker drops ``client``; TimeoutError if it is still on after 3 s."""
    async with asyncio.timeout(3):
        async for _ in client.messages:
            pass


async def test_enrolment_end_to_end_with_the_cli(hall: Hall, tmp_path: Path) -> None:
    body = await add_device(hall)
    device_id = body["device"]["device_id"]
    assert device_id == "kiosk-A-01"
    assert body["qr_png"].startswith("data:image/png;base64,")
    assert body["link"] == f"{hall.url}/enroll?code={body['code']}"
    assert body["device"]["state"] == "pending"

    out = tmp_path / "etc-onevisit"
    buf = io.StringIO()
    # provision_cli runs its own event loop (asyncio.run), so it runs in a thread here, exactly as the CLI.
    rc = await asyncio.to_thread(provision_cli, hall.url, body["link"], out, out=buf)
    assert rc == 0, buf.getvalue()
    assert "kiosk-A-01" in buf.getvalue()

    paths = IdentityPaths(out)
    for f in paths.all():
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600, f
    assert not list(out.glob(".*")), "no staging files left behind"
    config = load_agent_config(paths.config)
    assert (config.device_id, config.role, config.hall, config.zone) == (device_id, Role.KIOSK, HALL, "A")
    assert config.broker.port == hall.setup.tls_port
    assert config.broker.tls
    # a kiosk gets the hall's check-in key, in its own 0600 file beside the password, not in the config
    assert config.checkin_key_file == str(paths.checkin_key.absolute())
    assert stat.S_IMODE(os.stat(paths.checkin_key).st_mode) == 0o600
    assert paths.checkin_key.read_text().strip() == CHECKIN_KEY.hex()
    assert CHECKIN_KEY.hex() not in paths.config.read_text()

    rec = await hall.wait_device(device_id, lambda d: d.selftest_ok is not None, "self-test report")
    assert rec.status is DeviceStatus.PROVISIONED
    assert rec.selftest_ok is True
    assert rec.cert_serial

    r = await hall.api.get("/api/v1/devices")
    listed = {d["device_id"]: d for d in r.json()["devices"]}
    assert listed[device_id]["state"] == "provisioned"
    assert listed[device_id]["selftest_ok"] is True


async def test_agent_runs_from_the_provisioned_config_and_shows_ready(hall: Hall, tmp_path: Path) -> None:
    config = await enrol(hall, tmp_path, "hall-screen", "B", "大屏")
    await hall.wait_device(config.device_id, lambda d: d.selftest_ok is True, "self-test")
    agent = await Agent.open(config)
    task = asyncio.create_task(agent.run())
    try:
        rec = await hall.wait_device(config.device_id, lambda d: d.status is DeviceStatus.ONLINE, "online")
        assert rec.ready
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # Its last will (or a clean offline state) marks it offline; sent here by the device itself.
    async with device_client(config, "offline-sender") as c:
        offline = DeviceState(device_id=config.device_id, role=config.role, online=False)
        await c.publish(topics.device_state(HALL, config.device_id), encode(offline), qos=1, retain=True)
    rec = await hall.wait_device(config.device_id, lambda d: d.status is DeviceStatus.OFFLINE, "offline")
    assert not rec.ready


async def test_device_acl_is_its_own_topics_and_its_roles(hall: Hall, tmp_path: Path) -> None:
    kiosk = await enrol(hall, tmp_path, "kiosk", "A", "k")
    screen = await enrol(hall, tmp_path, "hall-screen", "A", "s")
    h, me, other = HALL, kiosk.device_id, screen.device_id
    async with device_client(kiosk) as c:
        allowed = [
            topics.device_state(h, me), topics.device_telemetry(h, me), topics.device_events(h, me),
            topics.rpc(h, me, topics.RpcService.TICKET), topics.rpc(h, me, topics.RpcService.LEASE),
            topics.rpc(h, me, topics.RpcService.RATING), topics.rpc(h, me, topics.RpcService.DEVICE),
        ]
        got = await delivered(hall, c, allowed, topics.device_state(h, me))
        assert got == set(allowed)
        denied = [
            topics.device_state(h, other), topics.device_cmd(h, other), topics.device_reply(h, other),
            topics.rpc(h, me, topics.RpcService.WINDOW),  # a window terminal's service, not a kiosk's
            topics.rpc(h, other, topics.RpcService.TICKET),  # another device's name
            topics.device_reply(h, me), topics.device_cmd(h, me),  # only the controller writes there
            topics.hall_state(h), topics.display(h, "A"), topics.events_calls(h),
            f"ov/v1/other-hall/device/{me}/rpc/ticket", "$CONTROL/dynamic-security/v1",
        ]
        assert await delivered(hall, c, denied, topics.device_state(h, me)) == set()

        assert suback(await c.subscribe(topics.device_reply(h, me), qos=1)) == [1]
        assert suback(await c.subscribe(topics.hall_state(h), qos=1)) == [1]
        for refused in (topics.device_reply(h, other), topics.device_cmd(h, other), "ov/v1/h1/device/+/reply",
                        "ov/v1/#", "#", topics.events_calls(h), topics.all_rpc(h)):
            assert suback(await c.subscribe(refused, qos=1)) == [0x87], refused  # MQTT v5 SUBACK: Not authorized

    async with device_client(screen) as s:
        probes = [topics.rpc(h, other, topics.RpcService.TICKET), topics.rpc(h, other, topics.RpcService.DEVICE)]
        got = await delivered(hall, s, probes, topics.device_state(h, other))
        assert got == {topics.rpc(h, other, topics.RpcService.DEVICE)}


async def test_a_device_does_not_receive_another_devices_replies(hall: Hall, tmp_path: Path) -> None:
    a = await enrol(hall, tmp_path, "kiosk", "A", "a")
    b = await enrol(hall, tmp_path, "kiosk", "A", "b")
    async with device_client(a) as ca:
        await ca.subscribe(topics.device_reply(HALL, a.device_id), qos=1)
        await ca.subscribe(topics.device_reply(HALL, b.device_id), qos=1)  # refused, so nothing arrives
        async with hall.controller_client("test-replier") as ctl:
            await ctl.publish(topics.device_reply(HALL, b.device_id), b"for-b", qos=1)
            await ctl.publish(topics.device_reply(HALL, a.device_id), b"for-a", qos=1)
        async with asyncio.timeout(5):
            message = await anext(aiter(ca.messages))
        assert message.payload == b"for-a"


async def test_retire_cuts_a_live_device_at_once_and_refuses_it_after(hall: Hall, tmp_path: Path) -> None:
    config = await enrol(hall, tmp_path)
    async with device_client(config) as c:
        await c.subscribe(topics.device_cmd(HALL, config.device_id), qos=1)
        started = time.perf_counter()
        r = await hall.api.post(f"/api/v1/devices/{config.device_id}/retire")
        assert r.status_code == 200
        assert r.json()["state"] == "retired"
        with pytest.raises(aiomqtt.MqttError):
            await until_cut_off(c)
        assert time.perf_counter() - started < 2
    # The CRL: once the broker has re-read it (SIGHUP from the service), the TLS handshake itself fails.
    error = await asyncio.to_thread(refused_within, config, 5.0)
    assert error is not None
    assert "revoked" in error.lower()

    rec = await asyncio.to_thread(hall.service.registry.get, config.device_id)
    assert rec.status is DeviceStatus.RETIRED
    assert rec.cert_serial == ""


async def test_without_its_broker_client_a_device_is_refused_even_with_a_valid_certificate(
    hall: Hall, tmp_path: Path
) -> None:
    config = await enrol(hall, tmp_path)
    async with device_client(config):
        pass
    await hall.service.admin.remove_device(config.device_id)  # no CRL change: the certificate stays valid
    assert await asyncio.to_thread(tls_handshake_error, config) is None
    with pytest.raises(aiomqtt.MqttCodeError) as refused:
        async with device_client(config):
            pass
    rc = refused.value.rc
    assert getattr(rc, "value", rc) == 0x87  # CONNACK: Not authorized


async def test_replacement_takes_over_the_slot_and_cuts_the_old_device(hall: Hall, tmp_path: Path) -> None:
    old = await enrol(hall, tmp_path, "evaluator", "C", "评价器", "W3")
    r = await hall.api.post(f"/api/v1/devices/{old.device_id}/code")
    assert r.status_code == 200
    new_code = r.json()["code"]
    async with device_client(old) as c:
        await c.subscribe(topics.device_cmd(HALL, old.device_id), qos=1)
        new = (await provision(hall.url, new_code, tmp_path / "replacement", data_dir=str(tmp_path / "d"))).config
        with pytest.raises(aiomqtt.MqttError):
            await until_cut_off(c)
    assert new.device_id == old.device_id
    assert new.role is Role.EVALUATOR
    assert new.zone == "C"
    # The old password no longer opens the slot (even with the new certificate) ...
    old_password = (await asyncio.to_thread(Path(old.broker.password_file).read_text)).strip()
    with pytest.raises(aiomqtt.MqttCodeError):
        async with device_client(new, "old-password", password=old_password):
            pass
    # ... and the old certificate is on the CRL the broker re-read.
    error = await asyncio.to_thread(refused_within, old, 5.0)
    assert error is not None
    assert "revoked" in error.lower()
    assert await asyncio.to_thread(tls_handshake_error, new) is None
    async with device_client(new) as c:
        rating = topics.rpc(HALL, new.device_id, topics.RpcService.RATING)
        got = await delivered(hall, c, [rating], topics.device_state(HALL, new.device_id))
        assert got == {rating}


async def test_reused_expired_and_foreign_codes_are_refused(hall: Hall, tmp_path: Path) -> None:
    body = await add_device(hall)
    await provision(hall.url, body["code"], tmp_path / "first", check_broker=False)
    with pytest.raises(ProvisionError) as reused:
        await provision(hall.url, body["code"], tmp_path / "second", check_broker=False)
    assert "已被使用" in reused.value.message_zh
    assert "already been used" in reused.value.message_en
    assert not (tmp_path / "second" / "device.key").exists()

    real_clock = hall.service.clock
    hall.service.clock = lambda: real_clock() - 16 * 60  # a code made 16 minutes ago, valid for 15
    old = await add_device(hall)
    hall.service.clock = real_clock
    buf = io.StringIO()
    rc = await asyncio.to_thread(provision_cli, hall.url, old["code"], tmp_path / "third", out=buf)
    assert rc == 1
    assert "过期" in buf.getvalue()
    assert "expired" in buf.getvalue()

    # A code whose pin is not this hall's CA: the device stops before sending the code anywhere.
    fresh = EnrollmentCode.parse((await add_device(hall))["code"])
    foreign = EnrollmentCode(fresh.secret, "0" * 16)
    with pytest.raises(ProvisionError) as wrong_ca:
        await provision(hall.url, str(foreign), tmp_path / "fourth")
    assert "不匹配" in wrong_ca.value.message_zh

    buf = io.StringIO()
    assert await asyncio.to_thread(provision_cli, hall.url, "not-a-code", tmp_path / "fifth", out=buf) == 2
    assert "格式不正确" in buf.getvalue()


async def test_api_guards_manager_endpoints_and_limits_wrong_codes(hall: Hall) -> None:
    trust = ssl.create_default_context(cafile=str(hall.service.ca.ca_cert_path))
    async with httpx.AsyncClient(verify=trust, base_url=hall.url, timeout=10) as anon:
        assert (await anon.get("/api/v1/devices")).status_code == 401
        r = await anon.post("/api/v1/devices", json={"role": "kiosk", "zone": "A", "name": "x"},
                            headers={"Authorization": "Bearer wrong-token-but-long-enough"})
        assert r.status_code == 401
        pin = hall.service.ca.pin
        statuses = []
        for i in range(6):
            wrong = EnrollmentCode(f"{i:012d}", pin)
            r = await anon.post("/api/v1/enroll/claim", json={"code": str(wrong)})
            statuses.append(r.status_code)
        assert statuses == [403] * 5 + [429]
        assert int(r.headers["retry-after"]) > 0
        assert "次数过多" in r.json()["error"]["message_zh"]
        r = await anon.post("/api/v1/enroll", content=b"{not json")
        assert r.status_code in (400, 429)
