"""Silent calling end to end through Mosquitto: a citizen takes a ticket at a kiosk (its agent a real process,
their number sealed on the way), staff call it as the window terminal does, and the call reaches the window
display's agent, the hall screen's agent, the phone page in Chromium at 360×740 (live, no reload) and the
SMS gateway; then each step after it (recall, no-show back to the queue). A failing gateway never holds up
a call; a wrong token gets the same 404 page."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.notify.config import Limits, NotifyConfig, SmsHttpGateway
from hall_controller.notify.sms_http import SmsHttp
from hall_controller.notify.store import Status
from hall_protocol.devices import Role
from hall_protocol.hall import CallEvent, HallState
from hall_protocol.local import Subscribe
from hall_protocol.tickets import IssueTicket, TicketReply, TicketView, WindowCommand, WindowOp, WindowReply
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from onevisit.demo import DeviceSpec, Processes, agent_config_text
from tests.e2e.web.harness import LiveHall, live_hall
from tests.fixtures.notify_platform import fake_platform
from tests.fixtures.web_browser import screenshot_path
from tests.integration.controller.harness import HALL_TOML

pytestmark = pytest.mark.e2e

PHONE = "13812345678"
STAFF = Actor(ActorKind.PERSON, "staff-w1", PersonRole.STAFF, window="W1")
DEVICES = [DeviceSpec("kiosk-1", Role.KIOSK, "A"), DeviceSpec("screen-1", Role.HALL_SCREEN, "A"),
           DeviceSpec("disp-W1", Role.WINDOW_DISPLAY, "A")]


def quick_calls_hall(tmp_path: Path) -> Path:
    """The demo hall with a window display at W1, and calls that move on in seconds (recall after 2 s, one
    recall, no-show 10 s later, recycled once)."""
    text = HALL_TOML.read_text(encoding="utf-8")
    text = text.replace("recall_limit = 2", "recall_limit = 1").replace("recall_after_s = 60", "recall_after_s = 2")
    text = text.replace("grace_s = 120", "grace_s = 10")
    text += '\n[[devices]]\nid = "disp-W1"\nrole = "window-display"\nzone = "A"\nwindow = "W1"\n'
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Agents:
    sockets: dict[str, str]


@contextlib.asynccontextmanager
async def agents(broker: PrivateBroker, workdir: Path) -> AsyncIterator[Agents]:
    """A real edge agent process per device, as on the hall's devices."""
    procs = Processes(workdir)
    sockets = {}
    for d in DEVICES:
        cfg = workdir / f"agent-{d.device_id}.toml"
        cfg.write_text(agent_config_text(d, "demo", broker.port, workdir))
        procs.start(d.device_id, [sys.executable, "-m", "edge_agent", "--config", str(cfg)])
        sockets[d.device_id] = str(workdir / f"{d.device_id}.sock")
    try:
        for path in sockets.values():
            async with asyncio.timeout(20):
                while not await asyncio.to_thread(Path(path).exists):  # noqa: ASYNC110 - no event for a new file
                    await asyncio.sleep(0.05)
        yield Agents(sockets)
    finally:
        procs.stop_all()


async def window(hall: LiveHall, op: WindowOp) -> WindowReply:
    """As the window terminal page does: the staff member's request on the controller's own path."""
    answer = await hall.service.submit(STAFF, WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=op),
                                       origin="web 127.0.0.1")
    assert isinstance(answer.reply, WindowReply), answer
    return answer.reply


async def take_ticket(kiosk: AgentClient) -> TicketView:
    # the kiosk's agent seals the number with the key from the hall state it relays: wait until it has one
    async with AgentClient(kiosk.path, subscribe=Subscribe(hall_state=True)) as watcher:
        async for event in watcher.events():
            if isinstance(event, HallState) and event.contact_key:
                break
    reply = await kiosk.request(IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD", source_device="kiosk-1",
                                            masked_name="欧阳**", notify_phone=PHONE))
    assert isinstance(reply, TicketReply), reply
    return reply.ticket


async def next_call(link: AgentClient, timeout: float = 5.0) -> CallEvent:
    async with asyncio.timeout(timeout):
        async for event in link.events():
            if isinstance(event, CallEvent):
                return event
    raise AssertionError("no call")


async def test_a_call_reaches_display_screen_phone_and_gateway(browser: object, mosquitto: PrivateBroker,
                                                               tmp_path: Path) -> None:
    from playwright.async_api import Browser, Page

    assert isinstance(browser, Browser)
    async with live_hall(mosquitto, tmp_path, config_path=quick_calls_hall(tmp_path), notify=True) as hall, \
            agents(mosquitto, tmp_path) as devices, \
            AgentClient(devices.sockets["kiosk-1"]) as kiosk, \
            AgentClient(devices.sockets["screen-1"], subscribe=Subscribe(calls=True)) as screen, \
            AgentClient(devices.sockets["disp-W1"], subscribe=Subscribe(calls=True, zones=("A",))) as display:
        assert hall.sms is not None
        for link in (kiosk, screen, display):
            await link.wait_online(20)
        ticket = await take_ticket(kiosk)
        assert ticket.status_url.startswith(f"{hall.url}/t/demo/")  # the QR opens this controller's page

        context = await browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                            is_mobile=True, has_touch=True)
        phone: Page = await context.new_page()
        await phone.goto(ticket.status_url)
        assert await phone.inner_text("#number") == ticket.number
        assert await phone.inner_text(".headline") == "下一位就是您"
        await phone.wait_for_function("document.getElementById('live-note').dataset.connected === 'yes'")
        await phone.screenshot(path=screenshot_path("phone-waiting-360x740"), full_page=True)

        await window(hall, WindowOp.LOGIN)
        await window(hall, WindowOp.OPEN)
        called = await window(hall, WindowOp.CALL_NEXT)
        assert called.ticket is not None
        assert called.ticket.ticket_id == ticket.ticket_id
        shown = await next_call(display)
        assert (shown.call.number, shown.call.window_id, shown.call.masked_name) == (ticket.number, "W1", "欧阳**")
        on_screen = await next_call(screen)
        assert (on_screen.call.number, on_screen.call.masked_name) == (ticket.number, "欧阳**")
        await phone.wait_for_function("document.querySelector('.headline').textContent === '请到 1号窗口 办理'",
                                      timeout=3000)
        sent = await hall.sms.wait_for(2)  # the pre-alert at issue, then the call
        assert [(m.kind, m.to) for m in sent] == [("pre-alert", "138****5678"), ("called", "138****5678")]
        await phone.wait_for_function("document.querySelector('.notice')?.textContent.includes('叫号')")
        await phone.screenshot(path=screenshot_path("phone-called-360x740"), full_page=True)

        # nobody comes: the controller recalls after 2 s, and 10 s later puts the ticket back in the queue
        recall = await next_call(display, timeout=6)
        assert recall.call.recall_count == 1
        await phone.wait_for_function("document.querySelector('.status').dataset.stage === 'recalled'",
                                      timeout=3000)
        await phone.screenshot(path=screenshot_path("phone-recalled-360x740"), full_page=True)
        await phone.wait_for_function("document.querySelector('.status').dataset.stage === 'waiting'",
                                      timeout=15000)
        assert "您曾过号" in await phone.inner_text(".detail")
        sent = await hall.sms.wait_for(4)
        assert [m.kind for m in sent] == ["pre-alert", "called", "recalled", "recycled"]
        await phone.screenshot(path=screenshot_path("phone-recycled-360x740"), full_page=True)

        await phone.goto(f"{hall.url}/t/demo/{ticket.ticket_id}?k={'a' * 24}")
        assert "不存在或已过期" in await phone.inner_text("h1")
        await phone.screenshot(path=screenshot_path("phone-refused-360x740"))
        english = await context.new_page()
        await english.goto(ticket.status_url + "&lang=en")
        assert await english.inner_text(".headline") == "You are next"
        await english.screenshot(path=screenshot_path("phone-waiting-en-360x740"), full_page=True)
        await context.close()


async def test_a_failing_gateway_never_holds_up_a_call(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    async with fake_platform() as platform:
        platform.slow_s = 3.0
        platform.answer(*(["slow"] * 8 + ["503"] * 8 + ["429"] * 8))
        gateway = SmsHttp(SmsHttpGateway(url=platform.url + "/sms", timeout_s=0.5))
        config = NotifyConfig(limits=Limits(max_attempts=20, backoff_base_s=0.05, backoff_cap_s=0.5))
        async with live_hall(mosquitto, tmp_path, notify=True, gateways=[gateway], notify_config=config) as hall:
            notifier = hall.ctx.notifier
            assert notifier is not None
            await window(hall, WindowOp.LOGIN)
            await window(hall, WindowOp.OPEN)
            manager = Actor(ActorKind.PERSON, "manager", PersonRole.MANAGER)
            tickets = []
            for _ in range(8):
                answer = await hall.service.submit(manager, IssueTicket(
                    request_id=uuid.uuid4().hex, service="SB-CARD", notify_phone=PHONE), origin="test")
                assert isinstance(answer.reply, TicketReply)
                tickets.append(answer.reply.ticket.ticket_id)
            waits = []
            for _ in range(6):
                started = time.perf_counter()
                called = await window(hall, WindowOp.CALL_NEXT)
                waits.append(time.perf_counter() - started)
                assert called.ticket is not None
                await window(hall, WindowOp.START)
                await window(hall, WindowOp.FINISH)
            # each send to the gateway times out after 0.5 s (or fails at once): no call waited for one
            assert max(waits) < 0.45, waits

            def called_sent() -> bool:
                calls = [d for t in tickets[:6] for d in notifier.deliveries(t) if d.kind == "called"]
                return len(calls) == 6 and all(d.status is Status.SENT for d in calls)

            async with asyncio.timeout(60):
                while not called_sent():
                    await notifier.store.next_change()
            assert not platform.script  # every scripted timeout, 5xx and 429 was met, and retried past
            retried = [d for t in tickets for d in notifier.deliveries(t) if d.attempts > 1]
            assert retried
            assert all(d.status is Status.SENT for d in retried if d.kind == "called")


async def test_the_window_display_clears_its_number_when_the_ticket_is_finished(mosquitto: PrivateBroker,
                                                                                  tmp_path: Path) -> None:
    """The window display's broker account reads its zone's display state and the calls, not ticket events:
    the finish reaches it as its window's state in display/{zone}, and the big number goes."""
    from hall_protocol.hall_config import load_hall_config
    from kiosk.apps.window_display.board import WindowBoard, WindowPhase

    config = quick_calls_hall(tmp_path)
    board = WindowBoard(load_hall_config(config), "W1")
    async with live_hall(mosquitto, tmp_path, config_path=config) as hall, agents(mosquitto, tmp_path) as devices, \
            AgentClient(devices.sockets["kiosk-1"]) as kiosk, \
            AgentClient(devices.sockets["disp-W1"], subscribe=Subscribe(calls=True, zones=("A",))) as display:
        for link in (kiosk, display):
            await link.wait_online(20)

        changed = asyncio.Condition()

        async def follow() -> None:
            async for event in display.events():
                async with changed:
                    board.on_event(event, time.time())
                    changed.notify_all()

        async def shown(predicate: Callable[[], bool], what: str) -> None:
            async with changed:
                try:
                    await asyncio.wait_for(changed.wait_for(predicate), 5)
                except TimeoutError:
                    raise AssertionError(f"the window display did not show {what}") from None

        following = asyncio.create_task(follow())
        try:
            issued = await kiosk.request(IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD"))
            assert isinstance(issued, TicketReply), issued
            await window(hall, WindowOp.LOGIN)
            await window(hall, WindowOp.OPEN)
            await window(hall, WindowOp.CALL_NEXT)
            await shown(lambda: board.number == issued.ticket.number, "the call")
            await window(hall, WindowOp.START)
            await shown(lambda: board.phase is WindowPhase.SERVING, "serving")
            await window(hall, WindowOp.FINISH)
            await shown(lambda: board.number is None and board.phase is WindowPhase.IDLE, "the finish")
            await window(hall, WindowOp.PAUSE)
            await shown(lambda: board.phase is WindowPhase.PAUSED, "the pause")
        finally:
            following.cancel()
