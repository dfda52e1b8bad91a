"""The routing page in Debian's Chromium against the real controller on a real Mosquitto: a queue passes its
threshold and the advice to open the overflow window appears live; the manager follows it (audited with the
advice's reason); calls appear with the reason each ticket was called, on the page and in the audit log; and
the staffing plan draws its chart from the stored history. Screenshots go to tests/output/screens."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import msgspec
import pytest

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.engine import events as ev
from hall_controller.engine.clock import day_bounds, local_date
from hall_controller.service import ControllerService
from hall_protocol.tickets import ErrorReply, IssueTicket, WindowCommand, WindowOp
from onevisit.broker import PrivateBroker
from tests.e2e.web.harness import LiveHall, live_hall, login
from tests.fixtures.web_browser import screenshot_path
from tests.integration.controller.harness import HALL_TOML

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 800}
TZ = "Asia/Shanghai"  # the demo hall's


def _routed_toml(workdir: Path) -> Path:
    """The demo hall (W3 is its overflow window) with SB-CARD's queue alert at 3 waiting."""
    text = HALL_TOML.read_text(encoding="utf-8")
    assert 'overflow_windows = ["W3"]' in text
    text = text.replace('code = "SB-CARD"\n', 'code = "SB-CARD"\nqueue_alert_threshold = 3\n', 1)
    path = workdir / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _page(browser: object, hall: LiveHall, user: str) -> object:
    from playwright.async_api import Browser

    assert isinstance(browser, Browser)
    page = await (await browser.new_context(viewport=VIEWPORT)).new_page()  # type: ignore[arg-type]
    await login(page, hall, user)
    return page


async def _issue(service: ControllerService, code: str, n: int = 1) -> None:
    kiosk = service.directory.lookup("kiosk-1")
    assert kiosk is not None
    for _ in range(n):
        answer = await service.submit(kiosk, IssueTicket(request_id=uuid.uuid4().hex, service=code), "kiosk-1")
        assert not isinstance(answer.reply, ErrorReply), answer


async def _window(service: ControllerService, staff: Actor, op: WindowOp) -> None:
    answer = await service.submit(staff, WindowCommand(request_id=uuid.uuid4().hex, window_id=staff.window or "",
                                                       op=op), "test")
    assert not isinstance(answer.reply, ErrorReply), answer


def _staff(username: str, window: str) -> Actor:
    return Actor(ActorKind.PERSON, username, PersonRole.STAFF, window=window)


async def test_advice_followed_and_calls_with_their_reasons(browser: object, mosquitto: PrivateBroker,
                                                            tmp_path: Path) -> None:
    from playwright.async_api import Page

    async with live_hall(mosquitto, tmp_path, config_path=_routed_toml(tmp_path)) as hall:
        service = hall.service
        page = await _page(browser, hall, "manager")
        assert isinstance(page, Page)
        await page.click("header nav >> text=分流与排班")
        await page.wait_for_url("**/console/routing")
        assert "目前无需开窗或关窗" in await page.inner_text("section.advice")
        assert "历史数据不足" in await page.inner_text("#staffing")
        await page.screenshot(path=screenshot_path("console-routing-quiet"), full_page=True)

        w1 = _staff("staff-w1", "W1")
        await _window(service, w1, WindowOp.LOGIN)
        await _window(service, w1, WindowOp.OPEN)
        await _issue(service, "SB-RETIRE")  # B001: a long service
        await _issue(service, "SB-CARD", 6)  # A001-A006: past SB-CARD's threshold of 3
        advice = page.locator('li.advice-item[data-advice="open-window:W3"]')
        # live, without a reload; it may first show with 4 or 5 waiting, while the tickets are still coming
        await advice.filter(has_text="排队6人").wait_for(timeout=5000)
        assert "建议开启W3：社会保障卡申领排队6人（阈值3）" in await advice.inner_text()
        assert "人员登录后即可按建议开启" in await advice.inner_text()  # nobody at W3 yet
        await page.screenshot(path=screenshot_path("console-routing-advice-unstaffed"), full_page=True)

        w3 = _staff("staff-w3", "W3")
        await _window(service, w3, WindowOp.LOGIN)
        button = advice.locator("button.follow")
        await button.wait_for(timeout=5000)
        assert "在岗：陈静" in await advice.inner_text()
        await page.screenshot(path=screenshot_path("console-routing-advice"), full_page=True)
        await button.click()
        await page.wait_for_selector("#flash.ok")
        assert "已按建议开启窗口" in await page.inner_text("#flash")
        await advice.wait_for(state="detached", timeout=5000)
        assert service.core.state.windows["W3"].open
        opened = [x.entry for x in await service.store.audit_lines() if x.entry.action == "window.open"
                  and x.entry.target == "W3"]
        assert [e.actor for e in opened] == ["manager:manager"]
        assert opened[0].detail.startswith("reason=按建议 advice: 建议开启W3：")

        await _window(service, w1, WindowOp.CALL_NEXT)
        await _window(service, w3, WindowOp.CALL_NEXT)
        first = page.locator('tr[data-call="A001"] td.reason')
        await first.wait_for(timeout=5000)
        assert "先呼A001后呼B001：预计办理时间更短（6对15分钟）" in await first.inner_text()
        await page.wait_for_function("() => document.querySelectorAll('table.calls tbody tr').length === 2")
        await page.screenshot(path=screenshot_path("console-routing-calls"), full_page=True)

        await page.goto(f"{hall.url}/lang/en?next=/console/routing")
        assert "called A001 before B001: shorter expected service (6 vs 15 min)" in await page.inner_text(
            "table.calls")
        await page.screenshot(path=screenshot_path("console-routing-en"), full_page=True)
        await page.goto(f"{hall.url}/lang/zh?next=/console/audit?action=window.")
        await page.wait_for_selector("#chain .badge.good")
        audit = await page.inner_text("table.audit")
        assert "先呼A001后呼B001：预计办理时间更短" in audit
        assert "按建议 advice: 建议开启W3" in audit
        await page.screenshot(path=screenshot_path("console-audit-routing"), full_page=True)


_PROFILE = {8: 6, 9: 22, 10: 26, 11: 18, 12: 8, 13: 10, 14: 16, 15: 14, 16: 6}  # visits per hour, a weekday


def _past_days(now: float, weeks: int = 4) -> list[bytes]:
    """Visits of the past ``weeks`` weeks on today's and tomorrow's weekdays, and W2 open earlier today, as the
    engine stores them."""
    out: list[ev.Event] = []
    today_start, _ = day_bounds(local_date(now, TZ), TZ)
    for k in range(weeks, 0, -1):
        for offset in (0, 1):
            start = today_start + (offset - 7 * k) * 86400
            for hour, n in _PROFILE.items():
                n += k if offset else -k  # tomorrow's weekday is a little busier
                for i in range(n):
                    at = start + hour * 3600 + i * 3600 / n
                    tid = f"past-{k}-{offset}-{hour}-{i}"
                    out.append(ev.TicketIssued(
                        request_id=tid, at=at, ticket_id=tid, number=f"A{i:03d}", prefix="A", seq=i,
                        service="SB-CARD", steps=("SB-CARD",), priority="normal", arrival=at, order_time=at,
                        deadline=at + 5400))
                    out.append(ev.TicketCalled(
                        request_id=f"c-{tid}", at=at + 420, ticket_id=tid, number=f"A{i:03d}", service="SB-CARD",
                        window_id="W1", window_name="1号窗口", zone="A", call_id=f"{tid}:1"))
                    if i % 12 == 5:
                        out.append(ev.TicketNoShow(request_id=f"n-{tid}", at=at + 600, ticket_id=tid,
                                                   window_id="W1", recycled=False))
                    else:
                        out.append(ev.StepFinished(request_id=f"f-{tid}", at=at + 780, ticket_id=tid,
                                                   window_id="W1", service="SB-CARD", duration_s=360))
    hour_start = today_start + (now - today_start) // 3600 * 3600
    if hour_start - 2 * 3600 >= today_start:  # W2 was open earlier today, until a quarter before this hour
        out += [ev.StaffLoggedIn(request_id="w2-in", at=hour_start - 7200, window_id="W2", staff_id="staff-w2"),
                ev.WindowOpened(request_id="w2-open", at=hour_start - 7200, window_id="W2"),
                ev.WindowClosed(request_id="w2-close", at=hour_start - 900, window_id="W2"),
                ev.StaffLoggedOut(request_id="w2-out", at=hour_start - 900, window_id="W2", staff_id="staff-w2")]
    out.sort(key=lambda e: e.at)
    return [msgspec.json.encode(e) for e in out]


async def test_staffing_plan_drawn_from_the_stored_history(browser: object, mosquitto: PrivateBroker,
                                                           tmp_path: Path) -> None:
    from playwright.async_api import Page

    async with live_hall(mosquitto, tmp_path) as hall:
        service = hall.service
        now = time.time()
        await service.store.commit_batch(_past_days(now), now, [])  # before anything happens today
        w1 = _staff("staff-w1", "W1")
        await _window(service, w1, WindowOp.LOGIN)
        await _window(service, w1, WindowOp.OPEN)
        await _issue(service, "SB-CARD", 3)
        page = await _page(browser, hall, "manager")
        assert isinstance(page, Page)
        await page.goto(f"{hall.url}/console/routing")
        await page.wait_for_function("() => document.body.dataset.chartsReady === '1'")
        staffing = await page.inner_text("#staffing")
        assert "预测依据：近8周中有到访记录的4个" in staffing
        assert "历史数据不足" not in staffing
        assert "Erlang-A" in staffing  # some left: patience measured from the no-shows
        assert await page.locator("#staffing-today tr[data-hour='10'] td.advised").inner_text() != "—"
        assert await page.locator("#chart-staffing svg").count() == 1
        hour = (now - day_bounds(local_date(now, TZ), TZ)[0]) // 3600
        if hour >= 2:
            earlier = page.locator(f"#staffing-today tr[data-hour='{hour - 1:.0f}'] td.open-windows")
            assert await earlier.inner_text() == "0.8"  # W2 for 45 of its 60 minutes
        await page.screenshot(path=screenshot_path("console-routing-staffing"), full_page=True)
        await page.locator("#staffing").screenshot(path=screenshot_path("console-routing-staffing-section"))
