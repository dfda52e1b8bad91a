"""The keypad driver: a reader thread feeds the sans-IO core; key events reach asyncio through a queue."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from drivers.byte_link import ByteLink, LinkError, LinkHolder
from drivers.health import HealthState, PeripheralHealth
from drivers.keypad.core import KeyEvent, KeypadCore
from drivers.keypad.errors import KeypadDisconnected, KeypadError, KeypadSilent
from drivers.keypad.protocol import status_frame

log = logging.getLogger(__name__)


class Keypad(Protocol):
    def events(self) -> AsyncIterator[KeyEvent]:
        """Key presses as they come (repeats, bounces and held-key repeats removed). Raises
        KeypadDisconnected when the port goes away and KeypadSilent when heartbeats stop; iterate again
        to resume (the caller owns the retry policy)."""
        ...

    async def health(self) -> PeripheralHealth: ...

    async def self_test(self) -> PeripheralHealth:
        """Asks the pad for its status and waits for the answer."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class KeypadTiming:
    debounce_s: float = 0.12
    stuck_after_s: float = 5.0
    heartbeat_timeout_s: float = 3.5  # the pad sends a heartbeat every second
    status_timeout_s: float = 0.5
    poll_s: float = 0.05  # how often the reader thread looks at the clock when the line is quiet


class SerialKeypad:
    def __init__(
        self,
        open_link: Callable[[], ByteLink],
        *,
        address: int = 1,
        timing: KeypadTiming | None = None,
        name: str = "keypad",
    ) -> None:
        self._link = LinkHolder(open_link)
        self.address = address
        self.timing = timing or KeypadTiming()
        self.name = name
        self._core: KeypadCore | None = None
        self._core_lock = threading.Lock()  # the core is touched by the reader thread and by health()
        self._write_lock = threading.Lock()  # ACKs (reader thread) and STATUS (worker thread) must not interleave
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[KeyEvent | KeypadError] = asyncio.Queue()
        self._heartbeat_seen = asyncio.Event()
        self._start_lock = asyncio.Lock()

    # -- Keypad --------------------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[KeyEvent]:
        await self._start()
        while True:
            item = await self._queue.get()
            if isinstance(item, KeypadError):
                raise item
            yield item

    async def health(self) -> PeripheralHealth:
        try:
            await self._start()
        except KeypadDisconnected as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
        with self._core_lock:
            heard = self._core is not None and self._core.heard
        if not heard:
            return await self._probe()
        return self._core_health()

    async def self_test(self) -> PeripheralHealth:
        try:
            await self._start()
        except KeypadDisconnected as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
        health = await self._probe()
        if health.state is not HealthState.OK:
            return health
        with self._core_lock:
            assert self._core is not None
            hb = self._core.last_heartbeat
            stats = self._core.stats
        kind = hb.kind.name.lower() if hb is not None and hb.kind is not None else "unknown"
        detail = (
            f"按键器应答正常（{kind}），已收按键 {stats.presses} 次 / "
            f"keypad answered ({kind}); {stats.presses} presses, {stats.repeats} repeats, "
            f"{stats.bounces} bounces, {stats.line_errors} line errors"
        )
        return PeripheralHealth(state=HealthState.OK, detail=detail)

    async def aclose(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, 2.0)
        self._thread = None
        await asyncio.to_thread(self._link.drop)

    # -- internals -----------------------------------------------------------------------------------
    async def _start(self) -> None:
        async with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._loop = asyncio.get_running_loop()
            link = await asyncio.to_thread(self._connect)
            t = self.timing
            with self._core_lock:
                self._core = KeypadCore(
                    address=self.address,
                    now=time.monotonic(),
                    debounce_s=t.debounce_s,
                    stuck_after_s=t.stuck_after_s,
                    heartbeat_timeout_s=t.heartbeat_timeout_s,
                )
            self._stop.clear()
            self._thread = threading.Thread(target=self._read_loop, args=(link,), name=self.name, daemon=True)
            self._thread.start()

    async def _probe(self) -> PeripheralHealth:
        self._heartbeat_seen.clear()
        try:
            await asyncio.to_thread(self._write, status_frame(self.address).encode())
            await asyncio.wait_for(self._heartbeat_seen.wait(), self.timing.status_timeout_s)
        except KeypadDisconnected as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
        except TimeoutError:
            detail = f"no answer to a status request within {self.timing.status_timeout_s:.1f} s"
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(KeypadSilent.reason,), detail=detail)
        return self._core_health()

    def _core_health(self) -> PeripheralHealth:
        with self._core_lock:
            assert self._core is not None
            return self._core.health(time.monotonic())

    def _connect(self) -> ByteLink:
        try:
            return self._link.get()
        except LinkError as err:
            raise KeypadDisconnected(f"{self.name}: {err}") from err

    def _write(self, data: bytes) -> None:
        link = self._link.current  # the reader thread's link: writing must not open another
        if link is None:
            raise KeypadDisconnected(f"{self.name}: port not open")
        try:
            with self._write_lock:
                link.write(data)
        except LinkError as err:
            raise KeypadDisconnected(f"{self.name}: {err}") from err

    def _read_loop(self, link: ByteLink) -> None:
        silent_reported = False
        heartbeats = 0
        while not self._stop.is_set():
            try:
                data = link.read(self.timing.poll_s)
            except LinkError as err:
                if not self._stop.is_set():
                    log.warning("%s: port lost: %s", self.name, err)
                    self._post(KeypadDisconnected(f"{self.name}: {err}"))
                self._link.drop()
                return
            now = time.monotonic()
            with self._core_lock:
                assert self._core is not None
                events = self._core.receive_data(data, now) if data else []
                acks = self._core.data_to_send()
                silent = self._core.silent(now)
                new_heartbeat = self._core.heartbeats != heartbeats
                heartbeats = self._core.heartbeats
            if acks:
                try:
                    self._write(acks)
                except KeypadDisconnected as err:
                    self._post(err)
                    self._link.drop()
                    return
            for event in events:
                log.info("%s: key %s (seq %d)", self.name, event.key.name, event.seq)
                self._post(event)
            if new_heartbeat:
                self._signal_heartbeat()
            if silent and not silent_reported:
                log.warning("%s: no heartbeat for %.1f s", self.name, self.timing.heartbeat_timeout_s)
                self._post(KeypadSilent(f"{self.name}: no frame for {self.timing.heartbeat_timeout_s:.1f} s"))
            silent_reported = silent

    def _post(self, item: KeyEvent | KeypadError) -> None:
        # asyncio.Queue is not thread-safe: hand the item to the loop's own thread
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _signal_heartbeat(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._heartbeat_seen.set)  # asyncio.Event belongs to the loop thread
