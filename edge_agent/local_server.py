"""The agent's Unix socket for the device UI: requests in, replies and hall events out.

The UI never holds network credentials; it speaks hall_protocol.local to this socket only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from hall_protocol.codec import Message
from hall_protocol.errors import ProtocolError
from hall_protocol.health import PeripheralHealth
from hall_protocol.local import (
    Connectivity,
    Event,
    HealthReport,
    Hello,
    LineFramer,
    Reply,
    Request,
    Subscribe,
    decode_to_agent,
    frame,
)
from hall_protocol.tickets import RpcReply, RpcRequest

log = logging.getLogger(__name__)

RequestHandler = Callable[[RpcRequest, float], Awaitable[RpcReply]]


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    subscription: Subscribe = field(default_factory=Subscribe)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LocalServer:
    def __init__(self, path: str, hello: Hello, on_request: RequestHandler) -> None:
        self.path = path
        self._hello = hello
        self._on_request = on_request
        self._clients: set[_Client] = set()
        self._server: asyncio.Server | None = None
        self.peripherals: dict[str, PeripheralHealth] = {}
        self._connectivity = Connectivity(online=False, since=time.time())

    async def start(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._server = await asyncio.start_unix_server(self._serve, path=self.path)
        os.chmod(self.path, 0o660)  # the UI runs as a user in the agent's group, nobody else
        log.info("local socket at %s", self.path)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for c in list(self._clients):
                c.writer.close()
            await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def set_connectivity(self, online: bool, outbox_depth: int = 0) -> None:
        self._connectivity = Connectivity(online=online, since=time.time(), outbox_depth=outbox_depth)
        for c in list(self._clients):
            self._spawn_send(c, self._connectivity)

    def push(self, event: Event) -> None:
        """Send a hall event to every UI that subscribed to it."""
        body = event.body
        for c in list(self._clients):
            s = c.subscription
            kind = type(body).__name__
            wanted = (
                (kind == "CallEvent" and s.calls)
                or (kind == "TicketEvent" and s.tickets)
                or (kind == "HallState" and s.hall_state)
                or (kind == "DisplayState" and getattr(body, "zone", None) in s.zones)
            )
            if wanted:
                self._spawn_send(c, event)

    def _spawn_send(self, client: _Client, msg: Message) -> None:
        task = asyncio.get_running_loop().create_task(self._send(client, msg))
        task.add_done_callback(_log_failure)

    async def _send(self, client: _Client, msg: Message) -> None:
        async with client.lock:
            try:
                client.writer.write(frame(msg))
                await client.writer.drain()
            except (ConnectionError, RuntimeError):
                self._clients.discard(client)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _Client(writer)
        self._clients.add(client)
        framer = LineFramer()
        tasks: set[asyncio.Task[None]] = set()
        try:
            await self._send(client, self._hello)
            await self._send(client, self._connectivity)
            while data := await reader.read(65536):
                try:
                    frames = framer.feed(data)
                except ProtocolError as err:
                    log.warning("local client sent an oversized frame: %s", err)
                    continue
                for raw in frames:
                    try:
                        msg = decode_to_agent(raw)
                    except ProtocolError as err:
                        log.warning("local client sent a bad frame: %s", err)
                        continue
                    if isinstance(msg, Request):
                        t = asyncio.create_task(self._answer(client, msg))
                        tasks.add(t)
                        t.add_done_callback(tasks.discard)
                    elif isinstance(msg, Subscribe):
                        client.subscription = msg
                    elif isinstance(msg, HealthReport):
                        self.peripherals.update(msg.peripherals)
        except ConnectionError:
            pass
        finally:
            self._clients.discard(client)
            for t in tasks:
                t.cancel()
            writer.close()

    async def _answer(self, client: _Client, request: Request) -> None:
        reply = await self._on_request(request.body, request.timeout_s)
        await self._send(client, Reply(req=request.req, body=reply))


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("sending to a local client failed", exc_info=task.exception())
