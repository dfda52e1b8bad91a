"""The UI's connection to its edge agent, kept open in the background: connect, reconnect, forward.

The agent may restart (systemd) or start after the UI; the screens keep working and show that the
device service is unreachable meanwhile. Requests made while disconnected are answered at once with an
UNAVAILABLE error reply, which the view-models already turn into a plain sentence and a retry button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from hall_protocol.errors import ErrorCode
from hall_protocol.health import PeripheralHealth
from hall_protocol.local import Subscribe
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest
from kiosk.agent_link import AgentLink, HallEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinkState:
    connected: bool  # the local socket to the agent is up
    online: bool  # the agent says the hall is reachable
    outbox_depth: int = 0


class _ObservedLink(AgentLink):
    """An AgentLink that says when its socket closed (its read loop ended)."""

    def __init__(self, path: str, *, subscribe: Subscribe | None = None) -> None:
        super().__init__(path, subscribe=subscribe)
        self.closed = asyncio.Event()

    async def _read_loop(self) -> None:
        try:
            await super()._read_loop()
        finally:
            self.closed.set()


class AgentConnection:
    def __init__(
        self,
        path: str,
        *,
        subscribe: Subscribe | None = None,
        on_state: Callable[[LinkState], None] = lambda _s: None,
        on_event: Callable[[HallEvent], None] = lambda _e: None,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        hello_timeout_s: float = 5.0,
    ) -> None:
        self.path = path
        self._subscribe = subscribe
        self.on_state = on_state
        self.on_event = on_event
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._hello_timeout_s = hello_timeout_s
        self.link: _ObservedLink | None = None
        self.state = LinkState(connected=False, online=False)
        self.connects = 0
        self._health: dict[str, PeripheralHealth] = {}

    # what the view-models use ----------------------------------------------------------------------

    async def request(self, body: RpcRequest, timeout: float = 5.0) -> RpcReply:
        link = self.link
        if link is None or link.closed.is_set():
            return ErrorReply(request_id=getattr(body, "request_id", ""), code=ErrorCode.UNAVAILABLE,
                              message="not connected to the device agent",
                              message_zh="本机服务暂时不可用，请稍后再试。")
        return await link.request(body, timeout)

    async def report_health(self, device: str, health: PeripheralHealth) -> None:
        """Kept and re-sent after every reconnect, so the agent always knows the peripherals' state."""
        self._health[device] = health
        link = self.link
        if link is not None and not link.closed.is_set():
            with contextlib.suppress(ConnectionError, OSError):
                await link.report_health({device: health})

    # the background task ---------------------------------------------------------------------------

    async def run(self) -> None:
        delay = self._backoff[0]
        while True:
            link = _ObservedLink(self.path, subscribe=self._subscribe)
            try:
                await link.connect(self._hello_timeout_s)
            except (OSError, TimeoutError) as err:
                await link.close()
                log.debug("agent at %s not reachable: %r", self.path, err)
                self._set(LinkState(connected=False, online=False))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            delay = self._backoff[0]
            self.connects += 1
            log.info("connected to the agent at %s (%s)", self.path, link.hello.device_id if link.hello else "?")
            self.link = link
            try:
                await self._serve(link)
            finally:
                self.link = None
                await link.close()
            log.warning("the agent closed the local socket; reconnecting")
            self._set(LinkState(connected=False, online=False))

    async def _serve(self, link: _ObservedLink) -> None:
        if self._health:
            with contextlib.suppress(ConnectionError, OSError):
                await link.report_health(dict(self._health))
        self._publish_connectivity(link)
        async with asyncio.TaskGroup() as tg:
            events = tg.create_task(self._forward_events(link))
            watch = tg.create_task(self._watch_connectivity(link))
            await link.closed.wait()
            events.cancel()
            watch.cancel()

    async def _forward_events(self, link: AgentLink) -> None:
        async for event in link.events():
            try:
                self.on_event(event)
            except Exception:  # a screen that fails to render one event must not stop the feed
                log.exception("hall event %s not handled", type(event).__name__)

    async def _watch_connectivity(self, link: AgentLink) -> None:
        while True:
            await link.connectivity_changed.wait()
            link.connectivity_changed.clear()
            self._publish_connectivity(link)

    def _publish_connectivity(self, link: AgentLink) -> None:
        c = link.connectivity
        self._set(LinkState(connected=True, online=bool(c and c.online), outbox_depth=c.outbox_depth if c else 0))

    def _set(self, state: LinkState) -> None:
        if state != self.state:
            self.state = state
            try:
                self.on_state(state)
            except Exception:
                log.exception("connectivity listener failed")
