"""The agent's Unix socket for the device UI: requests in, replies and hall events out.

The UI never holds network credentials; it speaks hall_protocol.local to this socket only. Besides requests
(tickets, check-in, ratings, window commands, print records, check-in by ID number: ``edge_agent.checkin``)
and peripheral health coming in, the agent
pushes hall events, connectivity, and remote commands (``LocalCommand``) to a UI that subscribed with
``commands=True``; the UI answers those with ``LocalCommandResult``.
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
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import DisplayState, HallState
from hall_protocol.health import PeripheralHealth
from hall_protocol.local import (
    CheckInById,
    Connectivity,
    Event,
    FrameDecoder,
    HealthReport,
    Hello,
    LocalCommand,
    LocalCommandResult,
    PrintDocument,
    Reply,
    Request,
    Subscribe,
    decode_to_agent,
    frame,
    read_messages,
)
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest

log = logging.getLogger(__name__)

RequestHandler = Callable[[RpcRequest, float], Awaitable[RpcReply]]
PrintHandler = Callable[[PrintDocument, float], Awaitable[RpcReply]]
CheckInHandler = Callable[[CheckInById], Awaitable[RpcReply]]


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    subscription: Subscribe = field(default_factory=Subscribe)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LocalServer:
    def __init__(
        self, path: str, hello: Hello, on_request: RequestHandler, *, on_print: PrintHandler | None = None,
        print_timeout_s: float = 5.0, on_checkin_by_id: CheckInHandler | None = None,
    ) -> None:
        self.path = path
        self._hello = hello
        self._on_request = on_request
        self._on_print = on_print
        self._on_checkin_by_id = on_checkin_by_id
        self._print_timeout_s = print_timeout_s
        self._clients: set[_Client] = set()
        self._server: asyncio.Server | None = None
        self.peripherals: dict[str, PeripheralHealth] = {}
        self.health_reported_at = 0.0
        self._connectivity = Connectivity(online=False, since=time.time())
        self._commands: dict[str, asyncio.Future[LocalCommandResult]] = {}
        # the newest retained-style state, so a UI that (re)subscribes renders at once instead of waiting
        self._hall_state: Event | None = None
        self._displays: dict[str, Event] = {}

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    @property
    def clients(self) -> int:
        return len(self._clients)

    async def run_ui_command(self, command: LocalCommand, timeout: float) -> LocalCommandResult | None:
        """Send a remote command to the UI that runs commands and wait for its result; None when no such UI
        is connected or it did not answer within ``timeout``."""
        target = next((c for c in self._clients if c.subscription.commands), None)
        if target is None:
            return None
        fut: asyncio.Future[LocalCommandResult] = asyncio.get_running_loop().create_future()
        self._commands[command.command_id] = fut
        try:
            await self._send(target, command)
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            log.warning("the UI did not answer command %s within %.1f s", command.command_id, timeout)
            return None
        finally:
            self._commands.pop(command.command_id, None)

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
        if self._connectivity.online == online and self._connectivity.outbox_depth == outbox_depth:
            return
        since = time.time() if self._connectivity.online != online else self._connectivity.since
        self._connectivity = Connectivity(online=online, since=since, outbox_depth=outbox_depth)
        for c in list(self._clients):
            self._spawn_send(c, self._connectivity)

    def push(self, event: Event) -> None:
        """Send a hall event to every UI that subscribed to it."""
        body = event.body
        if isinstance(body, HallState):
            self._hall_state = event
        elif isinstance(body, DisplayState):
            self._displays[body.zone] = event
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

    def _latest_for(self, s: Subscribe) -> list[Event]:
        latest = [self._displays[z] for z in s.zones if z in self._displays]
        if s.hall_state and self._hall_state is not None:
            latest.append(self._hall_state)
        return latest

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
        tasks: set[asyncio.Task[None]] = set()
        try:
            await self._send(client, self._hello)
            await self._send(client, self._connectivity)
            async for msg in read_messages(reader, FrameDecoder(decode_to_agent, "a local client")):
                if isinstance(msg, Request):
                    t = asyncio.create_task(self._answer(client, msg))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
                elif isinstance(msg, Subscribe):
                    client.subscription = msg
                    for latest in self._latest_for(msg):
                        self._spawn_send(client, latest)
                elif isinstance(msg, HealthReport):
                    self.peripherals.update(msg.peripherals)
                    self.health_reported_at = time.time()
                elif isinstance(msg, PrintDocument):
                    t = asyncio.create_task(self._answer_print(client, msg))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
                elif isinstance(msg, CheckInById):
                    t = asyncio.create_task(self._answer_checkin(client, msg))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
                elif isinstance(msg, LocalCommandResult):
                    fut = self._commands.get(msg.command_id)
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
                    else:
                        log.info("late or unknown command result %s ignored", msg.command_id)
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

    async def _answer_checkin(self, client: _Client, msg: CheckInById) -> None:
        if self._on_checkin_by_id is None:
            reply: RpcReply = ErrorReply(request_id=msg.request_id, code=ErrorCode.FORBIDDEN,
                                         message="this device does not check in by ID")
        else:
            reply = await self._on_checkin_by_id(msg)
        await self._send(client, Reply(req=msg.req, body=reply))

    async def _answer_print(self, client: _Client, doc: PrintDocument) -> None:
        if self._on_print is None:
            log.info("print record %s ignored: no handler", doc.request_id)
            return
        reply = await self._on_print(doc, self._print_timeout_s)
        if doc.req:
            await self._send(client, Reply(req=doc.req, body=reply))


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("sending to a local client failed", exc_info=task.exception())
