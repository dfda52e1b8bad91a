"""A hall for page tests: the real controller (in this process, so a test can look at its state) on a real
Mosquitto, its pages served over HTTP on a free loopback port, and demo accounts.

    async with live_hall(mosquitto, tmp_path) as hall:
        page = await (await browser.new_context()).new_page()
        await login(page, hall, "staff-w1")
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from hall_controller.accounts import AccountStore, PersonRole
from hall_controller.api_tokens import ApiTokenStore
from hall_controller.http_server import serve_asgi
from hall_controller.notify.config import NotifyConfig
from hall_controller.notify.gateway import Gateway
from hall_controller.notify.service import NotificationService
from hall_controller.notify.setup import open_notifications
from hall_controller.notify.simulator import Simulator
from hall_controller.service import ControllerService
from hall_controller.web.app import create_app
from hall_controller.web.context import WebContext
from onevisit.broker import PrivateBroker
from tests.fixtures.components import free_port
from tests.integration.controller.harness import HALL_TOML, controller

PASSWORD = "demo-pass-1"
CHECKIN_KEY = bytes(range(32))  # the hall's check-in key; a kiosk agent in a test gets the same in its key file
ACCOUNTS = (
    ("staff-w1", "张敏", PersonRole.STAFF),
    ("staff-w2", "王磊", PersonRole.STAFF),
    ("staff-w3", "陈静", PersonRole.STAFF),
    ("manager", "李主任", PersonRole.MANAGER),
    ("tech", "赵工", PersonRole.TECHNICIAN),
)


@dataclass
class LiveHall:
    url: str
    service: ControllerService
    accounts: AccountStore
    ctx: WebContext
    api_tokens: ApiTokenStore
    sms: Simulator | None = None  # the gateway silent-call messages go to, with ``notify=True``


@contextlib.asynccontextmanager
async def live_hall(broker: PrivateBroker, workdir: Path, *, config_path: Path = HALL_TOML,
                    tick_s: float = 0.2, notify: bool = False, gateways: list[Gateway] | None = None,
                    notify_config: NotifyConfig | None = None) -> AsyncIterator[LiveHall]:
    """``notify``: silent-call messages run beside the engine, to ``gateways`` (default: a simulator)."""
    db = workdir / "hall.db"
    accounts = await AccountStore.open(db)
    tokens = await ApiTokenStore.open(db)
    for username, name, role in ACCOUNTS:
        await accounts.add(username, name, role, PASSWORD)
    sms = Simulator() if notify and gateways is None else None
    notifiers: list[NotificationService] = []

    async def wire_notifier(service: ControllerService) -> None:
        notifier = await open_notifications(notify_config or NotifyConfig(), service.core, service.store, db,
                                            gateways=gateways if gateways is not None else [sms] if sms else [])
        service.commit_listeners.append(notifier.on_commit)
        notifier.store.on_change = service.hub.bump
        notifiers.append(notifier)

    port = free_port()
    # the ticket QR (status_url) must open the page this hall serves, as in the demo
    config_path = with_status_base_url(config_path, f"http://127.0.0.1:{port}", workdir)
    try:
        async with controller(broker, db, config_path=config_path, tick_s=tick_s,
                              before_run=wire_notifier if notify else None) as service, \
                contextlib.AsyncExitStack() as running:
            if notifiers:
                notifying = asyncio.create_task(notifiers[0].run())
                running.push_async_callback(_cancelled, notifying)
                await asyncio.wait_for(notifiers[0].started.wait(), 10)
            ctx = WebContext(service, accounts, secure_cookies=False, checkin_key=CHECKIN_KEY, api_tokens=tokens,
                             notifier=notifiers[0] if notifiers else None)
            started = asyncio.Event()
            task = asyncio.create_task(serve_asgi(create_app(ctx), name="pages", host="127.0.0.1", port=port,
                                                  certfile=None, keyfile=None, started=started,
                                                  closing=ctx.closing))
            await asyncio.wait_for(started.wait(), 10)
            try:
                yield LiveHall(f"http://127.0.0.1:{port}", service, accounts, ctx, tokens, sms)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await tokens.close()
        await accounts.close()


def with_status_base_url(config_path: Path, url: str, workdir: Path) -> Path:
    """A copy of ``config_path`` whose phone-page links point at ``url``."""
    text = config_path.read_text(encoding="utf-8")
    line = f'status_base_url = "{url}"'
    text, found = re.subn(r'(?m)^status_base_url = ".*"$', line, text)
    if not found:
        text = text.replace("[hall]\n", f"[hall]\n{line}\n", 1)
    path = workdir / f"{config_path.stem}-pages.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def login(page: object, hall: LiveHall, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form (a Playwright ``Page``)."""
    from playwright.async_api import Page

    assert isinstance(page, Page)
    await page.goto(f"{hall.url}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")
