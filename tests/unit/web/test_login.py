from __future__ import annotations

import re

import httpx

from hall_controller.accounts import IDLE_S, LOCK_AFTER, LOCK_S
from hall_controller.web.context import WebContext
from tests.unit.web.conftest import Clock, log_in


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m, "no csrf token on the page"
    return m.group(1)


async def test_staff_and_managers_land_on_their_own_page(web: httpx.AsyncClient) -> None:
    r = await log_in(web, "staff-w1")
    assert r.status_code == 303
    assert r.headers["location"] == "/terminal"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    web.cookies.clear()
    r = await log_in(web, "manager")
    assert r.headers["location"] == "/console"


async def test_a_wrong_password_says_so_without_telling_which_part(web: httpx.AsyncClient) -> None:
    wrong = await log_in(web, "staff-w1", "nope-nope")
    unknown = await log_in(web, "nobody", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text
    assert "用户名或密码错误" in unknown.text
    assert "set-cookie" not in wrong.headers


async def test_repeated_failures_lock_the_account_until_reset(web: httpx.AsyncClient, ctx: WebContext,
                                                              clock: Clock) -> None:
    for _ in range(LOCK_AFTER):
        assert (await log_in(web, "staff-w1", "wrong-pass")).status_code == 401
    locked = await log_in(web, "staff-w1")  # even the right password
    assert locked.status_code == 401
    assert "已锁定" in locked.text
    clock.now += LOCK_S + 1
    assert (await log_in(web, "staff-w1")).status_code == 303


async def test_sessions_expire_and_disabled_accounts_are_cut_off(web: httpx.AsyncClient, ctx: WebContext,
                                                                 clock: Clock) -> None:
    await log_in(web, "manager")
    assert (await web.get("/")).headers["location"] == "/console"
    clock.now += IDLE_S + 1
    assert (await web.get("/")).headers["location"] == "/login"
    await log_in(web, "manager")
    await ctx.accounts.set_disabled("manager", True)
    assert (await web.get("/")).headers["location"] == "/login"
    assert "已停用" in (await log_in(web, "manager")).text


async def test_logout_needs_the_csrf_token(web: httpx.AsyncClient) -> None:
    await log_in(web, "manager")
    refused = await web.post("/logout")
    assert refused.status_code == 403
    page = await web.get("/login")
    ok = await web.post("/logout", data={"csrf": csrf_of(page.text)})
    assert ok.status_code == 303
    assert (await web.get("/")).headers["location"] == "/login"


async def test_next_never_leaves_the_site(web: httpx.AsyncClient) -> None:
    r = await web.post("/login", data={"username": "manager", "password": "demo-pass-1",
                                       "next": "//evil.example/x"})
    assert r.headers["location"] == "/console"


async def test_english_is_one_click_away(web: httpx.AsyncClient) -> None:
    r = await web.get("/lang/en?next=/login")
    assert r.headers["location"] == "/login"
    web.cookies.set("ov_lang", "en")
    assert "Staff log-in" in (await web.get("/login")).text
