"""The log-in page in Chromium, as staff meet it: Chinese first, English one click away."""

from __future__ import annotations

from pathlib import Path

import pytest

from onevisit.broker import PrivateBroker
from tests.e2e.web.harness import live_hall, login
from tests.fixtures.web_browser import screenshot_path

pytestmark = pytest.mark.e2e


async def test_log_in_wrong_then_right_then_out(browser: object, mosquitto: PrivateBroker, tmp_path: Path) -> None:
    from playwright.async_api import Browser

    assert isinstance(browser, Browser)
    async with live_hall(mosquitto, tmp_path) as hall:
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await page.goto(f"{hall.url}/")
        assert page.url.endswith("/login")
        assert await page.inner_text("h1") == "工作人员登录"
        await page.screenshot(path=screenshot_path("login-zh-1280x800"))
        await login(page, hall, "staff-w1", "wrong-password")
        assert "用户名或密码错误" in await page.inner_text("[role=alert]")
        await page.screenshot(path=screenshot_path("login-refused-zh"))
        await page.click("a.lang")
        assert await page.inner_text("h1") == "Staff log-in"
        await page.screenshot(path=screenshot_path("login-en-1280x800"))
        await login(page, hall, "manager")
        await page.goto(f"{hall.url}/login")
        assert await page.inner_text(".who") == "李主任"
        await page.click("text=Log out")
        await page.wait_for_url("**/login")
