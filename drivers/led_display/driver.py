"""The LED window display driver: the protocol over a blocking byte link, run in worker threads."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from drivers.byte_link import ByteLink, LinkError, LinkHolder
from drivers.health import HealthState, PeripheralHealth
from drivers.led_display import protocol as p
from drivers.led_display.errors import DisplayAbsent, DisplayNoAnswer, DisplayRejected, LedDisplayError
from drivers.link_frames import frames_within
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
        self._link = LinkHolder(open_link)
        self.address = address
        self.lines = lines
        self.brightness = brightness
        self.timing = timing or LedTiming()
        self.retries = retries
        self.name = name
        self._lock = asyncio.Lock()
        self._io_lock = threading.Lock()  # a cancelled await leaves its thread running to its deadline
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
            await asyncio.to_thread(self._link.drop)

    # -- blocking side (worker threads only) ----------------------------------------------------------
    def _check_line(self, line: int) -> None:
        if not 0 <= line < self.lines:
            raise ValueError(f"line {line} outside 0..{self.lines - 1}")

    def _run(self, frames: Sequence[StxFrame]) -> list[StxFrame]:
        with self._io_lock:
            try:
                todo = list(frames)
                if self._link.current is None and self.brightness is not None:
                    todo.insert(0, p.brightness(self.address, self.brightness))  # a fresh port: set it once
                return [self._transact(f) for f in todo]
            except LinkError as err:
                self._link.drop()
                raise DisplayAbsent(f"{self.name}: {err}") from err

    def _transact(self, frame: StxFrame) -> StxFrame:
        problem = "no answer"
        for attempt in range(self.retries + 1):
            link = self._link.get()
            link.write(frame.encode())
            try:
                reply = self._await_reply(link, frame)
            except StxFrameError as err:
                problem = str(err)
                reply = None
            if reply is None:
                self._link.expect_late()
                log.info("%s: %s to command 0x%02X (attempt %d)", self.name, problem, frame.cmd, attempt + 1)
                continue
            if reply.cmd == p.Reply.ACK:
                return reply
            nak = reply.payload[1] if len(reply.payload) > 1 else 0
            meaning = p.NAK_MEANING.get(nak, "undocumented")
            if nak in _RETRY_NAKS and attempt < self.retries:
                continue
            raise DisplayRejected(nak, f"{self.name}: NAK 0x{nak:02X} ({meaning}) to 0x{frame.cmd:02X}")
        raise DisplayNoAnswer(f"{self.name}: {problem} to command 0x{frame.cmd:02X} at address {self.address}")

    def _await_reply(self, link: ByteLink, request: StxFrame) -> StxFrame | None:
        t = self.timing
        for reply in frames_within(
            link, StxParser(), timeout=t.response_timeout_s, inter_byte_timeout=t.inter_byte_timeout_s
        ):
            if p.answers(request, reply):
                return reply
            log.debug("%s: ignored a frame not answering 0x%02X", self.name, request.cmd)
        return None

    def _probe(self) -> PeripheralHealth:
        try:
            (reply,) = self._run([p.status(self.address)])
            status = p.DisplayStatus.decode(reply.payload[1:])
        except DisplayAbsent as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
        except DisplayNoAnswer as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
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
