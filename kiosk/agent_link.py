"""The UI side of the local socket: ask the edge agent, receive hall events. No network credentials here."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator

from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
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
    decode_to_ui,
    frame,
)
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest

log = logging.getLogger(__name__)

HallEvent = CallEvent | TicketEvent | HallState | DisplayState


class AgentLink:
    """``async with AgentLink(path) as link: reply = await link.request(IssueTicket(...))``."""

    def __init__(self, path: str, *, subscribe: Subscribe | None = None) -> None:
        self.path = path
        self._subscribe = subscribe
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[RpcReply]] = {}
        self._ids = itertools.count(1)
        self._events: asyncio.Queue[HallEvent] = asyncio.Queue(maxsize=1000)
        self._task: asyncio.Task[None] | None = None
        self.hello: Hello | None = None
        self.connectivity: Connectivity | None = None
        self.hello_received = asyncio.Event()
        self.connectivity_changed = asyncio.Event()

    async def __aenter__(self) -> AgentLink:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, timeout: float = 5.0) -> None:
        self._reader, self._writer = await asyncio.open_unix_connection(self.path)
        self._task = asyncio.create_task(self._read_loop())
        if self._subscribe is not None:
            await self._write(self._subscribe)
        await asyncio.wait_for(self.hello_received.wait(), timeout)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:
            self._writer.close()

    @property
    def online(self) -> bool:
        return bool(self.connectivity and self.connectivity.online)

    async def wait_online(self, timeout: float = 10.0) -> None:
        """Until the agent says the hall is reachable (TimeoutError otherwise)."""
        async with asyncio.timeout(timeout):
            while not self.online:
                self.connectivity_changed.clear()
                await self.connectivity_changed.wait()

    async def request(self, body: RpcRequest, timeout: float = 5.0) -> RpcReply:
        req = next(self._ids)
        fut: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._pending[req] = fut
        try:
            await self._write(Request(req=req, body=body, timeout_s=timeout))
            # the agent answers within ``timeout``; allow it a moment more to say so itself
            return await asyncio.wait_for(fut, timeout + 2.0)
        except (TimeoutError, ConnectionError) as err:
            return ErrorReply(
                request_id=getattr(body, "request_id", ""),
                code=ErrorCode.TIMEOUT,
                message=f"the device agent did not answer: {err!r}",
                message_zh="本机服务没有响应，请稍后再试。",
            )
        finally:
            self._pending.pop(req, None)

    async def report_health(self, peripherals: dict[str, PeripheralHealth]) -> None:
        await self._write(HealthReport(peripherals=peripherals))

    async def events(self) -> AsyncIterator[HallEvent]:
        while True:
            yield await self._events.get()

    async def _write(self, msg: Request | Subscribe | HealthReport) -> None:
        if self._writer is None:
            raise ConnectionError("not connected to the agent")
        self._writer.write(frame(msg))
        await self._writer.drain()

    async def _read_loop(self) -> None:
        assert self._reader is not None
        framer = LineFramer()
        while data := await self._reader.read(65536):
            try:
                frames = framer.feed(data)
            except ProtocolError as err:
                log.warning("agent sent an oversized frame: %s", err)
                continue
            for raw in frames:
                try:
                    msg = decode_to_ui(raw)
                except ProtocolError as err:
                    log.warning("agent sent a bad frame: %s", err)
                    continue
                if isinstance(msg, Reply):
                    fut = self._pending.get(msg.req)
                    if fut is not None and not fut.done():
                        fut.set_result(msg.body)
                elif isinstance(msg, Event):
                    if self._events.full():
                        self._events.get_nowait()  # a slow UI sees the newest events, not a stale backlog
                    self._events.put_nowait(msg.body)
                elif isinstance(msg, Connectivity):
                    self.connectivity = msg
                    self.connectivity_changed.set()
                elif isinstance(msg, Hello):
                    self.hello = msg
                    self.hello_received.set()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("agent closed the socket"))
