"""The GA 467 reader driver: the protocol core over a blocking byte link, run in worker threads.

One class serves both the real reader (a pyserial port) and the simulator (the emulator wired in
process), so the simulator goes through exactly the same framing, timeouts and error mapping.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from drivers.byte_link import ByteLink, LinkError, LinkHolder
from drivers.errors import DeviceFault
from drivers.health import HealthState, PeripheralHealth
from drivers.idcard.commands import Command, could_answer, format_sam_id, parse_read_data
from drivers.idcard.errors import (
    CardSelectFailed,
    CommandRejected,
    FrameChecksumError,
    FrameError,
    FrameLengthError,
    IdCardError,
    ReaderAbsent,
    ReaderStatusError,
    ReaderTimeout,
)
from drivers.idcard.frame import ResponseFrame, ResponseParser
from drivers.idcard.record import IdentityRecord, decode_identity
from drivers.idcard.status import Sw3, describe, error_for
from drivers.link_frames import frames_within

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Timing:
    response_timeout_s: float = 1.0  # find, select, SAM commands
    read_timeout_s: float = 3.0  # reading text + photo (+ fingerprint) takes longer
    inter_byte_timeout_s: float = 0.3  # a started frame whose bytes stop for this long is torn


_RETRYABLE = (FrameChecksumError, FrameLengthError, CommandRejected)
_LINE_WINDOW = 20  # transactions remembered for the line-quality figure
_LINE_DEGRADED = 3  # this many broken frames among them → degraded


class Ga467Reader:
    """An ``IdReader`` speaking GA 467 over ``open_link()`` (opened lazily, reopened after a loss)."""

    def __init__(
        self,
        open_link: Callable[[], ByteLink],
        *,
        timing: Timing | None = None,
        with_fingerprint: bool = False,
        retries: int = 1,
        name: str = "id-reader",
    ) -> None:
        self._link = LinkHolder(open_link)
        self.timing = timing or Timing()
        self.with_fingerprint = with_fingerprint
        self.retries = retries
        self.name = name
        self._lock = asyncio.Lock()
        # A cancelled await leaves its thread running to its deadline; the next one must wait for it.
        self._io_lock = threading.Lock()
        self._line: deque[bool] = deque(maxlen=_LINE_WINDOW)

    # -- IdReader ------------------------------------------------------------------------------------
    async def read_card(self) -> IdentityRecord | None:
        """Find → select → read. None when no card is on the reader."""
        async with self._lock:
            for attempt in range(self.retries + 1):
                try:
                    record = await asyncio.to_thread(self._read_card_blocking)
                except _RETRYABLE as err:
                    if attempt == self.retries:
                        raise
                    log.info("%s: retrying read after %s", self.name, err)
                    continue
                if record is not None:
                    log.info("%s: card read (%s)", self.name, record.masked_id_number)
                return record
        raise AssertionError("unreachable")

    async def health(self) -> PeripheralHealth:
        async with self._lock:
            health, _ = await asyncio.to_thread(self._probe, False)
            return health

    async def self_test(self) -> PeripheralHealth:
        """SAM status and SAM number; the detail says what was checked."""
        async with self._lock:
            health, sam = await asyncio.to_thread(self._probe, True)
        if health.state is HealthState.OK:
            detail = f"SAM 正常，编号 {sam} / SAM ok, id {sam}"
            return PeripheralHealth(state=health.state, reasons=health.reasons, detail=detail)
        return health

    async def aclose(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._link.drop)

    # -- blocking side (worker threads only) ----------------------------------------------------------
    def _read_card_blocking(self) -> IdentityRecord | None:
        t = self.timing
        find = self._exchange(Command.FIND_CARD, t.response_timeout_s)
        if find.sw3 == Sw3.FIND_FAILED:
            return None
        if find.sw3 != Sw3.FIND_SUCCESS:
            raise error_for(find.sw3, "find card")
        select = self._exchange(Command.SELECT_CARD, t.response_timeout_s)
        if select.sw3 in (Sw3.FIND_FAILED, Sw3.SELECT_FAILED):
            raise CardSelectFailed(select.sw3, f"select card: {describe(select.sw3)}")
        if select.sw3 != Sw3.SUCCESS:
            raise error_for(select.sw3, "select card")
        command = Command.READ_TEXT_PHOTO_FINGERPRINT if self.with_fingerprint else Command.READ_TEXT_PHOTO
        read = self._exchange(command, t.read_timeout_s)
        if read.sw3 != Sw3.SUCCESS:
            raise error_for(read.sw3, "read card")
        payload = parse_read_data(command, read.data)
        return decode_identity(payload.text, payload.photo, payload.fingerprint)

    def _probe(self, with_sam_id: bool) -> tuple[PeripheralHealth, str]:
        t = self.timing
        try:
            status = self._exchange(Command.SAM_STATUS, t.response_timeout_s)
            if status.sw3 != Sw3.SUCCESS:
                raise error_for(status.sw3, "SAM status")
            sam = ""
            if with_sam_id:
                answer = self._exchange(Command.READ_SAM_ID, t.response_timeout_s)
                if answer.sw3 != Sw3.SUCCESS:
                    raise error_for(answer.sw3, "read SAM id")
                sam = format_sam_id(answer.data)
        except ReaderAbsent as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err)), ""
        except ReaderTimeout as err:
            return PeripheralHealth(state=HealthState.FAULT, reasons=(err.reason,), detail=str(err)), ""
        except ReaderStatusError as err:
            if isinstance(err, DeviceFault):  # the SAM failed or is not authorised
                return PeripheralHealth(state=HealthState.FAULT, reasons=(err.reason,), detail=str(err)), ""
            return PeripheralHealth(
                state=HealthState.DEGRADED, reasons=("reader-error",), detail=str(err)
            ), ""
        except IdCardError as err:
            return PeripheralHealth(state=HealthState.DEGRADED, reasons=("line-errors",), detail=str(err)), ""
        broken = sum(self._line)
        if broken >= _LINE_DEGRADED:
            detail = f"{broken} of the last {len(self._line)} answers arrived broken"
            return PeripheralHealth(state=HealthState.DEGRADED, reasons=("line-errors",), detail=detail), sam
        return PeripheralHealth.ok(), sam

    def _exchange(self, command: Command, timeout: float) -> ResponseFrame:
        with self._io_lock:
            try:
                link = self._link.get()
                link.write(command.frame().encode())
                answer = self._await_answer(link, command, timeout)
            except LinkError as err:
                self._link.drop()
                raise ReaderAbsent(f"{self.name}: {err}") from err
            except FrameError:
                self._link.expect_late()
                self._line.append(True)
                raise
            except ReaderTimeout:
                self._link.expect_late()
                raise
            self._line.append(False)
            return answer

    def _await_answer(self, link: ByteLink, command: Command, timeout: float) -> ResponseFrame:
        parser = ResponseParser()
        # a frame cut off raises FrameTruncated from inside the loop
        for frame in frames_within(
            link, parser, timeout=timeout, inter_byte_timeout=self.timing.inter_byte_timeout_s
        ):
            if could_answer(command, frame):
                if parser.discarded:
                    log.debug("%s: skipped %d bytes of line noise", self.name, parser.discarded)
                return frame
            log.warning(
                "%s: dropped a late answer (%s) while waiting for %s",
                self.name,
                describe(frame.sw3),
                command.name,
            )
        raise ReaderTimeout(f"{self.name}: no answer to {command.name} within {timeout:.2f} s")
