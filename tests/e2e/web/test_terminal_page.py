"""The window terminal in Chromium against the real controller and broker, as window staff use it all day.

Each test drives the page like a person (clicks, or keys only), then checks the hall itself: the engine's
state, the calls the hall screen's feed received, and the audit log (one line per action).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.audit import AuditLine
from hall_protocol import topics
from hall_protocol.codec import decode
from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import CallEvent
from hall_protocol.tickets import (
    ErrorReply,
    IssueTicket,
    Priority,
    TicketReply,
    TicketState,
    WindowCommand,
    WindowOp,
    WindowReply,
)
from hall_protocol.topics import RpcService
from hall_runtime.mqtt_client import make_client, payload_bytes
from onevisit.broker import PrivateBroker
from tests.e2e.web.harness import LiveHall, live_hall, login
from tests.fixtures.web_browser import screenshot_path
from tests.integration.controller.harness import device

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 800, "height": 1280}  # a 10" tablet held upright
KIOSK = Actor(ActorKind.DEVICE, "kiosk-1", Role.KIOSK, "A")
LIVE_S = 1.0  # what staff may wait for a change made elsewhere to show


async def issue(hall: LiveHall, service: str = "SB-CARD", **fields: Any) -> str:
    """A ticket taken at the kiosk (through the same path as the kiosk's request); its number."""
    answer = await hall.service.submit(KIOSK, IssueTicket(request_id=uuid.uuid4().hex, service=service, **fields),
                                       origin="kiosk-1")
    assert isinstance(answer.reply, TicketReply), answer
    return answer.reply.ticket.number


@contextlib.asynccontextmanager
async def call_feed(hall: LiveHall, broker: PrivateBroker) -> AsyncIterator[list[CallEvent]]:
    """Every call the hall screens receive, as they receive it (``events/calls`` on the broker)."""
    calls: list[CallEvent] = []
    async with make_client(broker.host, broker.port, identifier=f"screen-feed-{uuid.uuid4().hex[:8]}",
                           clean_start=True, session_expiry_s=0) as client:
        await client.subscribe(topics.events_calls(hall.service.hall), qos=1)

        async def read() -> None:
            async for message in client.messages:
                calls.append(decode(payload_bytes(message), CallEvent))

        reader = asyncio.create_task(read())
        try:
            yield calls
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def eventually(predicate: Any, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def audit_of(hall: LiveHall, actor: str) -> list[AuditLine]:
    return [line for line in await hall.service.store.audit_lines() if line.entry.actor == actor]


async def new_page(browser: Any, viewport: dict[str, int] = DESKTOP) -> Any:
    return await (await browser.new_context(viewport=viewport)).new_page()


async def pick(page: Any, hall: LiveHall, window: str) -> None:
    await page.goto(f"{hall.url}/terminal")
    await page.click(f"button[data-window={window}]")
    await page.wait_for_selector("#terminal .panel")


_SETTLED = """op => { window.__settled = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error("no answer to " + op + " on the page")), 5000);
    const done = ev => {
        if (ev.detail.xhr && ev.detail.xhr.responseURL.includes("/terminal/op/" + op)) {
            document.removeEventListener("htmx:afterSettle", done);
            resolve();
        }
    };
    document.addEventListener("htmx:afterSettle", done);
}); }"""


async def settled(page: Any, op: str, act: Any) -> None:
    """Do ``act`` (a click or a key) and wait until the answer to operation ``op`` is on the page."""
    await page.evaluate(_SETTLED, op)
    await act()
    await page.evaluate("window.__settled")


async def press(page: Any, op: str) -> None:
    """Click an operation's button and wait for the controller's answer to be on the page."""
    await settled(page, op, lambda: page.click(f"button[data-op='{op}']"))


async def current_number(page: Any) -> str:
    return str(await page.inner_text("#current-number"))


async def test_a_morning_at_window_1(browser: Any, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    async with live_hall(mosquitto, tmp_path) as hall, call_feed(hall, mosquitto) as feed:
        state = lambda: hall.service.core.state  # noqa: E731 - read the live engine state each time
        page = await new_page(browser)
        await login(page, hall, "staff-w1")
        assert page.url.endswith("/terminal")
        await page.screenshot(path=screenshot_path("terminal-01-pick-window"))
        await pick(page, hall, "W1")
        assert await page.inner_text("#window-state") == "等待呼叫"
        await page.screenshot(path=screenshot_path("terminal-02-open-empty"))
        assert (state().windows["W1"].staff_id, state().windows["W1"].open) == ("staff-w1", True)

        # a ticket issued for this window's services shows up without a reload
        first = await issue(hall)
        await page.wait_for_selector(f"table.next td.num:has-text('{first}')", timeout=LIVE_S * 1000)
        visit = await issue(hall, "SB-CARD", steps=("SB-CARD", "SB-UNEMP", "GJJ-DRAW"))
        await issue(hall, "SB-RETIRE")
        await page.wait_for_selector("table.next tbody tr:nth-child(3)", timeout=LIVE_S * 1000)
        await page.screenshot(path=screenshot_path("terminal-03-queue"))

        await press(page, "call-next")
        assert await current_number(page) == first
        await eventually(lambda: [c.call.number for c in feed] == [first])  # the hall screen's feed has it
        await page.screenshot(path=screenshot_path("terminal-04-called"))
        await press(page, "recall")
        await eventually(lambda: len(feed) == 2 and feed[1].call.recall_count == 1)
        await press(page, "start")
        assert await page.inner_text("#window-state") == "办理中"
        await page.check("fieldset.materials label:nth-of-type(1) input")
        await page.screenshot(path=screenshot_path("terminal-05-serving-materials"))
        await press(page, "finish")
        assert "已办结" in await page.inner_text("#notice")
        assert await page.inner_text("#count-served") == "1"

        # the 一件事 visit: two of its three steps are this window's, done in one sitting
        await press(page, "call-next")
        assert await current_number(page) == visit
        assert "第1步，共3步" in await page.inner_text(".current")
        await press(page, "start")
        await page.check("fieldset.more-steps input[value='SB-UNEMP']")
        await page.screenshot(path=screenshot_path("terminal-06-visit-steps"))
        await press(page, "finish")
        t = next(t for t in state().tickets.values() if t.number == visit)
        assert (t.state, t.service, t.step_index) == (TicketState.WAITING, "GJJ-DRAW", 2)

        # a green-channel ticket goes ahead of the one waiting: park while the citizen fetches a document
        green = await issue(hall, "SB-RETIRE", priority=Priority.GREEN)
        await page.wait_for_selector(f"table.next td.num:has-text('{green}') .prio-green")
        await press(page, "call-next")
        assert await current_number(page) == green
        await press(page, "start")
        await page.click("button[data-op='park']")
        await page.select_option("#dlg-park select[name=reason]", "fetching")
        await page.screenshot(path=screenshot_path("terminal-07-park-dialog"))
        await settled(page, "park", lambda: page.click("#dlg-park button[type=submit]"))
        await page.wait_for_selector(f".parked li:has-text('{green}')")
        await page.screenshot(path=screenshot_path("terminal-08-parked"))
        await press(page, "unpark")
        assert await current_number(page) == green

        # transfer it to window 2's service, with a note
        await page.click("button[data-op='transfer']")
        await page.select_option("#dlg-transfer select[name=target_service]", "GJJ-DRAW")
        await page.select_option("#dlg-transfer select[name=target_window]", "W2")
        await page.fill("#dlg-transfer input[name=reason]", "需公积金窗口办理")
        await page.screenshot(path=screenshot_path("terminal-09-transfer-dialog"))
        await settled(page, "transfer", lambda: page.click("#dlg-transfer button[type=submit]"))
        moved = next(t for t in state().tickets.values() if t.number == green)
        assert (moved.service, state().reserved.get(moved.ticket_id)) == ("GJJ-DRAW", "W2")

        # no-show after the recalls
        await press(page, "call-next")
        last = await current_number(page)
        await press(page, "recall")
        await press(page, "recall")
        assert await page.is_disabled("button[data-op='recall']")  # the limit is reached
        await press(page, "no-show")
        assert "已标记过号" in await page.inner_text("#notice")

        # a pause with a reason, then back to work
        await page.click("button[data-op='pause']")
        await page.select_option("#dlg-pause select[name=reason]", "back_office")
        await settled(page, "pause", lambda: page.click("#dlg-pause button[type=submit]"))
        assert await page.inner_text("#window-state") == "暂停服务"
        assert "后台办理" in await page.inner_text(".window-head")
        assert await page.is_disabled("button[data-op='call-next']")
        await page.screenshot(path=screenshot_path("terminal-10-paused"))
        await press(page, "resume")
        assert state().windows["W1"].paused is False

        calls = [(c.call.number, c.call.recall_count) for c in feed]  # every call and recall reached the screens
        assert calls == [(first, 0), (first, 1), (visit, 0), (green, 0), (last, 0), (last, 1), (last, 2)]
        lines = await audit_of(hall, "staff:staff-w1")
        assert [x.entry.action for x in lines] == [
            "window.login", "window.open", "window.call-next", "window.recall", "window.start", "window.finish",
            "window.call-next", "window.start", "window.finish", "window.call-next", "window.start", "window.park",
            "window.unpark", "window.transfer", "window.call-next", "window.recall", "window.recall",
            "window.no-show", "window.pause", "window.resume",
        ]
        assert all(x.entry.target == "W1" and x.entry.origin.startswith("web ") for x in lines)
        assert "to=GJJ-DRAW to-window=W2 " in lines[13].entry.detail
        assert lines[13].entry.detail.endswith("reason=需公积金窗口办理")
        assert "also-done=SB-UNEMP" in lines[8].entry.detail

        await press_logout(page)
        assert page.url.endswith("/login")
        assert state().windows["W1"].staff_id is None
        assert (await audit_of(hall, "staff:staff-w1"))[-1].entry.action == "window.logout"


async def press_logout(page: Any) -> None:
    async with page.expect_navigation():
        await page.click("button[data-op='logout']")


async def test_keyboard_only(browser: Any, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    """Log in, choose the window, and do every operation without touching the mouse."""
    async with live_hall(mosquitto, tmp_path) as hall:
        state = lambda: hall.service.core.state  # noqa: E731
        page = await new_page(browser)
        await page.goto(f"{hall.url}/terminal")
        await page.keyboard.type("staff-w1")
        await page.keyboard.press("Tab")
        await page.keyboard.type("demo-pass-1")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        for _ in range(10):  # Tab through the top bar to the first window's button
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.dataset.window") == "W1":
                break
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await page.wait_for_selector("#terminal .panel")
        first, second = await issue(hall), await issue(hall)
        await page.wait_for_selector(f"table.next td.num:has-text('{second}')")

        async def key(k: str, op: str) -> None:
            await settled(page, op, lambda: page.keyboard.press(k))

        await key("F1", "call-next")
        assert await current_number(page) == first
        await key("F2", "recall")
        await key("F3", "start")
        await page.keyboard.press("F8")  # park: a dialog, Enter confirms
        await page.wait_for_selector("#dlg-park[open]")
        await page.keyboard.press("F1")  # the buttons behind an open dialog do nothing
        await key("Enter", "park")
        assert not await page.evaluate("document.querySelector('#dlg-park').open")
        await key("F9", "unpark")
        await key("F4", "finish")
        await key("F1", "call-next")
        assert await current_number(page) == second
        await page.keyboard.press("F7")  # transfer: a dialog
        await page.wait_for_selector("#dlg-transfer[open]")
        await page.keyboard.press("Escape")  # changed my mind
        await page.wait_for_selector("#dlg-transfer:not([open])", state="hidden")
        await key("F2", "recall")
        await key("F2", "recall")
        assert state().tickets[state().windows["W1"].current or ""].recall_count == 2
        await key("F6", "no-show")
        await page.keyboard.press("F10")  # pause: a dialog with the reason
        await page.wait_for_selector("#dlg-pause[open]")
        await key("Enter", "pause")
        assert state().windows["W1"].paused
        await key("F10", "resume")
        assert not state().windows["W1"].paused
        async with page.expect_navigation():
            await page.keyboard.press("F12")
        assert page.url.endswith("/login")
        ops = [x.entry.action for x in await audit_of(hall, "staff:staff-w1")]
        assert ops == ["window.login", "window.open", "window.call-next", "window.recall", "window.start",
                       "window.park", "window.unpark", "window.finish", "window.call-next", "window.recall",
                       "window.recall", "window.no-show", "window.pause", "window.resume", "window.logout"]


async def test_changes_made_elsewhere_show_within_a_second(browser: Any, mosquitto: PrivateBroker,
                                                           tmp_path: Path) -> None:
    """Window 2 transfers a ticket to window 1, and a manager steps in at window 1: window 1's page follows."""
    async with live_hall(mosquitto, tmp_path) as hall:
        w1 = await new_page(browser)
        await login(w1, hall, "staff-w1")
        await pick(w1, hall, "W1")
        w2 = await new_page(browser)
        await login(w2, hall, "staff-w2")
        await pick(w2, hall, "W2")
        number = await issue(hall, "GJJ-DRAW")
        await w2.wait_for_selector(f"table.next td.num:has-text('{number}')", timeout=LIVE_S * 1000)
        await press(w2, "call-next")
        await w2.click("button[data-op='transfer']")
        await w2.select_option("#dlg-transfer select[name=target_service]", "SB-CARD")
        await w2.select_option("#dlg-transfer select[name=target_window]", "W1")
        await w2.fill("#dlg-transfer input[name=reason]", "请到1号窗口补办社保卡")
        await settled(w2, "transfer", lambda: w2.click("#dlg-transfer button[type=submit]"))
        await w1.wait_for_selector(f"table.next tr.sent-here td.num:has-text('{number}')", timeout=LIVE_S * 1000)
        await w1.screenshot(path=screenshot_path("terminal-11-transfer-in"))

        manager = await new_page(browser)
        await login(manager, hall, "manager")
        await manager.goto(f"{hall.url}/terminal")
        assert "已由 张敏 登录" in await manager.inner_text(".pick-window:has(button[data-window=W1])")
        await pick(manager, hall, "W1")  # a manager steps in without taking the window over
        await press(manager, "call-next")
        await w1.wait_for_selector(f"#current-number:has-text('{number}')", timeout=LIVE_S * 1000)
        await w1.screenshot(path=screenshot_path("terminal-12-called-by-manager"))
        assert hall.service.core.state.windows["W1"].staff_id == "staff-w1"
        line = (await audit_of(hall, "manager:manager"))[-1].entry
        assert (line.action, line.target) == ("window.call-next", "W1")


async def test_refusals_are_clear_and_change_nothing(browser: Any, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    async with live_hall(mosquitto, tmp_path) as hall:
        state = lambda: hall.service.core.state  # noqa: E731
        w1 = await new_page(browser)
        await login(w1, hall, "staff-w1", "not-my-password")
        assert "用户名或密码错误" in await w1.inner_text("[role=alert]")
        await login(w1, hall, "staff-w1")
        await pick(w1, hall, "W1")

        # nobody waiting: the engine's own sentence, at the top of the page
        await w1.click("button[data-op='call-next']")
        await w1.wait_for_selector("#flash:not([hidden])")
        assert await w1.inner_text("#flash") == "当前没有等候的号"
        await w1.screenshot(path=screenshot_path("terminal-13-refused-nobody-waiting"))

        # another member of staff cannot take (or act at) window 1
        other = await new_page(browser)
        await login(other, hall, "staff-w2")
        await other.goto(f"{hall.url}/terminal")
        await other.click("button[data-window=W1]")
        await other.wait_for_selector("#flash:not([hidden])")
        assert "该窗口已有工作人员登录" in await other.inner_text("#flash")
        await other.screenshot(path=screenshot_path("terminal-14-refused-other-window"))
        assert state().windows["W1"].staff_id == "staff-w1"
        assert (await hall.accounts.session(await _cookie(other))).window is None  # type: ignore[union-attr]

        # logged out in another tab: the next key press says so, and nothing is called
        await issue(hall)
        tab = await w1.context.new_page()
        await tab.goto(f"{hall.url}/login")
        await tab.click("text=退出登录")
        await w1.keyboard.press("F1")
        await w1.wait_for_function("document.querySelector('#flash').textContent.includes('请先登录')")
        assert state().windows["W1"].current is None
        await w1.screenshot(path=screenshot_path("terminal-15-refused-logged-out"))

        # the engine refused both window operations (nothing changed, so nothing to audit); the page never
        # reached the controller once logged out
        assert [x.entry.action for x in await audit_of(hall, "staff:staff-w2")] == []
        assert [x.entry.action for x in await audit_of(hall, "staff:staff-w1")] == ["window.login", "window.open"]


async def _cookie(page: Any) -> str:
    return next(c["value"] for c in await page.context.cookies() if c["name"] == "ov_session")


async def test_devices_cannot_do_what_only_staff_may(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    """Over MQTT, as the broker identifies them: a kiosk sending a window command or asking for a VIP ticket,
    and window 2's terminal acting for window 1, are refused, audited and change nothing."""
    async with live_hall(mosquitto, tmp_path) as hall:
        state = lambda: hall.service.core.state  # noqa: E731
        before = len(state().tickets)
        async with device(mosquitto, "kiosk-1") as kiosk, device(mosquitto, "win-W2", Role.WINDOW_TERMINAL) as w2:
            waiting = await issue(hall)
            call = WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=WindowOp.LOGIN, staff_id="kiosk")
            reply = await kiosk.request(RpcService.WINDOW, call, 5)
            assert isinstance(reply, ErrorReply)
            assert reply.code is ErrorCode.FORBIDDEN
            vip = IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD", priority=Priority.VIP)
            reply = await kiosk.request(RpcService.TICKET, vip, 5)
            assert isinstance(reply, ErrorReply)
            assert reply.code is ErrorCode.FORBIDDEN
            elsewhere = WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=WindowOp.LOGIN, staff_id="x")
            reply = await w2.request(RpcService.WINDOW, elsewhere, 5)
            assert isinstance(reply, ErrorReply)
            assert reply.code is ErrorCode.FORBIDDEN
            own = WindowCommand(request_id=uuid.uuid4().hex, window_id="W2", op=WindowOp.LOGIN, staff_id="wang")
            assert isinstance(await w2.request(RpcService.WINDOW, own, 5), WindowReply)
        assert state().windows["W1"].staff_id is None
        assert len(state().tickets) == before + 1
        assert next(t for t in state().tickets.values() if t.number == waiting).priority is Priority.NORMAL
        lines = [x.entry for x in await hall.service.store.audit_lines()]
        assert [(e.actor, e.action, e.outcome) for e in lines] == [
            ("device:kiosk-1", "ticket.issue", "ok"),
            ("device:kiosk-1", "window.login", "forbidden"),
            ("device:kiosk-1", "ticket.issue", "forbidden"),
            ("device:win-W2", "window.login", "forbidden"),
            ("device:win-W2", "window.login", "ok"),
        ]


async def test_tablet_and_english(browser: Any, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    """A 10" tablet held upright: one column, buttons big enough for fingers; and the page in English."""
    async with live_hall(mosquitto, tmp_path) as hall:
        page = await new_page(browser, TABLET)
        await login(page, hall, "staff-w1")
        await pick(page, hall, "W1")
        await issue(hall, steps=("SB-CARD", "SB-UNEMP"))
        await page.wait_for_selector("table.next tbody tr:nth-child(1)")
        await press(page, "call-next")
        await press(page, "start")
        await issue(hall, "SB-RETIRE", priority=Priority.GREEN)
        await issue(hall, "YB-ENROL")
        await page.wait_for_selector("table.next tbody tr:nth-child(2)")
        box = await page.locator("button[data-op='finish']").bounding_box()
        assert box is not None
        assert box["height"] >= 44
        assert box["width"] >= 100
        await page.screenshot(path=screenshot_path("terminal-16-tablet-portrait"), full_page=True)
        await page.goto(f"{hall.url}/lang/en?next=/terminal")
        assert await page.inner_text("button[data-op='finish'] span") == "Finish"
        await page.set_viewport_size(DESKTOP)
        await page.screenshot(path=screenshot_path("terminal-17-english"))
        data = await (await page.request.get(f"{hall.url}/terminal.json")).json()
        assert data["current"]["service_name"] == "Social security card application"
        assert "masked_name" not in data["next"][0]  # waiting tickets carry no names


async def test_logged_out_of_the_window_elsewhere_the_page_goes_back_to_the_windows(
        browser: Any, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    async with live_hall(mosquitto, tmp_path) as hall:
        page = await new_page(browser)
        await login(page, hall, "staff-w1")
        await pick(page, hall, "W1")
        manager = Actor(ActorKind.PERSON, "manager", PersonRole.MANAGER)
        answer = await hall.service.submit(manager, WindowCommand(request_id=uuid.uuid4().hex, window_id="W1",
                                                                  op=WindowOp.LOGOUT), origin="console")
        assert isinstance(answer.reply, WindowReply)
        await page.wait_for_selector("button[data-window=W1]", timeout=LIVE_S * 3000)
        assert await page.inner_text("h1") == "选择您的窗口"


async def test_a_double_press_calls_once(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    """The same rendered button sent twice (a double click, a re-sent form) is one operation."""
    async with live_hall(mosquitto, tmp_path) as hall, httpx.AsyncClient(base_url=hall.url) as web:
        await web.post("/login", data={"username": "staff-w1", "password": "demo-pass-1"})
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', (await web.get("/terminal")).text)
        assert csrf is not None
        await web.post("/terminal/window", data={"window_id": "W1", "csrf": csrf.group(1)})
        first, _second = await issue(hall), await issue(hall)
        form = {"csrf": csrf.group(1), "nonce": "0123456789abcdef"}
        answers = [await web.post("/terminal/op/call-next", data=form, headers={"HX-Request": "true"})
                   for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        assert all(f"已呼叫 {first}" in a.text for a in answers)
        assert [x.entry.action for x in await audit_of(hall, "staff:staff-w1")].count("window.call-next") == 1
