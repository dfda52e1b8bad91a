"""The UI side of the local socket: the one client of the device's edge agent. No network credentials here.

``AgentClient`` keeps the socket open in the background (``run``): it connects, reconnects with backoff when
the agent restarts (systemd) or starts after the UI, re-sends the peripherals' health after each reconnect,
and passes on the agent's hall events and connectivity. A request answers with the hall's reply or an
ErrorReply, never an exception: this module is the only place on the UI side that makes one (not connected:
UNAVAILABLE; no answer: TIMEOUT; a reply of the wrong type: INTERNAL). The view-models turn its code into
a plain sentence (``kiosk.i18n``).

The device Apps run ``client.run()`` beside the screens; scripts and tests use ``async with AgentClient(path)
as client`` (connected on entry, closed on exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

from hall_protocol.errors import ErrorCode
from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
from hall_protocol.health import PeripheralHealth
from hall_protocol.local import (
    CheckInById,
    Connectivity,
    Event,
    FrameDecoder,
    HealthReport,
    Hello,
    Reply,
    Request,
    Subscribe,
    decode_to_ui,
    frame,
    read_messages,
)
from hall_protocol.tickets import (
    Ack,
    CheckIn,
    ErrorReply,
    IssueTicket,
    RpcReply,
    RpcRequest,
    SubmitRating,
    TicketReply,
)
from hall_runtime.backoff import Backoff

log = logging.getLogger(__name__)

HallEvent = CallEvent | TicketEvent | HallState | DisplayState
R = TypeVar("R", TicketReply, Ack)

MAX_QUEUED_EVENTS = 1000
# the agent answers within a request's timeout; allow it a moment more to say so itself
_REPLY_GRACE_S = 2.0


@dataclass(frozen=True, slots=True)
class LinkState:
    connected: bool  # the local socket to the agent is up
    online: bool  # the agent says the hall is reachable
    outbox_depth: int = 0


DISCONNECTED = LinkState(connected=False, online=False)


def _refusal(request_id: str, code: ErrorCode, detail: str) -> ErrorReply:
    return ErrorReply(request_id=request_id, code=code, message=detail)


class AgentClient:
    """The edge agent as the UI sees it; also the view-models' ``HallClient``.

    Hall events go to ``on_event`` when one is set, else into a bounded queue read by ``events()``.
    """

    def __init__(
        self,
        path: str,
        *,
        subscribe: Subscribe | None = None,
        on_state: Callable[[LinkState], None] | None = None,
        on_event: Callable[[HallEvent], None] | None = None,
        backoff: Backoff | None = None,
        hello_timeout_s: float = 5.0,
        request_timeout_s: float = 5.0,
    ) -> None:
        self.path = path
        self.on_state = on_state
        self.on_event = on_event
        self._subscribe = subscribe
        self._backoff = backoff or Backoff(base=0.2, cap=5.0)
        self._hello_timeout_s = hello_timeout_s
        self._request_timeout_s = request_timeout_s
        self.state = DISCONNECTED
        self.hello: Hello | None = None
        self.connects = 0
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[RpcReply]] = {}
        self._ids = itertools.count(1)
        self._events: asyncio.Queue[HallEvent] = asyncio.Queue(maxsize=MAX_QUEUED_EVENTS)
        self._state_changed = asyncio.Event()
        self._health: dict[str, PeripheralHealth] = {}
        self._connectivity: Connectivity | None = None
        self._runner: asyncio.Task[None] | None = None

    # scripts and tests: connected inside ``async with`` ----------------------------------------------

    async def __aenter__(self) -> AgentClient:
        await self.start()
        return self

    async def start(self) -> None:
        """Run in the background and wait until connected (TimeoutError, and closed, if no agent answers)."""
        self._runner = asyncio.create_task(self.run(), name=f"agent-client {self.path}")
        try:
            await self._wait_for(lambda s: s.connected, self._hello_timeout_s)
        except TimeoutError:
            await self.aclose()
            raise TimeoutError(f"no device agent answered at {self.path}") from None

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None

    # requests (HallClient) ---------------------------------------------------------------------------

    async def request(self, body: RpcRequest, timeout: float | None = None) -> RpcReply:
        """The agent's reply to ``body``; an ErrorReply when there is none within ``timeout``."""
        wait = self._request_timeout_s if timeout is None else timeout
        return await self._ask(getattr(body, "request_id", ""), lambda req: Request(req=req, body=body,
                                                                                 timeout_s=wait), wait)

    async def check_in_by_id(self, request_id: str, id_number: str) -> TicketReply | ErrorReply:
        """Check in by ID number: the number goes to the agent only, which sends the hall its keyed hash."""
        wait = self._request_timeout_s
        reply = await self._ask(request_id, lambda req: CheckInById(req=req, request_id=request_id,
                                                                    id_number=id_number, timeout_s=wait), wait)
        return reply if isinstance(reply, TicketReply | ErrorReply) else self._unexpected(request_id, reply)

    async def _ask(self, request_id: str, message: Callable[[int], Request | CheckInById], wait: float) -> RpcReply:
        if self._writer is None:
            return _refusal(request_id, ErrorCode.UNAVAILABLE, "not connected to the device agent")
        req = next(self._ids)
        fut: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._pending[req] = fut
        try:
            await self._send(message(req))
            return await asyncio.wait_for(fut, wait + _REPLY_GRACE_S)
        except (TimeoutError, ConnectionError) as err:
            return _refusal(request_id, ErrorCode.TIMEOUT, f"the device agent did not answer: {err!r}")
        finally:
            self._pending.pop(req, None)

    async def issue_ticket(self, request: IssueTicket) -> TicketReply | ErrorReply:
        return self._narrow(request, await self.request(request), TicketReply)

    async def check_in(self, request: CheckIn) -> TicketReply | ErrorReply:
        return self._narrow(request, await self.request(request), TicketReply)

    async def submit_rating(self, request: SubmitRating) -> Ack | ErrorReply:
        return self._narrow(request, await self.request(request), Ack)

    @classmethod
    def _narrow(cls, request: RpcRequest, reply: RpcReply, expected: type[R]) -> R | ErrorReply:
        if isinstance(reply, ErrorReply | expected):
            return reply
        return cls._unexpected(getattr(request, "request_id", ""), reply)

    @staticmethod
    def _unexpected(request_id: str, reply: RpcReply) -> ErrorReply:
        log.warning("hall answered request %s with an unexpected %s", request_id, type(reply).__name__)
        return _refusal(request_id, ErrorCode.INTERNAL, f"unexpected reply type {type(reply).__name__}")

    # health, events, connectivity --------------------------------------------------------------------

    async def report_health(self, device: str, health: PeripheralHealth) -> None:
        """Kept and re-sent after every reconnect, so the agent always knows the peripherals' state."""
        self._health[device] = health
        if self._writer is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._send(HealthReport(peripherals={device: health}))

    async def events(self) -> AsyncIterator[HallEvent]:
        """The hall events, for a client without ``on_event``; a slow reader sees the newest ones."""
        while True:
            yield await self._events.get()

    @property
    def online(self) -> bool:
        return self.state.online

    async def wait_online(self, timeout: float = 10.0) -> None:
        """Until the agent says the hall is reachable (TimeoutError otherwise)."""
        await self._wait_for(lambda s: s.online, timeout)

    async def wait_offline(self, timeout: float = 10.0) -> None:
        """Until the hall is unreachable, as the agent says or because the agent is gone."""
        await self._wait_for(lambda s: not s.online, timeout)

    async def _wait_for(self, ok: Callable[[LinkState], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not ok(self.state):
                self._state_changed.clear()
                await self._state_changed.wait()

    # the background task -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and serve until cancelled; after a failure or a close, wait (backoff) and connect again."""
        while True:
            try:
                reading, writer = await self._connect()
            except (OSError, TimeoutError) as err:
                log.debug("agent at %s not reachable: %r", self.path, err)
                self._set_state(DISCONNECTED)
                await asyncio.sleep(self._backoff.next_delay())
                continue
            self._backoff.reset()
            self.connects += 1
            log.info("connected to the agent at %s (%s)", self.path, self.hello.device_id if self.hello else "?")
            try:
                await self._serve(reading, writer)
            finally:
                self._writer = None
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
                writer.close()
                self._set_state(DISCONNECTED)
            log.warning("the agent closed the local socket; reconnecting")

    async def _connect(self) -> tuple[asyncio.Task[None], asyncio.StreamWriter]:
        """Open the socket, subscribe, and wait for the agent's Hello."""
        reader, writer = await asyncio.open_unix_connection(self.path)
        self._connectivity = None
        hello = asyncio.Event()
        reading = asyncio.create_task(self._read(reader, hello))
        try:
            if self._subscribe is not None:
                writer.write(frame(self._subscribe))
                await writer.drain()
            await asyncio.wait_for(hello.wait(), self._hello_timeout_s)
        except BaseException:
            reading.cancel()
            writer.close()
            raise
        return reading, writer

    async def _serve(self, reading: asyncio.Task[None], writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        if self._health:
            with contextlib.suppress(ConnectionError, OSError):
                await self._send(HealthReport(peripherals=dict(self._health)))
        self._publish_connectivity()
        await reading

    async def _send(self, msg: Request | HealthReport | CheckInById) -> None:
        writer = self._writer
        if writer is None:
            raise ConnectionError("not connected to the agent")
        writer.write(frame(msg))
        await writer.drain()

    async def _read(self, reader: asyncio.StreamReader, hello: asyncio.Event) -> None:
        try:
            async for msg in read_messages(reader, FrameDecoder(decode_to_ui, "the agent")):
                if isinstance(msg, Reply):
                    fut = self._pending.get(msg.req)
                    if fut is not None and not fut.done():
                        fut.set_result(msg.body)
                elif isinstance(msg, Event):
                    self._deliver(msg.body)
                elif isinstance(msg, Connectivity):
                    self._connectivity = msg
                    if self._writer is not None:  # until the connection is served, ``_serve`` publishes it
                        self._publish_connectivity()
                elif isinstance(msg, Hello):
                    self.hello = msg
                    hello.set()
        except OSError as err:  # a reset socket ends this connection like a close does; ``run`` reconnects
            log.warning("the local socket to the agent failed: %r", err)
        finally:
            self._writer = None  # from now on a request is answered UNAVAILABLE at once, not sent into the void
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("agent closed the socket"))

    def _deliver(self, event: HallEvent) -> None:
        if self.on_event is None:
            if self._events.full():
                self._events.get_nowait()  # a slow reader sees the newest events, not a stale backlog
            self._events.put_nowait(event)
            return
        try:
            self.on_event(event)
        except Exception:  # a screen that fails to render one event must not stop the feed
            log.exception("hall event %s not handled", type(event).__name__)

    def _publish_connectivity(self) -> None:
        c = self._connectivity
        self._set_state(LinkState(connected=True, online=bool(c and c.online), outbox_depth=c.outbox_depth if c else 0))

    def _set_state(self, state: LinkState) -> None:
        if state == self.state:
            return
        self.state = state
        self._state_changed.set()
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:
                log.exception("connectivity listener failed")
