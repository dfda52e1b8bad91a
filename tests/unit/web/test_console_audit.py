"""The audit log page: filters, paging, CSV, and the chain's verification (intact, edited, cut short)."""

from __future__ import annotations

import csv
import io
import re

import httpx
import msgspec

from hall_controller.audit import AuditEntry
from hall_controller.web.context import WebContext
from hall_controller.web.views_console_audit import AuditPage, ChainState
from tests.unit.web.console_helpers import logged_in

T0 = 1_741_568_400.0  # 2025-03-10 09:00 in Shanghai


async def _fill(ctx: WebContext, n: int = 130) -> None:
    entries = []
    for i in range(n):
        action = ("window.call-next", "ticket.issue", "service.limits")[i % 3]
        actor = "manager:li" if action == "service.limits" else f"staff:w{i % 2}"
        entries.append(AuditEntry(ts=T0 + 60 * i, actor=actor, action=action, target=f"T{i:03d}", origin="test"))
    await ctx.service.store.commit_batch([], T0, [], entries)


async def _page(web: httpx.AsyncClient, query: str) -> AuditPage:
    r = await web.get(f"/console/audit.json{query}")
    assert r.status_code == 200, r.text
    return msgspec.json.decode(r.content, type=AuditPage)


async def test_newest_first_paged_both_ways(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await _fill(ctx)
    await logged_in(web, "manager")
    first = await _page(web, "")
    assert [r.seq for r in first.rows][:3] == [130, 129, 128]
    assert len(first.rows) == 50
    assert first.newer_href == ""
    assert first.lines_total == 130
    assert first.rows[0].time_text == "2025-03-10 11:09:00"  # the hall's clock
    second = await _page(web, first.older_href.removeprefix("/console/audit"))
    assert second.rows[0].seq == 80
    third = await _page(web, second.older_href.removeprefix("/console/audit"))
    assert third.rows[-1].seq == 1
    assert third.older_href == ""
    back = await _page(web, third.newer_href.removeprefix("/console/audit"))
    assert [r.seq for r in back.rows] == [r.seq for r in second.rows]
    top = await _page(web, back.newer_href.removeprefix("/console/audit"))
    assert [r.seq for r in top.rows] == [r.seq for r in first.rows]
    assert top.newer_href == ""


async def test_filters_by_time_actor_action_and_target(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await _fill(ctx)
    await logged_in(web, "manager")
    by_action = await _page(web, "?action=service.")
    assert {r.action for r in by_action.rows} == {"service.limits"}
    assert len(by_action.rows) == 43
    by_actor = await _page(web, "?actor=MANAGER:")
    assert {r.actor for r in by_actor.rows} == {"manager:li"}
    by_target = await _page(web, "?target=t00")
    assert sorted(r.target for r in by_target.rows) == [f"T00{i}" for i in range(10)]
    window = await _page(web, "?from=2025-03-10T09:10&to=2025-03-10T09:20")
    assert [r.seq for r in window.rows] == list(range(20, 10, -1))
    combined = await _page(web, "?action=window.&actor=staff:w1&from=2025-03-10T10:00")
    assert combined.rows
    assert all(r.action == "window.call-next" and r.actor == "staff:w1" and r.ts >= T0 + 3600 for r in combined.rows)
    assert "action=window." in combined.csv_href
    html = (await web.get("/console/audit?action=service.")).text
    assert 'value="service."' in html
    assert "T002" in html


async def test_csv_export_follows_the_filter(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await _fill(ctx)
    await logged_in(web, "manager")
    r = await web.get("/console/audit.csv?action=service.")
    assert r.headers["content-type"].startswith("text/csv")
    assert re.match(r'attachment; filename="audit-demo-\d{4}-\d\d-\d\d.csv"', r.headers["content-disposition"])
    rows = list(csv.reader(io.StringIO(r.text.removeprefix("\ufeff"))))
    assert rows[0] == ["seq", "time", "actor", "action", "target", "detail", "origin", "outcome", "hash"]
    assert len(rows) == 44
    assert rows[1][:5] == ["3", "2025-03-10 09:02:00", "manager:li", "service.limits", "T002"]


async def _chain(web: httpx.AsyncClient) -> ChainState:
    return msgspec.json.decode((await web.get("/console/audit/verify.json")).content, type=ChainState)


async def test_the_chain_state_is_shown_and_breaks_are_found(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await _fill(ctx, 12)
    await logged_in(web, "manager")
    assert await _chain(web) == ChainState(ok=True, checked=12, first_bad=None, missing_tail=False)
    assert "哈希链完整" in (await web.get("/console/audit/verify")).text
    db = ctx.service.store._db
    edited = msgspec.json.encode(AuditEntry(ts=T0, actor="staff:w0", action="ticket.issue", target="FORGED"))
    await db.execute("UPDATE audit SET entry = ? WHERE seq = 7", (edited,))
    assert await _chain(web) == ChainState(ok=False, checked=6, first_bad=7, missing_tail=False)
    assert "哈希链断裂" in (await web.get("/console/audit/verify")).text
    await db.execute("DELETE FROM audit WHERE seq >= 7")
    assert await _chain(web) == ChainState(ok=False, checked=6, first_bad=None, missing_tail=True)
