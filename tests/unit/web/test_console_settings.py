"""Services and windows edited on the console: the config file's check and wording, at once, audited."""

from __future__ import annotations

import uuid

import httpx
import msgspec

from hall_controller.web.context import WebContext
from hall_controller.web.views_console_settings import Settings
from hall_protocol.tickets import ErrorReply, IssueTicket, TicketReply
from tests.unit.web.console_helpers import logged_in, staff_at, writing


def _hx(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf, "HX-Request": "true"}


async def test_a_bad_value_is_refused_with_the_config_files_words(web: httpx.AsyncClient, ctx: WebContext) -> None:
    async with writing(ctx.service):
        csrf = await logged_in(web, "manager")
        cases = {
            ("0", "300"): "services[0].target_wait_min: Expected `float` > 0.0 (value: 0)",
            ("soon", "300"): "services[0].target_wait_min: Expected `float`, got `str` (value: 'soon')",
            ("20", "12.5"): "services[0].daily_cap: Expected `int`, got `float` (value: 12.5)",
            ("20", "10000"): "services[0].daily_cap: Expected `int` <= 9999 (value: 10000)",
        }
        for (target, cap), words in cases.items():
            r = await web.post("/console/settings/services/SB-CARD", data={"target_wait_min": target, "daily_cap": cap},
                               headers=_hx(csrf))
            assert r.status_code == 400
            assert r.json()["error"]["message"] == words
            assert r.json()["error"]["message_zh"] == f"设置有误：{words}"
        r = await web.post("/console/settings/windows/W2", data={"on_GJJ-DRAW": "1", "weight_GJJ-DRAW": "1.5"},
                           headers=_hx(csrf))
        assert r.status_code == 400
        assert r.json()["error"]["message"] == ("windows[1].skills[...]: Expected `float` <= 1.0 "
                                                "(value: {'GJJ-DRAW': 1.5})")
        r = await web.post("/console/settings/windows/W2", data={}, headers=_hx(csrf))
        assert r.json()["error"]["message"] == "windows[1] (W2): give it skills or make it comprehensive"
        assert (await web.post("/console/settings/windows/W9", data={}, headers=_hx(csrf))).status_code == 404
        assert (await web.post("/console/settings/services/NOPE", data={"target_wait_min": "5", "daily_cap": "5"},
                               headers=_hx(csrf))).status_code == 404
    assert ctx.service.core.config == ctx.service.core.state.plan  # nothing changed
    assert not [x for x in await ctx.service.store.audit_lines() if x.entry.action.startswith(("service.", "window.s"))]


async def test_changes_take_effect_at_once_and_are_audited(web: httpx.AsyncClient, ctx: WebContext) -> None:
    service = ctx.service
    async with writing(service):
        csrf = await logged_in(web, "manager")
        kiosk = service.directory.lookup("kiosk-1")
        assert kiosk is not None
        r = await web.post("/console/settings/services/SB-CARD", data={"target_wait_min": "12.5", "daily_cap": "1"},
                           headers=_hx(csrf))
        assert r.status_code == 200, r.text
        assert r.json()["done"]["message_zh"] == "已保存，立即生效。"
        first = await service.submit(kiosk, IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD"), "kiosk-1")
        assert isinstance(first.reply, TicketReply)
        capped = await service.submit(kiosk, IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD"), "kiosk-1")
        assert isinstance(capped.reply, ErrorReply)
        assert capped.reply.code == "cap-reached"
        # W2 takes social-security cards too, at half weight
        form = {"on_GJJ-DRAW": "1", "weight_GJJ-DRAW": "1", "on_BDC-REG": "1", "weight_BDC-REG": "1",
                "on_SB-CARD": "1", "weight_SB-CARD": "0.5", "weight_SB-RETIRE": "1"}
        assert (await web.post("/console/settings/windows/W2", data=form, headers=_hx(csrf))).status_code == 200
        assert service.core.state.index.skill("W2", "SB-CARD") == 0.5
        assert service.core.state.index.skill("W2", "SB-RETIRE") == 0.0  # its weight was sent, its box was not
        await staff_at(service, "W2", "staff-w2")
        data = msgspec.json.decode((await web.get("/console/settings.json")).content, type=Settings)
    card = next(s for s in data.services if s.code == "SB-CARD")
    assert (card.target_wait_min, card.daily_cap, card.issued, card.changed) == (12.5, 1, 1, True)
    w2 = next(w for w in data.windows if w.window_id == "W2")
    assert w2.changed
    assert w2.state == "open"
    assert [(s.code, s.weight) for s in w2.skills if s.on] == [("SB-CARD", 0.5), ("GJJ-DRAW", 1.0), ("BDC-REG", 1.0)]
    assert not next(w for w in data.windows if w.window_id == "W1").changed
    audit = [(x.entry.actor, x.entry.action, x.entry.target, x.entry.detail)
             for x in await service.store.audit_lines() if x.entry.action in ("service.limits", "window.skills")]
    assert audit == [
        ("manager:manager", "service.limits", "SB-CARD", "target_wait_min=12.5 daily_cap=1"),
        ("manager:manager", "window.skills", "W2", "SB-CARD=0.5 GJJ-DRAW=1 BDC-REG=1"),
    ]


async def test_the_page_says_what_is_not_editable_here(web: httpx.AsyncClient) -> None:
    await logged_in(web, "manager")
    page = (await web.get("/console/settings")).text
    assert "须在配置文件 hall.toml 中修改" in page
    assert 'hx-post="/console/settings/windows/W3"' in page
    assert "综合窗口" in page
