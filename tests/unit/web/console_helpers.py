"""For the console's in-process tests: the controller's single writer running without a broker (what it would
publish is recorded), logging in with the CSRF token at hand, and a staff member at a window."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.service import ControllerService
from hall_protocol.tickets import ErrorReply, WindowCommand, WindowOp
from tests.unit.web.conftest import log_in


class RecordingClient:
    """Stands in for the broker connection: keeps what the controller publishes."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, bool]] = []

    async def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False,
                      properties: Any = None) -> None:
        self.published.append((topic, payload, retain))


@contextlib.asynccontextmanager
async def writing(service: ControllerService) -> AsyncIterator[RecordingClient]:
    """The service's request worker (its single writer), so that ``submit`` and ``perform`` are answered."""
    client = RecordingClient()
    task = asyncio.create_task(service._worker(client))  # type: ignore[arg-type]
    try:
        yield client
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def logged_in(web: httpx.AsyncClient, username: str) -> str:
    """Log in and return the session's CSRF token (what htmx sends as ``X-CSRF-Token``)."""
    web.cookies.clear()
    assert (await log_in(web, username)).status_code == 303
    page = await web.get("/login")
    m = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert m, "no csrf token"
    return m.group(1)


async def staff_at(service: ControllerService, window: str, username: str = "staff-w1", *,
                   open_it: bool = True) -> Actor:
    staff = Actor(ActorKind.PERSON, username, PersonRole.STAFF, window=window)
    for op in (WindowOp.LOGIN, WindowOp.OPEN) if open_it else (WindowOp.LOGIN,):
        answer = await service.submit(staff, WindowCommand(request_id=uuid.uuid4().hex, window_id=window, op=op),
                                      origin="test")
        assert not isinstance(answer.reply, ErrorReply), answer
    return staff


async def first_event(app: Any, path: str, cookies: httpx.Cookies, timeout: float = 10.0) -> str:
    """The first server-sent event of a stream, read straight off the ASGI app (httpx's in-process transport
    waits for the whole body, and a live stream has no end)."""
    got = asyncio.Event()
    body = b""
    headers = [(b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode())]
    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("hall.test", 80), "root_path": ""}
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await got.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal body
        if message["type"] == "http.response.body":
            body += message.get("body", b"")
            if b"\r\n\r\n" in body or b"\n\n" in body:
                got.set()

    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(got.wait(), timeout)
    finally:
        got.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return body.decode()
