"""The pages in-process (httpx over ASGI): a controller core and store without a broker, and accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from hall_controller.accounts import AccountStore, PersonRole
from hall_controller.core import ControllerCore
from hall_controller.service import ControllerService
from hall_controller.store import Store
from hall_controller.web.app import create_app
from hall_controller.web.context import WebContext
from hall_protocol.hall_config import load_hall_config

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "demo-pass-1"


# Mid-afternoon in the hall's time zone (UTC+8), so "an hour ago" is always today: at real time the day's
# reports of a test run just after midnight would miss what the test served an hour before.
AFTERNOON = datetime(2026, 6, 15, 15, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = AFTERNOON

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ctx(tmp_path: Path, clock: Clock) -> AsyncIterator[WebContext]:
    store = await Store.open(tmp_path / "hall.db")
    accounts = await AccountStore.open(tmp_path / "hall.db", clock=clock)
    for username, role in (("staff-w1", PersonRole.STAFF), ("manager", PersonRole.MANAGER),
                           ("tech", PersonRole.TECHNICIAN)):
        await accounts.add(username, username, role, PASSWORD)
    core = await ControllerCore.restore(load_hall_config(ROOT / "configs/demo/hall.toml"), store, now=clock())
    yield WebContext(ControllerService(core, store), accounts, secure_cookies=False, clock=clock)
    await accounts.close()
    await store.close()


@pytest.fixture
async def web(ctx: WebContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://hall.test", follow_redirects=False) as c:
        yield c


async def log_in(web: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await web.post("/login", data={"username": username, "password": password})
