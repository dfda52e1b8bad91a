"""The live hall's data and actions, in process: queues, windows, alerts with acknowledgement, notices."""

from __future__ import annotations

import time
import uuid

import httpx
import msgspec

from hall_controller.accounts import IDLE_S
from hall_controller.web.app import create_app
from hall_controller.web.context import WebContext
from hall_controller.web.live_data import LiveHall
from hall_protocol import topics
from hall_protocol.codec import decode
from hall_protocol.hall import HallState
from hall_protocol.tickets import IssueTicket, WindowCommand, WindowOp
from tests.unit.web.conftest import Clock
from tests.unit.web.console_helpers import first_event, logged_in, staff_at, writing


async def _issue(ctx: WebContext, service: str) -> None:
    kiosk = ctx.service.directory.lookup("kiosk-1")
    assert kiosk is not None
    await ctx.service.submit(kiosk, IssueTicket(request_id=uuid.uuid4().hex, service=service), origin="kiosk-1")


def _hx(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf, "HX-Request": "true"}


async def test_queues_windows_and_floor_follow_the_hall(web: httpx.AsyncClient, ctx: WebContext) -> None:
    async with writing(ctx.service):
        await logged_in(web, "manager")
        staff = await staff_at(ctx.service, "W1")
        for _ in range(3):
            await _issue(ctx, "SB-CARD")
        await _issue(ctx, "GJJ-DRAW")
        await ctx.service.submit(staff, WindowCommand(request_id="c1", window_id="W1", op=WindowOp.CALL_NEXT), "t")
        data = msgspec.json.decode((await web.get("/console/live.json")).content, type=LiveHall)
    card = {s.code: s for s in data.services}
    assert (card["SB-CARD"].waiting, card["GJJ-DRAW"].waiting) == (2, 1)
    assert card["SB-CARD"].open
    assert not card["GJJ-DRAW"].open  # W2 is closed
    assert card["SB-CARD"].within_target_pct == 100  # A001 was called at once
    assert card["GJJ-DRAW"].within_target_pct is None  # nobody called or late yet
    assert card["GJJ-DRAW"].est_wait_min is not None  # W2 is configured for it, though closed
    w1 = next(w for w in data.windows if w.window_id == "W1")
    assert (w1.state, w1.current_number, w1.staff_name, w1.open) == ("calling", "A001", "staff-w1", True)
    assert [s.code for s in w1.skills] == ["SB-CARD", "SB-RETIRE", "SB-UNEMP", "YB-ENROL"]
    zone_a = next(z for z in data.zones if z.zone_id == "A")
    assert zone_a.waiting == 2
    assert [w.window_id for w in zone_a.windows] == ["W1"]
    page = (await web.get("/console/live")).text
    assert "A001" in page
    assert 'sse-connect="/console/live/stream?v=' in page
    assert "社会保障卡申领" in page


async def test_open_and_close_a_window_through_the_same_checks(web: httpx.AsyncClient, ctx: WebContext) -> None:
    async with writing(ctx.service):
        csrf = await logged_in(web, "manager")
        refused = await web.post("/console/windows/W2/open", headers=_hx(csrf))
        assert refused.status_code == 409
        assert refused.json()["error"]["message_zh"] == "请先登录再开窗"
        await staff_at(ctx.service, "W2", "staff-w2", open_it=False)
        opened = await web.post("/console/windows/W2/open", headers=_hx(csrf))
        assert opened.status_code == 200, opened.text
        assert opened.json()["done"]["message_zh"] == "窗口已开启。"
        assert ctx.service.core.state.windows["W2"].open
        assert (await web.post("/console/windows/W2/close", headers=_hx(csrf))).status_code == 200
        assert not ctx.service.core.state.windows["W2"].open
        assert (await web.post("/console/windows/W2/explode", headers=_hx(csrf))).status_code == 404
    actions = [(x.entry.actor, x.entry.action, x.entry.target) for x in await ctx.service.store.audit_lines()]
    assert ("manager:manager", "window.open", "W2") in actions
    assert ("manager:manager", "window.close", "W2") in actions


async def test_an_alert_is_acknowledged_once_and_comes_back_as_new(web: httpx.AsyncClient, ctx: WebContext) -> None:
    core = ctx.service.core
    async with writing(ctx.service):
        csrf = await logged_in(web, "manager")
        await _issue(ctx, "SB-CARD")
        later = time.time() + 25 * 60  # past the 20-minute target
        core.alert_publication(later)
        (alert,) = core.alert_book.current
        assert alert.alert.kind == "ticket-over-target"
        page = (await web.get("/console/live")).text
        assert alert.alert.message_zh in page
        assert "确认" in page
        r = await web.post("/console/alerts/ack", data={"alert_id": alert.alert_id}, headers=_hx(csrf))
        assert r.status_code == 200, r.text
        data = msgspec.json.decode((await web.get("/console/live.json")).content, type=LiveHall)
        assert data.alerts[0].acked_by == "manager"
        again = await web.post("/console/alerts/ack", data={"alert_id": alert.alert_id}, headers=_hx(csrf))
        assert again.status_code == 409
        assert "已由manager确认" in again.json()["error"]["message_zh"]
        gone = await web.post("/console/alerts/ack", data={"alert_id": "window-idle/W9@1"}, headers=_hx(csrf))
        assert gone.status_code == 404
        # the alert ends (the ticket is called), then a recycled no-show waits past the target again: a new episode
        core.alert_publication(later + 1)
        staff = await staff_at(ctx.service, "W1")
        await ctx.service.submit(staff, WindowCommand(request_id="c", window_id="W1", op=WindowOp.CALL_NEXT), "t")
        core.alert_publication(later + 2)
        assert core.alert_book.current == ()
    lines = [x.entry for x in await ctx.service.store.audit_lines()]
    acks = [e for e in lines if e.action == "alert.ack"]
    assert [(e.actor, e.target, e.detail) for e in acks] == [("manager:manager", alert.alert_id, "ticket-over-target")]


async def test_notices_reach_the_retained_hall_state_and_are_audited(web: httpx.AsyncClient, ctx: WebContext) -> None:
    async with writing(ctx.service) as broker:
        csrf = await logged_in(web, "manager")
        form = {"zh_0": "今日16:00后暂停受理公积金业务", "en_0": "No provident fund after 16:00", "zone_0": "B",
                "zh_1": "请保管好随身物品", "zh_2": "", "en_3": ""}
        r = await web.post("/console/notices", data=form, headers=_hx(csrf))
        assert r.status_code == 200, r.text
        states = [decode(p, HallState) for t, p, retain in broker.published
                  if t == topics.hall_state("demo") and retain]
        assert [n.text_zh for n in states[-1].notices] == ["今日16:00后暂停受理公积金业务", "请保管好随身物品"]
        assert states[-1].notices[0].zone == "B"
        assert "请保管好随身物品" in (await web.get("/console/live")).text  # the editor shows them
        bad = await web.post("/console/notices", data={"en_0": "English only"}, headers=_hx(csrf))
        assert bad.status_code == 400
        assert bad.json()["error"]["message_zh"] == "公告须有中文内容"
    lines = [x.entry for x in await ctx.service.store.audit_lines()]
    assert [(e.action, e.detail) for e in lines if e.action == "hall.notices"] == [("hall.notices", "notices=2")]


async def test_the_stream_sends_the_fragment_when_the_hall_changes(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await logged_in(web, "manager")
    seen = ctx.service.hub.version
    ctx.service.hub.bump()  # something happened since the page was rendered at ``seen``
    text = await first_event(create_app(ctx), f"/console/live/stream?v={seen}", web.cookies)
    assert text.startswith("event: live")
    assert "社会保障卡申领" in text


async def test_a_look_without_touch_does_not_keep_an_idle_session(web: httpx.AsyncClient, ctx: WebContext,
                                                                   clock: Clock) -> None:
    """What a live stream does before each render: the page being watched is not the person using it."""
    await logged_in(web, "manager")
    token = web.cookies["ov_session"]
    clock.now += IDLE_S - 30
    assert await ctx.accounts.session(token, touch=False) is not None
    clock.now += 60
    assert await ctx.accounts.session(token, touch=False) is None
    assert (await web.get("/console/live")).headers["location"].startswith("/login")
