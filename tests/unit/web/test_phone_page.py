"""The phone page in-process: the token, expiry, each stage of a call, and the JSON twin."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
import msgspec

from hall_controller.actors import Actor, ActorKind
from hall_controller.web.context import WebContext
from hall_controller.web.views_phone import AFTER_END_S, PhoneView
from hall_protocol.devices import Role
from hall_protocol.tickets import IssueTicket, TicketReply, WindowCommand, WindowOp
from tests.unit.web.conftest import Clock

KIOSK = Actor(ActorKind.DEVICE, "kiosk-1", Role.KIOSK, "A")
TERMINAL = Actor(ActorKind.DEVICE, "win-W1", Role.WINDOW_TERMINAL, "A", "W1")


def issue(ctx: WebContext, clock: Clock, service: str = "SB-CARD") -> tuple[str, str]:
    """A ticket taken at the kiosk: (its page's path, its token)."""
    reply = ctx.service.core.on_request(IssueTicket(request_id=uuid.uuid4().hex, service=service,
                                                    masked_name="张*"), KIOSK, clock.now).reply
    assert isinstance(reply, TicketReply)
    url = urlsplit(reply.ticket.status_url)
    return url.path, url.query.removeprefix("k=")


def window(ctx: WebContext, clock: Clock, op: WindowOp) -> None:
    ctx.service.core.on_request(WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=op, staff_id="s1"),
                                TERMINAL, clock.now)


async def test_the_ticket_qr_opens_the_page_in_chinese_with_no_personal_data(
        web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    issue(ctx, clock)
    path, token = issue(ctx, clock)
    r = await web.get(path, params={"k": token})
    assert r.status_code == 200
    assert "A002" in r.text
    assert "前面还有 1 人" in r.text
    assert "社会保障卡申领" in r.text
    assert "张" not in r.text  # not even the masked name
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    twin = await web.get(path + ".json", params={"k": token})
    view = msgspec.json.decode(twin.content, type=PhoneView)
    assert (view.number, view.stage, view.position, view.lang) == ("A002", "waiting", 2, "zh")
    assert view.where == "A区 社会保障"
    english = msgspec.json.decode((await web.get(path + ".json", params={"k": token, "lang": "en"})).content,
                                  type=PhoneView)
    assert english.headline == "1 ahead of you"


async def test_a_wrong_hall_id_or_token_gets_the_same_404(
        web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    path, token = issue(ctx, clock)
    _, _, hall, ticket_id = path.split("/")
    wrong = [
        (path, token[:-1] + ("a" if token[-1] != "a" else "b")),
        (path, ""),
        (f"/t/other/{ticket_id}", token),
        (f"/t/{hall}/{'a' * 16}", token),
    ]
    bodies = set()
    for p, k in wrong:
        r = await web.get(p, params={"k": k})
        assert r.status_code == 404
        bodies.add(r.text)
        j = await web.get(p + ".json", params={"k": k})
        assert j.status_code == 404
        assert j.json()["error"]["code"] == "not_found"
    assert len(bodies) == 1  # nothing says which part was wrong
    assert "不存在或已过期" in bodies.pop()


async def test_the_page_expires_after_the_visit_and_the_next_day(
        web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    path, token = issue(ctx, clock)
    for op in (WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT, WindowOp.START, WindowOp.FINISH):
        window(ctx, clock, op)
    r = await web.get(path, params={"k": token})
    assert r.status_code == 200
    assert "已办结" in r.text
    clock.now += AFTER_END_S + 1
    assert (await web.get(path, params={"k": token})).status_code == 404
    waiting, waiting_token = issue(ctx, clock)
    clock.now += 86400
    assert (await web.get(waiting, params={"k": waiting_token})).status_code == 404


async def test_each_step_of_a_call_is_shown(web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    path, token = issue(ctx, clock)
    for op in (WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT):
        window(ctx, clock, op)

    async def view() -> PhoneView:
        return msgspec.json.decode((await web.get(path + ".json", params={"k": token})).content, type=PhoneView)

    called = await view()
    assert (called.stage, called.headline, called.where) == ("called", "请到 1号窗口 办理", "1号窗口")
    assert called.detail.endswith("逾时将重呼")
    assert called.deadline > clock.now
    clock.now += 60
    ctx.service.core.on_tick(clock.now)  # no one came: the controller recalls
    recalled = await view()
    assert (recalled.stage, recalled.recall_count) == ("recalled", 1)
    assert recalled.headline == "第 1 次重呼：请尽快到 1号窗口"
    clock.now += 60
    ctx.service.core.on_tick(clock.now)
    last = await view()
    assert last.detail.endswith("逾时按过号处理")
    clock.now += 120
    ctx.service.core.on_tick(clock.now)
    recycled = await view()
    assert recycled.stage == "waiting"
    assert recycled.detail == "您曾过号，已为您重新排到队尾"
    assert [s.key for s in recycled.steps] == ["issued", "recycled"]


async def test_a_wechat_subscription_needs_the_token_a_code_and_a_gateway(
        web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    path, token = issue(ctx, clock)
    assert (await web.post(f"{path}/wechat", params={"k": "x" * 24}, json={"code": "c"})).status_code == 404
    assert (await web.post(f"{path}/wechat", params={"k": token}, json={})).status_code == 400
    r = await web.post(f"{path}/wechat", params={"k": token}, json={"code": "c0de"})
    assert r.status_code == 404  # no WeChat gateway in this hall
    assert r.json()["error"]["code"] == "not_found"
