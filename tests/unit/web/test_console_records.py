"""Ratings, follow-ups, appointments and reports pages in-process, and the open API's read-only calls."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from hall_controller.api_tokens import ApiTokenStore
from hall_controller.engine import commands as cmd
from hall_controller.web.context import WebContext
from tests.unit.web.conftest import Clock, log_in
from tests.unit.web.records_helpers import run, served_and_rated


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m
    return m.group(1)


async def test_ratings_page_shows_every_rating_and_the_seeds_rates(web: httpx.AsyncClient, ctx: WebContext,
                                                                   clock: Clock) -> None:
    await served_and_rated(ctx, clock.now - 3600, 5)
    await served_and_rated(ctx, clock.now - 3000, 1, "等了很久没人管", masked_name="张*")
    await log_in(web, "manager")
    page = await web.get("/console/ratings")
    assert page.status_code == 200
    assert "等了很久没人管" in page.text
    assert "主动评价率" in page.text
    assert "100.0%" in page.text  # 2 ratings of 2 steps served
    data = (await web.get("/console/ratings.json")).json()
    assert [r["level"] for r in data["items"]] == [1, 5]  # newest first
    bad = data["items"][0]
    assert (bad["bad"], bad["named"], bad["wait_min"], bad["window"], bad["staff"]) == (True, True, "10.0", "1号窗口",
                                                                                        "staff-w1")
    assert bad["status"] == "待联系"
    assert data["rates"][0]["value"] == "100.0%"


async def test_a_bad_rating_is_followed_up_to_closed_and_audited(web: httpx.AsyncClient, ctx: WebContext,
                                                                 clock: Clock) -> None:
    ticket = await served_and_rated(ctx, clock.now - 3000, 2, "态度不好", masked_name="李*")
    await log_in(web, "manager")
    url = f"/console/ratings/{ticket}:0"
    csrf = csrf_of((await web.get(url)).text)
    refused = await web.post(f"{url}/follow-up", data={"csrf": csrf, "action": "rectify", "text": "x"})
    assert refused.status_code == 409
    assert "核实为合理差评后才能整改" in refused.text
    for form in ({"action": "assign", "assignee": "李主任"}, {"action": "contact", "text": "电话联系"},
                 {"action": "verify", "verdict": "reasonable", "text": "属实"},
                 {"action": "rectify", "text": "窗口培训"}, {"action": "reply", "text": "已告知"},
                 {"action": "close", "text": "办结"}):
        r = await web.post(f"{url}/follow-up", data={"csrf": csrf, **form})
        assert r.status_code == 303, (form, r.text[:500])
    detail = (await web.get(f"{url}.json")).json()
    assert detail["closed"]
    assert detail["followup"]["verdict"] == "reasonable"
    assert [s["state"] for s in detail["stages"]] == ["done"] * 4
    lines = await ctx.service.store.audit_lines()
    actions = [x.entry.action for x in lines if x.entry.target == f"{ticket}:0"]
    assert actions == [f"rating.follow-up.{a}" for a in ("assign", "contact", "verify", "rectify", "reply", "close")]
    rates = (await web.get("/console/ratings.json")).json()["rates"]
    assert (rates[1]["value"], rates[2]["value"]) == ("100.0%", "100.0%")


async def test_who_may_see_ratings_appointments_and_reports(web: httpx.AsyncClient) -> None:
    pages = ("/console/ratings", "/console/appointments", "/console/reports")
    for path in pages:
        r = await web.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")
    await log_in(web, "tech")
    for path in pages:
        assert (await web.get(path)).status_code == 403
    web.cookies.clear()
    await log_in(web, "staff-w1")
    for path in pages:
        assert (await web.get(path)).status_code == 403


async def test_reports_page_and_csv(web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    await served_and_rated(ctx, clock.now - 3600, 4)
    await log_in(web, "manager")
    page = await web.get("/console/reports?kind=day")
    assert page.status_code == 200
    assert 'id="report-chart"' in page.text
    data = (await web.get("/console/reports.json?kind=month")).json()
    assert (data["report"]["visits"], data["report"]["served"], data["report"]["ratings"]) == (1, 1, 1)
    csv = await web.get(data["csv_url"])
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert "主动评价率" in csv.text


async def test_appointment_list_and_qr(web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    await run(ctx, cmd.RegisterAppointment, clock.now, appointment_id="AP-1", service="BDC-REG",
              slot_start=clock.now + 3600, masked_name="王*")
    await log_in(web, "manager")
    data = (await web.get("/console/appointments.json")).json()
    assert [a["appointment_id"] for a in data["items"]] == ["AP-1"]
    qr = await web.get("/console/appointments/AP-1.json")
    assert qr.json()["code"].startswith("OVAPPT:demo:AP-1:")
    assert qr.json()["qr_png"].startswith("data:image/png;base64,")
    assert (await web.get("/console/appointments/NOPE")).status_code == 404


async def test_csv_import_is_all_or_nothing(web: httpx.AsyncClient, ctx: WebContext, clock: Clock) -> None:
    await log_in(web, "manager")
    csrf = csrf_of((await web.get("/console/appointments")).text)
    bad = ("service,date,time,name,id_number\nSB-CARD,2099-01-01,10:00,张三,\nNOPE,2099-01-01,10:00,,\n"
           "SB-CARD,2099-13-01,10:00,,\nSB-CARD,2099-01-01,10:00,,123\n")
    r = await web.post("/console/appointments/import", data={"csrf": csrf},
                       files={"file": ("a.csv", bad.encode(), "text/csv")})
    assert r.status_code == 400
    assert "未导入任何预约" in r.text
    for line, field in ((3, "service"), (4, "date"), (5, "id_number")):
        assert re.search(rf"<td>{line}</td><td>{field}</td>", r.text), (line, field)
    assert len(ctx.service.core.state.appointments) == 0


# -- the open API, read-only calls (writes need the running service: tests/e2e/web) ------------------


@pytest.fixture
async def tokens(ctx: WebContext, tmp_path: object) -> AsyncIterator[ApiTokenStore]:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    store = await ApiTokenStore.open(tmp_path / "hall.db")
    ctx.api_tokens = store
    yield store
    await store.close()


async def test_api_tokens_scopes_and_errors(web: httpx.AsyncClient, ctx: WebContext, clock: Clock,
                                            tokens: ApiTokenStore) -> None:
    await served_and_rated(ctx, clock.now - 3600, 1, "差", masked_name="赵*")
    _, ratings_token = await tokens.add("province", ["ratings"])
    _, reports_token = await tokens.add("city", ["reports", "hall"])
    doc = (await web.get("/api/v1/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    assert "/api/v1/appointments" in doc["paths"]
    missing = await web.get("/api/v1/ratings")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorised"
    wrong = await web.get("/api/v1/ratings", headers={"Authorization": f"Bearer {reports_token}"})
    assert wrong.status_code == 403
    got = await web.get("/api/v1/ratings", headers={"Authorization": f"Bearer {ratings_token}"})
    assert got.status_code == 200
    (rating,) = got.json()["ratings"]
    assert (rating["level"], rating["comment"], rating["named"]) == (1, "差", True)
    assert rating["follow_up"]["verdict"] == "pending"
    report = await web.get("/api/v1/reports/day", headers={"Authorization": f"Bearer {reports_token}"})
    assert report.json()["visits"] == 1
    bad_day = await web.get("/api/v1/reports/day?day=2025-02-30", headers={"Authorization": f"Bearer {reports_token}"})
    assert bad_day.status_code == 400
    assert bad_day.json()["error"]["field"] == "day"
    assert (await web.get("/api/v1/nope")).json()["error"]["code"] == "not-found"
    await tokens.revoke("province")
    assert (await web.get("/api/v1/ratings", headers={"Authorization": f"Bearer {ratings_token}"})).status_code == 401
    listed = {t.name: t for t in await tokens.list()}
    assert listed["province"].revoked_at is not None
    assert listed["city"].scopes == frozenset({"reports", "hall"})
    assert msgspec.json.decode((await web.get("/api/v1/hall", headers={
        "Authorization": f"Bearer {reports_token}"})).content)["hall"] == "demo"
