"""The LED window display driver: the protocol over a blocking byte link, run in worker threads."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from drivers.health import HealthState, PeripheralHealth
from drivers.led_display import protocol as p
from drivers.led_display.errors import DisplayAbsent, DisplayNoAnswer, DisplayRejected, LedDisplayError
from drivers.serial_link import ByteLink, LinkClosed
from drivers.stx_frame import StxFrame, StxFrameError, StxParser

log = logging.getLogger(__name__)


class LedDisplay(Protocol):
    async def show(self, text: str, *, line: int = 0, blink: bool = False, scroll: bool = False) -> None:
        """Put ``text`` on ``line`` (0 = top). Raises a LedDisplayError subclass."""
        ...

    async def clear(self, line: int | None = None) -> None:
        """Blank one line, or the whole display."""
        ...

    async def health(self) -> PeripheralHealth: ...

    async def self_test(self) -> PeripheralHealth:
        """Status query, a test pattern on every line, then the previous text restored."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LedTiming:
    response_timeout_s: float = 0.5
    inter_byte_timeout_s: float = 0.1


_RETRY_NAKS = (p.NakReason.CHECKSUM, p.NakReason.BUSY)
TEST_PATTERN = "测试TEST 0123456789"


class SerialLedDisplay:
    """A ``LedDisplay`` at ``address`` on ``open_link()`` (opened lazily, reopened after a loss)."""

    def __init__(
        self,
        open_link: Callable[[], ByteLink],
        *,
        address: int = 1,
        lines: int = 2,
        brightness: int | None = None,
        timing: LedTiming | None = None,
        retries: int = 1,
        name: str = "led-display",
    ) -> None:
        self._open_link = open_link
        self.address = address
        self.lines = lines
        self.brightness = brightness
        self.timing = timing or LedTiming()
        self.retries = retries
        self.name = name
        self._link: ByteLink | None = None
        self._lock = asyncio.Lock()
        self._io_lock = threading.Lock()  # a cancelled await leaves its thread running to its deadline
        self._dirty = False
        self._shown: list[tuple[str, bool]] = [("", False)] * lines  # what we last put on each line

    # -- LedDisplay ----------------------------------------------------------------------------------
    async def show(self, text: str, *, line: int = 0, blink: bool = False, scroll: bool = False) -> None:
        self._check_line(line)
        effect = p.Effect.SCROLL if scroll else p.Effect.STATIC
        frames = [p.show(self.address, line, text, effect), p.blink(self.address, line, blink)]
        async with self._lock:
            await asyncio.to_thread(self._run, frames)
            self._shown[line] = (text, blink)

    async def clear(self, line: int | None = None) -> None:
        if line is not None:
            self._check_line(line)
        async with self._lock:
            await asyncio.to_thread(self._run, [p.clear(self.address, p.ALL_LINES if line is None else line)])
            for i in range(self.lines) if line is None else (line,):
                self._shown[i] = ("", False)

    async def set_brightness(self, level: int) -> None:
        frame = p.brightness(self.address, level)
        async with self._lock:
            await asyncio.to_thread(self._run, [frame])
            self.brightness = level

    async def health(self) -> PeripheralHealth:
        async with self._lock:
            return await asyncio.to_thread(self._probe)

    async def self_test(self) -> PeripheralHealth:
        async with self._lock:
            health = await asyncio.to_thread(self._probe)
            if health.state in (HealthState.ABSENT, HealthState.FAULT):
                return health
            pattern = [p.show(self.address, i, TEST_PATTERN) for i in range(self.lines)]
            restore = [
                f
                for i, (text, blink) in enumerate(self._shown)
                for f in (p.show(self.address, i, text), p.blink(self.address, i, blink))
            ]
            try:
                await asyncio.to_thread(self._run, pattern)
                await asyncio.to_thread(self._run, restore)
            except LedDisplayError as err:
                return PeripheralHealth(state=HealthState.FAULT, reasons=("display-error",), detail=str(err))
        detail = f"{self.lines} 行测试图案显示正常 / test pattern shown on {self.lines} lines"
        if health.detail:
            detail = f"{detail}; {health.detail}"
        return PeripheralHealth(state=health.state, reasons=health.reasons, detail=detail)

    async def aclose(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._drop_link)

    # -- blocking side (worker threads only) ----------------------------------------------------------
    def _check_line(self, line: int) -> None:
        if not 0 <= line < self.lines:
            raise ValueError(f"line {line} outside 0..{self.lines - 1}")

    def _run(self, frames: Sequence[StxFrame]) -> list[StxFrame]:
        with self._io_lock:
            try:
                fresh = self._link is None
                link = self._ensure_link()
                todo = list(frames)
                if fresh and self.brightness is not None:
                    todo.insert(0, p.brightness(self.address, self.brightness))
                return [self._transact(link, f) for f in todo]
            except LinkClosed as err:
                self._drop_link()
                raise DisplayAbsent(f"{self.name}: {err}") from err

    def _transact(self, link: ByteLink, frame: StxFrame) -> StxFrame:
        problem = "no answer"
        for attempt in range(self.retries + 1):
            if self._dirty:
                link.discard_input()
                self._dirty = False
            link.write(frame.encode())
            try:
                reply = self._await_reply(link, frame)
            except StxFrameError as err:
                problem = str(err)
                reply = None
            if reply is None:
                self._dirty = True
                log.info("%s: %s to command 0x%02X (attempt %d)", self.name, problem, frame.cmd, attempt + 1)
                continue
            if reply.cmd == p.Reply.ACK:
                return reply
            reason = reply.payload[1] if len(reply.payload) > 1 else 0
            meaning = p.NAK_MEANING.get(reason, "undocumented")
            if reason in _RETRY_NAKS and attempt < self.retries:
                continue
            raise DisplayRejected(reason, f"{self.name}: NAK 0x{reason:02X} ({meaning}) to 0x{frame.cmd:02X}")
        raise DisplayNoAnswer(f"{self.name}: {problem} to command 0x{frame.cmd:02X} at address {self.address}")

    def _await_reply(self, link: ByteLink, request: StxFrame) -> StxFrame | None:
        parser = StxParser()
        now = time.monotonic()
        deadline = now + self.timing.response_timeout_s
        last_byte = now
        while True:
            limit = min(deadline, last_byte + self.timing.inter_byte_timeout_s) if parser.pending else deadline
            wait = limit - time.monotonic()
            if wait <= 0:
                parser.end_of_data()
                return None
            data = link.read(wait)
            if not data:
                continue
            last_byte = time.monotonic()
            parser.receive_data(data)
            while (reply := parser.next_frame()) is not None:
                if p.answers(request, reply):
                    return reply
                log.debug("%s: ignored a frame not answering 0x%02X", self.name, request.cmd)

    def _probe(self) -> PeripheralHealth:
        try:
            (reply,) = self._run([p.status(self.address)])
            status = p.DisplayStatus.decode(reply.payload[1:])
        except DisplayAbsent as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=("port-absent",), detail=str(err))
        except DisplayNoAnswer as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=("display-not-responding",), detail=str(err))
        except (LedDisplayError, ValueError) as err:
            return PeripheralHealth(state=HealthState.DEGRADED, reasons=("display-error",), detail=str(err))
        reasons: list[str] = []
        state = HealthState.OK
        if status.faults & p.FaultFlag.MODULE:
            reasons.append("module-fault")
            state = HealthState.FAULT
        for flag, reason in ((p.FaultFlag.OVERHEAT, "overheat"), (p.FaultFlag.POWER, "power-low")):
            if status.faults & flag:
                reasons.append(reason)
                if state is HealthState.OK:
                    state = HealthState.DEGRADED
        detail = f"{status.lines}x{status.columns}, brightness {status.brightness}"
        return PeripheralHealth(state=state, reasons=tuple(reasons), detail=detail)

    def _ensure_link(self) -> ByteLink:
        if self._link is None:
            self._link = self._open_link()
            self._dirty = False
        return self._link

    def _drop_link(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
