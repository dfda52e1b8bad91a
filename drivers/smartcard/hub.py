"""Fan-out of reader events to any number of ``async for`` listeners, each starting from the current state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

from drivers.health import PeripheralHealth
from drivers.smartcard.events import CardEvent
from drivers.smartcard.state import ReaderTracker, Slot, assess_health


class EventHub:
    """Lives on the event loop; producers call ``apply``/``service_lost`` from the loop only."""

    def __init__(self) -> None:
        self.tracker = ReaderTracker()
        self.service_up = False
        self.detail = "not started"
        self._listeners: set[asyncio.Queue[CardEvent]] = set()

    @property
    def slots(self) -> Mapping[str, Slot]:
        return self.tracker.slots

    def health(self) -> PeripheralHealth:
        return assess_health(service_up=self.service_up, slots=self.tracker.slots, detail=self.detail)

    def apply(self, snapshot: Mapping[str, Slot]) -> None:
        self.service_up = True
        self.detail = ""
        self._emit(self.tracker.update(snapshot))

    def service_lost(self, detail: str) -> None:
        """The service went away: every reader and card it knew of is gone too."""
        self.service_up = False
        self.detail = detail
        self._emit(self.tracker.update({}))

    def _emit(self, events: list[CardEvent]) -> None:
        for queue in self._listeners:
            for event in events:
                queue.put_nowait(event)

    def subscribe(self) -> EventStream:
        queue: asyncio.Queue[CardEvent] = asyncio.Queue()
        for event in self.tracker.replay():
            queue.put_nowait(event)
        self._listeners.add(queue)
        return EventStream(queue, self._listeners)


class EventStream(AsyncIterator[CardEvent]):
    """One listener's events. Unlike an async generator, a cancelled ``__anext__`` (``asyncio.wait_for``
    around it, a UI timeout) loses nothing and leaves the stream usable. ``aclose()`` stops listening."""

    def __init__(self, queue: asyncio.Queue[CardEvent], listeners: set[asyncio.Queue[CardEvent]]) -> None:
        self._queue = queue
        self._listeners = listeners

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> CardEvent:
        if self._queue not in self._listeners and self._queue.empty():
            raise StopAsyncIteration
        return await self._queue.get()

    def pending(self) -> int:
        return self._queue.qsize()

    async def aclose(self) -> None:
        self._listeners.discard(self._queue)
