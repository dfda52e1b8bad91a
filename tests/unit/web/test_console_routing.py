"""The routing page in process: who may see it and act on it, the overflow advice and following it (audited,
with the advice's reason), the latest calls with the engine's reason (on the page, its stream and in the
audit log), and the staffing plan with and without history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest

from hall_controller.accounts import AccountStore, PersonRole
from hall_controller.actors import Actor
from hall_controller.core import ControllerCore
from hall_controller.engine import events as ev
from hall_controller.service import ControllerService
from hall_controller.store import Store
from hall_controller.web.app import create_app
from hall_controller.web.context import WebContext
from hall_controller.web.routing_data import RoutingPage
from hall_protocol.hall_config import HallConfig, load_hall_config
from hall_protocol.tickets import ErrorReply, IssueTicket, Priority, WindowCommand, WindowOp
from tests.unit.web.conftest import PASSWORD, ROOT, Clock
from tests.unit.web.console_helpers import first_event, logged_in, staff_at, writing

T0 = 1_741_568_400.0  # Monday 2025-03-10 09:00 in Shanghai


def _hx(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf, "HX-Request": "true"}


def routed_config(path: Path = ROOT / "configs/demo/hall.toml") -> HallConfig:
    """The demo hall with W3 as its overflow window and a short threshold for SB-CARD's queue."""
    base = load_hall_config(path)
    services = tuple(msgspec.structs.replace(s, queue_alert_threshold=3) if s.code == "SB-CARD" else s
                     for s in base.services)
    return msgspec.structs.replace(base, services=services,
                                   routing=msgspec.structs.replace(base.routing, overflow_windows=("W3",)))


@pytest.fixture
async def routed(tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[WebContext, httpx.AsyncClient]]:
    """A hall on the hall's own clock (``clock``, from Monday 09:00), so that a test can let time pass."""
    clock.now = T0
    store = await Store.open(tmp_path / "hall.db")
    accounts = await AccountStore.open(tmp_path / "hall.db", clock=clock)
    for username, role in (("manager", PersonRole.MANAGER), ("staff-w3", PersonRole.STAFF)):
        await accounts.add(username, username, role, PASSWORD)
    core = await ControllerCore.restore(routed_config(), store, now=clock())
    ctx = WebContext(ControllerService(core, store, clock=clock), accounts, secure_cookies=False, clock=clock)
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://hall.test") as web:
        yield ctx, web
    await accounts.close()
    await store.close()


async def _issue(ctx: WebContext, service: str, n: int = 1, priority: Priority = Priority.NORMAL) -> None:
    kiosk = ctx.service.directory.lookup("kiosk-1")
    assert kiosk is not None
    for _ in range(n):
        request = IssueTicket(request_id=uuid.uuid4().hex, service=service, priority=priority)
        answer = await ctx.service.submit(kiosk, request, "kiosk-1")
        assert not isinstance(answer.reply, ErrorReply), answer


async def _window(ctx: WebContext, staff: Actor, window: str, op: WindowOp) -> None:
    answer = await ctx.service.submit(staff, WindowCommand(request_id=uuid.uuid4().hex, window_id=window, op=op), "t")
    assert not isinstance(answer.reply, ErrorReply), answer


async def _data(web: httpx.AsyncClient) -> RoutingPage:
    r = await web.get("/console/routing.json")
    assert r.status_code == 200, r.text
    return msgspec.json.decode(r.content, type=RoutingPage)


async def test_only_a_manager_sees_and_follows_routing(web: httpx.AsyncClient, ctx: WebContext) -> None:
    assert (await web.get("/console/routing.json")).status_code == 401
    assert (await web.get("/console/routing")).headers["location"] == "/login?next=/console/routing"
    async with writing(ctx.service):
        for user in ("tech", "staff-w1"):
            csrf = await logged_in(web, user)
            assert (await web.get("/console/routing")).status_code == 403
            assert (await web.get("/console/routing.json")).status_code == 403
            refused = await web.post("/console/routing/advice", data={"kind": "open-window", "window_id": "W3"},
                                     headers=_hx(csrf))
            assert refused.status_code == 403
        assert "分流与排班" not in (await web.get("/console/devices")).text  # the technician's own page
        csrf = await logged_in(web, "manager")
        page = await web.get("/console/routing")
        assert page.status_code == 200
        assert 'href="/console/routing"' in page.text  # in the console's navigation
        assert "目前无需开窗或关窗" in page.text  # the demo hall is quiet: its overflow window W3 is not needed
        assert "历史数据不足" in page.text
        assert 'sse-connect="/console/routing/stream?v=' in page.text
        nothing = await web.post("/console/routing/advice", data={"kind": "open-window", "window_id": "W3"},
                                 headers=_hx(csrf))
        assert nothing.status_code == 409
        assert nothing.json()["error"]["code"] == "expired"
        without_csrf = await web.post("/console/routing/advice", data={"kind": "open-window", "window_id": "W3"})
        assert without_csrf.status_code == 403
    assert await ctx.service.store.audit_lines() == []  # nothing was opened


async def test_advice_to_open_an_overflow_window_is_followed_and_audited(
        routed: tuple[WebContext, httpx.AsyncClient], clock: Clock) -> None:
    ctx, web = routed
    async with writing(ctx.service):
        csrf = await logged_in(web, "manager")
        await staff_at(ctx.service, "W1")
        await _issue(ctx, "SB-CARD", 6)
        (advice,) = (await _data(web)).live.advice
        assert (advice.kind, advice.window_id, advice.service) == ("open-window", "W3", "SB-CARD")
        assert advice.reason_zh.startswith("建议开启W3：社会保障卡申领排队6人（阈值3）")
        assert not advice.followable  # nobody is logged in at W3 yet
        assert "人员登录后即可按建议开启" in (await web.get("/console/routing")).text
        refused = await web.post("/console/routing/advice", data={"kind": "open-window", "window_id": "W3"},
                                 headers=_hx(csrf))
        assert refused.status_code == 409
        assert refused.json()["error"]["message_zh"] == "请先登录再开窗"  # the engine's own check still holds

        await staff_at(ctx.service, "W3", "staff-w3", open_it=False)
        (advice,) = (await _data(web)).live.advice
        assert advice.followable
        assert advice.staff_name == "staff-w3"
        assert "按建议开启" in (await web.get("/console/routing")).text
        done = await web.post("/console/routing/advice", data={"kind": "open-window", "window_id": "W3"},
                              headers=_hx(csrf))
        assert done.status_code == 200, done.text
        assert done.json()["done"]["message_zh"] == "已按建议开启窗口，并记入审计日志。"
        assert ctx.service.core.state.windows["W3"].open
        clock.now += 60
        after = await _data(web)
        assert after.live.advice == ()
        assert [h.actual_arrivals for h in after.staffing.today.hours] == [6]  # today's, without a forecast
        assert after.chart.labels == ()  # no chart without a forecast
        again = await web.post("/console/routing/advice", data={"kind": "open-window", "window_id": "W3"},
                               headers=_hx(csrf))
        assert again.status_code == 409  # advice that no longer holds is not followed
    (line,) = [x.entry for x in await ctx.service.store.audit_lines()
               if x.entry.action == "window.open" and x.entry.target == "W3"]
    assert line.actor == "manager:manager"
    assert line.detail.startswith("reason=按建议 advice: 建议开启W3：社会保障卡申领排队6人（阈值3）")
    assert "/ open W3: 6 waiting for SB-CARD (threshold 3)" in line.detail


async def test_calls_carry_the_engines_reason_to_the_page_and_the_audit_log(
        routed: tuple[WebContext, httpx.AsyncClient], clock: Clock) -> None:
    ctx, web = routed
    app = create_app(ctx)
    async with writing(ctx.service):
        staff = await staff_at(ctx.service, "W1")
        await _issue(ctx, "SB-CARD")  # A001, waiting longest
        clock.now += 60
        await _issue(ctx, "SB-RETIRE", priority=Priority.GREEN)  # B001, green channel: a 15-minute bound
        clock.now += 20 * 60
        await _window(ctx, staff, "W1", WindowOp.CALL_NEXT)
        await logged_in(web, "manager")
        (call,) = (await _data(web)).live.calls
        assert (call.number, call.window_id, call.explicit) == ("B001", "W1", False)
        assert call.reason_zh == "先呼B001后呼A001：B001已超过15分钟等候上限"
        assert call.reason == "called B001 before A001: B001 past its 15-minute bound"
        assert "先呼B001后呼A001：B001已超过15分钟等候上限" in (await web.get("/console/routing")).text
        english = (await web.get("/console/routing?lang=en")).text
        assert "called B001 before A001: B001 past its 15-minute bound" in english
        streamed = await first_event(app, "/console/routing/stream?v=0", web.cookies)
        assert "event: routing" in streamed
        assert "先呼B001后呼A001" in streamed
        audit_page = (await web.get("/console/audit?action=window.call-next")).text
    assert "先呼B001后呼A001：B001已超过15分钟等候上限" in audit_page
    (line,) = [x.entry for x in await ctx.service.store.audit_lines() if x.entry.action == "window.call-next"]
    assert line.detail.endswith("reason=先呼B001后呼A001：B001已超过15分钟等候上限 / "
                                "called B001 before A001: B001 past its 15-minute bound")
    assert line.detail.startswith("current=")


def _past_monday(weeks_ago: int, visits: int) -> list[bytes]:
    out = []
    for i in range(visits):
        at = T0 - weeks_ago * 7 * 86400 + i * 3600 / visits  # 09:00-10:00 that Monday
        tid = f"past-{weeks_ago}-{i}"
        out.append(msgspec.json.encode(ev.TicketIssued(
            request_id=tid, at=at, ticket_id=tid, number=f"A{i:03d}", prefix="A", seq=i, service="SB-CARD",
            steps=("SB-CARD",), priority="normal", arrival=at, order_time=at, deadline=at + 5400)))
        out.append(msgspec.json.encode(ev.StepFinished(
            request_id=f"f{tid}", at=at + 900, ticket_id=tid, window_id="W1", service="SB-CARD", duration_s=480)))
    return out


async def test_staffing_plan_from_the_stored_history(routed: tuple[WebContext, httpx.AsyncClient]) -> None:
    ctx, web = routed
    await ctx.service.store.commit_batch(_past_monday(2, 24) + _past_monday(1, 36), T0 - 86400, [])
    await logged_in(web, "manager")
    data = await _data(web)
    today, tomorrow = data.staffing.today, data.staffing.tomorrow
    assert (today.day, today.weekday, today.history_days, today.enough) == ("2025-03-10", 0, 2, True)
    (nine,) = today.hours
    assert (nine.hour, nine.arrivals) == (9, 30.0)
    assert nine.windows is not None
    assert nine.windows >= 2
    assert data.staffing.minutes_per_visit == 8.0
    assert (tomorrow.enough, tomorrow.hours) == (False, ())
    assert data.chart.labels == ("09:00",)
    assert data.chart.advised_today == (nine.windows,)
    page = (await web.get("/console/routing")).text
    assert "预测依据：近8周中有到访记录的2个周一的平均到访量" in page
    assert "历史数据不足，无法预测：近8周内没有周二的到访记录" in page
    assert 'id="chart-staffing"' in page


async def test_advice_to_close_an_idle_overflow_window(routed: tuple[WebContext, httpx.AsyncClient],
                                                        clock: Clock) -> None:
    ctx, web = routed
    async with writing(ctx.service):
        csrf = await logged_in(web, "manager")
        await staff_at(ctx.service, "W3", "staff-w3")
        assert (await _data(web)).live.advice == ()
        clock.now += 21 * 60  # routing.advice_close_idle_min is 20
        (advice,) = (await _data(web)).live.advice
        assert (advice.kind, advice.window_id, advice.followable) == ("close-window", "W3", True)
        assert advice.since_text == "09:20:00"
        assert advice.reason_zh == "建议关闭W3：已21分钟无人可叫"
        done = await web.post("/console/routing/advice", data={"kind": "close-window", "window_id": "W3"},
                              headers=_hx(csrf))
        assert done.json()["done"]["message_zh"] == "已按建议关闭窗口，并记入审计日志。"
        assert not ctx.service.core.state.windows["W3"].open
    (line,) = [x.entry for x in await ctx.service.store.audit_lines() if x.entry.action == "window.close"]
    assert line.detail == "reason=按建议 advice: 建议关闭W3：已21分钟无人可叫 / close W3: nothing to call for 21 min"
