"""The devices pages in process: static and enrolled devices, telemetry and health, commands and their answers,
slots with their one-time code, retirement; and what a hall without enrolment says."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from hall_controller.enrollment.attempts import AttemptLimiter
from hall_controller.enrollment.registry import DeviceRegistry
from hall_controller.enrollment.service import EnrollmentService, EnrollmentSettings, init_state
from hall_controller.publications import Publication
from hall_controller.web.context import WebContext
from hall_controller.web.devices_data import DeviceDetail, DevicesPage
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.devices import Command, CommandResult, DeviceState, Role, SelfTestReport, Telemetry
from hall_protocol.health import HealthState, PeripheralHealth
from tests.unit.enrollment.conftest import FakeBroker
from tests.unit.web.console_helpers import logged_in, writing


def _hx(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf, "HX-Request": "true"}


def _hear(ctx: WebContext, device_id: str, leaf: topics.DeviceLeaf, message: msgspec.Struct,
          correlation: bytes | None = None) -> None:
    ctx.service.devices.on_message(device_id, leaf, encode(message), correlation)


async def test_a_hall_without_enrolment_lists_its_configured_devices(web: httpx.AsyncClient, ctx: WebContext) -> None:
    csrf = await logged_in(web, "tech")
    page = (await web.get("/console/devices")).text
    assert "本大厅未启用设备注册" in page
    assert 'hx-post="/console/devices/slots"' not in page
    data = msgspec.json.decode((await web.get("/console/devices.json")).content, type=DevicesPage)
    assert [r.device_id for r in data.rows] == ["kiosk-1", "screen-1", "win-W1", "win-W2", "win-W3"]
    assert {r.source for r in data.rows} == {"config"}
    assert {r.status for r in data.rows} == {"unknown"}
    assert not data.enrollment_on
    r = await web.post("/console/devices/slots", data={"role": "kiosk", "zone": "A", "name": "x"}, headers=_hx(csrf))
    assert r.status_code == 503
    assert "未启用设备注册" in r.json()["error"]["message_zh"]
    assert (await web.get("/console/devices/nobody-9")).status_code == 404


async def test_presence_telemetry_health_and_self_test_are_shown(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await logged_in(web, "tech")
    now = time.time()
    _hear(ctx, "kiosk-1", topics.DeviceLeaf.STATE, DeviceState(device_id="kiosk-1", role=Role.KIOSK, online=True,
                                                                 software_version="1.2.3"))
    for i, paper in enumerate((HealthState.OK, HealthState.DEGRADED)):
        peripherals = {"printer": PeripheralHealth(state=paper, reasons=("media-low",) if i else ()),
                       "id-reader": PeripheralHealth.ok()}
        _hear(ctx, "kiosk-1", topics.DeviceLeaf.TELEMETRY,
              Telemetry(device_id="kiosk-1", ts=now + i, cpu_pct=10.0 + i, mem_pct=40.0, temp_c=51.5,
                        peripherals=peripherals))
    _hear(ctx, "kiosk-1", topics.DeviceLeaf.EVENTS, SelfTestReport(
        request_id="st", device_id="kiosk-1", ok=False,
        results={"printer": PeripheralHealth(state=HealthState.FAULT, reasons=("cover-open",))}))
    # a stranger, and a device speaking for another, change nothing
    _hear(ctx, "intruder-1", topics.DeviceLeaf.TELEMETRY, Telemetry(device_id="intruder-1", ts=now))
    _hear(ctx, "screen-1", topics.DeviceLeaf.TELEMETRY, Telemetry(device_id="kiosk-1", ts=now + 9, cpu_pct=99))
    data = msgspec.json.decode((await web.get("/console/devices.json")).content, type=DevicesPage)
    kiosk = data.rows[0]
    assert (kiosk.status, kiosk.online, kiosk.health, kiosk.problems) == ("online", True, "degraded",
                                                                          ("printer: media-low",))
    assert (kiosk.cpu_pct, kiosk.temp_c, kiosk.selftest_ok) == (11.0, 51.5, False)
    assert kiosk.last_seen_text
    assert "intruder-1" not in {r.device_id for r in data.rows}
    detail = msgspec.json.decode((await web.get("/console/devices/kiosk-1.json")).content, type=DeviceDetail)
    assert detail.chart.cpu_pct == (10.0, 11.0)
    assert len(detail.chart.t) == 2
    assert detail.software_version == "1.2.3"
    assert [(p.name, p.state, p.reasons) for p in detail.selftest] == [("printer", "fault", ("cover-open",))]
    page = (await web.get("/console/devices/kiosk-1")).text
    assert 'id="chart-data"' in page
    assert "/static/vendor/echarts.min.js" in page
    assert "media-low" in page
    _hear(ctx, "kiosk-1", topics.DeviceLeaf.STATE, DeviceState(device_id="kiosk-1", role=Role.KIOSK, online=False))
    data = msgspec.json.decode((await web.get("/console/devices.json")).content, type=DevicesPage)
    assert (data.rows[0].status, data.rows[0].online) == ("offline", False)


async def test_a_command_goes_out_and_its_answer_is_shown(web: httpx.AsyncClient, ctx: WebContext) -> None:
    watch = ctx.service.devices
    sent: list[Publication] = []

    async def device_answers(p: Publication) -> None:  # the device's agent, answering on its own events topic
        sent.append(p)
        command = decode(p.payload, Command)
        assert p.response_topic == topics.device_events("demo", "kiosk-1")
        result = CommandResult(command_id=command.command_id, ok=True, detail="all peripherals ok",
                               data={"printer": "ok"})
        _hear(ctx, "screen-1", topics.DeviceLeaf.EVENTS, result, p.correlation)  # another device: ignored
        _hear(ctx, "kiosk-1", topics.DeviceLeaf.EVENTS, result, p.correlation)

    async with writing(ctx.service):
        csrf = await logged_in(web, "tech")
        offline = await web.post("/console/devices/kiosk-1/command", data={"name": "self-test"}, headers=_hx(csrf))
        assert offline.status_code == 503  # the controller is not connected to a broker here
        watch.publish = device_answers
        r = await web.post("/console/devices/kiosk-1/command", data={"name": "self-test"}, headers=_hx(csrf))
        assert r.status_code == 200, r.text
        assert r.json()["done"]["detail"] == "all peripherals ok"
        assert sent[0].topic == topics.device_cmd("demo", "kiosk-1")
        assert sent[0].expiry_s == 30
        bad = await web.post("/console/devices/kiosk-1/command", data={"name": "reboot-everything"}, headers=_hx(csrf))
        assert bad.status_code == 403
        detail = msgspec.json.decode((await web.get("/console/devices/kiosk-1.json")).content, type=DeviceDetail)
    assert [(c.name, c.ok, c.by) for c in detail.commands] == [("self-test", True, "technician:tech"),
                                                               ("self-test", False, "technician:tech")]
    assert detail.commands[0].data == (("printer", "ok"),)
    assert [(p.name, p.state) for p in detail.selftest] == [("printer", "ok")]  # the self-test's own answer
    assert detail.device.selftest_ok is True
    assert detail.commands[1].code == "unavailable"
    audit = [(x.entry.actor, x.entry.action, x.entry.target, x.entry.detail)
             for x in await ctx.service.store.audit_lines()]
    assert audit == [("technician:tech", "device.command", "kiosk-1", "name=self-test")] * 2


@pytest.fixture
def enrolment(tmp_path: Path, ctx: WebContext) -> EnrollmentService:
    state = tmp_path / "state"
    settings = EnrollmentSettings(hall="demo", db_path=tmp_path / "hall.db", state_dir=state,
                                  controller_url="https://hall.local:8443")
    ca = init_state(settings)
    service = EnrollmentService(settings, DeviceRegistry(settings.db_path), ca, FakeBroker(),
                                limiter=AttemptLimiter())
    ctx.enrollment = service
    return service


async def test_a_slot_shows_its_code_once_then_a_new_code_and_retirement(
        web: httpx.AsyncClient, ctx: WebContext, enrolment: EnrollmentService) -> None:
    async with writing(ctx.service):
        csrf = await logged_in(web, "tech")
        page = (await web.get("/console/devices")).text
        assert 'hx-post="/console/devices/slots"' in page
        assert "未启用设备注册" not in page
        wrong = await web.post("/console/devices/slots", data={"role": "evaluator", "zone": "A", "name": "评价器"},
                               headers=_hx(csrf))
        assert wrong.status_code == 400  # an evaluator stands at a window
        r = await web.post("/console/devices/slots", data={"role": "kiosk", "zone": "A", "name": "A区自助机"},
                           headers=_hx(csrf))
        assert r.status_code == 200, r.text
        code = re.search(r'class="one-time-code mono">([^<]+)<', r.text)
        assert code is not None
        assert "kiosk-A-01" in r.text
        assert 'src="data:image/png;base64,' in r.text
        data = msgspec.json.decode((await web.get("/console/devices.json")).content, type=DevicesPage)
        slot = data.rows[0]
        assert (slot.device_id, slot.source, slot.status, slot.commandable) == ("kiosk-A-01", "registry", "pending",
                                                                                False)
        assert code.group(1) not in (await web.get("/console/devices")).text  # shown once
        again = await web.post("/console/devices/kiosk-A-01/code", headers=_hx(csrf))
        assert again.status_code == 200
        assert code.group(1) not in again.text
        retired = await web.post("/console/devices/kiosk-A-01/retire", headers=_hx(csrf))
        assert retired.status_code == 200, retired.text
        data = msgspec.json.decode((await web.get("/console/devices.json")).content, type=DevicesPage)
        assert (data.rows[0].status, data.rows[0].manageable) == ("retired", False)
    actions = [(x.entry.action, x.entry.target) for x in await ctx.service.store.audit_lines()]
    assert actions == [("device.slot", ""), ("device.new-code", "kiosk-A-01"), ("device.retire", "kiosk-A-01")]
