"""Ratings, appointments and reports in Chromium against the real controller on a real broker, fed by a real
kiosk agent process (spoken to over its local socket, as the kiosk UI does):

- a citizen is served and rates badly at the kiosk; the manager follows the rating up to closed;
- the manager registers an appointment with an ID number on the page; the kiosk checks it in by ID card
  (the agent sends only the keyed hash: no topic carries the number) and another, made through the open
  API, by its QR code;
- the manager exports a report; role checks; a screenshot of every page.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_protocol.identity import id_check_digit
from hall_protocol.tickets import (
    CheckIn,
    IssueTicket,
    Priority,
    SubmitRating,
    TicketReply,
    WindowCommand,
    WindowOp,
)
from hall_runtime.mqtt_client import make_client, payload_bytes
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from tests.e2e.web.harness import CHECKIN_KEY, LiveHall, live_hall, login
from tests.fixtures.web_browser import screenshot_path
from tests.integration.edge_agent.helpers import AgentProcess, agent_config

pytestmark = pytest.mark.e2e

FIRST17 = "11010519800101123"
ID_NUMBER = FIRST17 + id_check_digit(FIRST17)
MANAGER = Actor(ActorKind.PERSON, "manager", PersonRole.MANAGER)


@contextlib.asynccontextmanager
async def kiosk(broker: PrivateBroker, workdir: Path) -> AsyncIterator[AgentClient]:
    """The demo hall's kiosk-1 as a real agent process with the hall's check-in key, and a UI-side link."""
    key_file = workdir / "checkin.key"
    key_file.write_text(CHECKIN_KEY.hex() + "\n")
    config = agent_config(broker, workdir, device_id="kiosk-1", hall="demo", zone="A", checkin_key_file=str(key_file),
                          lease_size=0)
    agent = AgentProcess(config, workdir)
    await agent.start()
    try:
        async with AgentClient(config.socket_path) as link:
            await link.wait_online(15)
            yield link
    finally:
        agent.stop()


@contextlib.asynccontextmanager
async def every_topic(broker: PrivateBroker) -> AsyncIterator[list[bytes]]:
    """Every payload published in the hall while the block runs (topic and body)."""
    seen: list[bytes] = []
    client = make_client(broker.host, broker.port, identifier=f"scan-{uuid.uuid4().hex[:6]}", clean_start=True,
                         session_expiry_s=0)
    async with client:
        await client.subscribe("ov/#", qos=1)
        await client.subscribe("$SYS/#", qos=0)

        async def take() -> None:
            async for m in client.messages:
                seen.append(str(m.topic).encode() + b" " + payload_bytes(m))

        task = asyncio.create_task(take())
        try:
            yield seen
        finally:
            await asyncio.sleep(0.3)  # what was published just before the end is still delivered
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def staff(hall: LiveHall, *ops: WindowOp) -> None:
    for op in ops:
        answer = await hall.service.submit(MANAGER, WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=op),
                                           origin="test")
        assert answer.reply.__class__.__name__ == "WindowReply", answer


async def bad_rating_at_the_kiosk(hall: LiveHall, link: AgentClient) -> str:
    issued = await link.request(IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD", masked_name="张*"))
    assert isinstance(issued, TicketReply), issued
    await staff(hall, WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT, WindowOp.START, WindowOp.FINISH)
    token = parse_qs(urlsplit(issued.ticket.status_url).query)["k"][0]
    rated = await link.request(SubmitRating(request_id=uuid.uuid4().hex, ticket_id=issued.ticket.ticket_id, level=1,
                                            comment="等了很久，窗口人员态度冷淡", token=token))
    assert rated.__class__.__name__ == "Ack", rated
    return issued.ticket.ticket_id


async def test_ratings_appointments_and_reports(browser: object, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    async with live_hall(mosquitto, tmp_path) as hall, kiosk(mosquitto, tmp_path) as link:
        ticket = await bad_rating_at_the_kiosk(hall, link)
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await login(page, hall, "manager")

        # -- a bad rating followed up to closed -------------------------------------------------------------
        await page.goto(f"{hall.url}/console/ratings")
        row = page.locator(f"tr[data-key='{ticket}:0']")
        await expect(row).to_contain_text("等了很久，窗口人员态度冷淡")
        await expect(row).to_contain_text("非常不满意")
        await expect(row).to_contain_text("待联系")
        await expect(page.locator(".rate").first).to_contain_text("100.0%")
        await page.screenshot(path=screenshot_path("console-ratings"), full_page=True)
        await row.locator("a").click()
        await page.wait_for_url(f"**/console/ratings/{ticket}:0")
        await page.screenshot(path=screenshot_path("console-followup-open"), full_page=True)
        await page.fill("form[data-action=assign] input[name=assignee]", "李主任")
        await page.click("form[data-action=assign] button")
        await page.fill("form[data-action=contact] textarea", "已电话联系评价人")
        await page.click("form[data-action=contact] button")
        await page.check("form[data-action=verify] input[value=reasonable]")
        await page.fill("form[data-action=verify] textarea", "情况属实：高峰时段只开一个窗口")
        await page.click("form[data-action=verify] button")
        await page.fill("form[data-action=rectify] textarea", "高峰时段增开综合窗口，对窗口人员进行服务规范培训")
        await page.click("form[data-action=rectify] button")
        await page.screenshot(path=screenshot_path("console-followup-rectified"), full_page=True)
        await page.fill("form[data-action=reply] textarea", "已向评价人说明整改情况，评价人表示认可")
        await page.click("form[data-action=reply] button")
        await page.fill("form[data-action=close] textarea", "整改到位，已回复")
        await page.click("form[data-action=close] button")
        await expect(page.locator(".ok-box")).to_contain_text("已办结")
        await expect(page.locator("tr.stage-done")).to_have_count(4)
        await page.screenshot(path=screenshot_path("console-followup-closed"), full_page=True)
        await page.goto(f"{hall.url}/console/ratings")
        await expect(page.locator(f"tr[data-key='{ticket}:0']")).to_contain_text("已办结")
        rates = page.locator(".rate .rate-value")
        await expect(rates.nth(1)).to_have_text("100.0%")  # 合理差评整改率
        await expect(rates.nth(2)).to_have_text("100.0%")  # 实名差评回复率

        # -- an appointment with an ID number, checked in by ID card at the kiosk ------------------------------
        slot = dt.datetime.now(ZoneInfo(hall.ctx.config.hall.timezone)) + dt.timedelta(minutes=10)
        await page.goto(f"{hall.url}/console/appointments")
        await page.select_option("#register select[name=service]", "BDC-REG")
        await page.fill("#register input[name=date]", slot.strftime("%Y-%m-%d"))
        await page.fill("#register input[name=time]", slot.strftime("%H:%M"))
        await page.fill("#register input[name=name]", "王小明")
        await page.fill("#register input[name=id_number]", ID_NUMBER)
        await page.click("#register button[type=submit]")
        await page.wait_for_url("**/console/appointments/AP*")
        code = await page.inner_text(".slip .code")
        assert code.startswith("OVAPPT:demo:AP")
        await expect(page.locator(".slip")).to_contain_text("王*")
        await page.screenshot(path=screenshot_path("console-appointment-qr"), full_page=True)
        async with every_topic(mosquitto) as seen:
            checked = await link.check_in_by_id(uuid.uuid4().hex, ID_NUMBER)
        assert isinstance(checked, TicketReply), checked
        assert checked.ticket.service == "BDC-REG"
        assert seen, "the scan saw the check-in go by"
        assert not [s for s in seen if ID_NUMBER.encode() in s or ID_NUMBER.lower().encode() in s]
        appointment = hall.service.core.state.appointments[code.split(":")[2]]
        assert appointment.ticket_id == checked.ticket.ticket_id
        assert hall.service.core.state.tickets[checked.ticket.ticket_id].priority is Priority.APPOINTMENT
        assert ID_NUMBER not in (tmp_path / "hall.db").read_bytes().decode("latin-1")

        # -- an appointment from a booking system through the open API, checked in by its QR ---------------
        _, token = await hall.api_tokens.add("booking-portal", ["appointments"])
        async with httpx.AsyncClient(base_url=hall.url, headers={"Authorization": f"Bearer {token}"}) as api:
            made = await api.post("/api/v1/appointments", json={
                "service": "GJJ-DRAW", "slot_start": (slot - dt.timedelta(minutes=5)).isoformat(timespec="seconds"),
                "name": "赵六"})
            assert made.status_code == 201, made.text
            by_api = made.json()
            assert by_api["masked_name"] == "赵*"
            qr = await link.request(CheckIn(request_id=uuid.uuid4().hex, appointment_code=by_api["code"]))
            assert isinstance(qr, TicketReply), qr
            listed = (await api.get("/api/v1/appointments")).json()["appointments"]
            assert {a["appointment_id"]: a["checked_in"] for a in listed} == {
                appointment.appointment_id: True, by_api["appointment_id"]: True}
        await page.goto(f"{hall.url}/console/appointments")
        await expect(page.locator(f"tr[data-id='{by_api['appointment_id']}']")).to_contain_text("已签到")
        await page.screenshot(path=screenshot_path("console-appointments"), full_page=True)
        await page.set_input_files("#import input[type=file]", files=[{
            "name": "bad.csv", "mimeType": "text/csv",
            "buffer": "service,date,time,name\nSB-CARD,2099-01-01,10:00,张三\nNOPE,2099-01-01,25:00,\n".encode()}])
        await page.click("#import button[type=submit]")
        await expect(page.locator(".problems")).to_contain_text("25:00")
        await page.screenshot(path=screenshot_path("console-appointments-import-refused"), full_page=True)

        # -- the report, its charts and its CSV ------------------------------------------------------------
        await page.goto(f"{hall.url}/console/reports?kind=day")
        await page.wait_for_selector("body[data-charts-ready='1']")
        await expect(page.locator(".figure").first).to_contain_text("3")  # three visits today
        await page.screenshot(path=screenshot_path("console-reports-day"), full_page=True)
        async with page.expect_download() as download_info:
            await page.click("#csv")
        download = await download_info.value
        csv_path = tmp_path / "report.csv"
        await download.save_as(csv_path)
        assert "主动评价率" in csv_path.read_text(encoding="utf-8-sig")
        await page.click("a.lang")
        await page.wait_for_selector("body[data-charts-ready='1']")
        await page.screenshot(path=screenshot_path("console-reports-day-en"), full_page=True)


async def test_who_reaches_what(browser: object, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    from playwright.async_api import Browser

    assert isinstance(browser, Browser)
    pages = ("/console/ratings", "/console/appointments", "/console/reports")
    async with live_hall(mosquitto, tmp_path) as hall:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        for path in pages:  # logged out: the log-in page, nothing else
            await page.goto(f"{hall.url}{path}")
            assert "/login" in page.url
        async with httpx.AsyncClient(base_url=hall.url) as api:
            assert (await api.get("/api/v1/appointments")).status_code == 401
            assert (await api.get("/console/ratings.json")).status_code == 401
        for user in ("tech", "staff-w1"):
            await login(page, hall, user)
            for path in pages:
                response = await page.goto(f"{hall.url}{path}")
                assert response is not None
                assert response.status == 403, (user, path)
            nav = await page.locator("header nav").inner_text()
            assert "好差评" not in nav
            if user == "tech":
                await page.goto(f"{hall.url}/console/ratings")
                await page.screenshot(path=screenshot_path("console-ratings-technician-refused"))
            await context.clear_cookies()
