"""The CUPS document printer: pycups in one dedicated worker thread, jobs followed to their end state.

libcups keeps its server and port per thread, and a pycups Connection must not be shared between
threads, so every CUPS call runs on the same single worker thread, which owns the connection.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import cups

from drivers.document_printer import ipp_states
from drivers.document_printer.config import CupsConfig
from drivers.document_printer.documents import document_format, render_test_page
from drivers.document_printer.errors import (
    DocumentPrinterError,
    JobFailed,
    JobTimeout,
    PrintServiceUnavailable,
    error_for_reasons,
)
from drivers.document_printer.interface import PrintedJob
from drivers.health import HealthState, PeripheralHealth

log = logging.getLogger(__name__)
T = TypeVar("T")

IPP_NOT_FOUND = 0x0406
_PRINTER_ATTRS = ["printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
                  "device-uri"]
_NETWORK_PORTS = {"ipp": 631, "ipps": 631, "http": 631, "https": 443, "socket": 9100, "lpd": 515}
PROBE_TIMEOUT_S = 0.5
_JOB_ATTRS = ["job-state", "job-state-reasons", "job-printer-state-message"]


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _probe_device(uri: str) -> bool | None:
    """Can a TCP connection be made to a network printer's address? None for USB, file and the like."""
    parts = urlsplit(uri)
    if parts.scheme not in _NETWORK_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _NETWORK_PORTS[parts.scheme]
        with socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT_S):
            return True
    except (OSError, ValueError):
        return False


class CupsPrinter:
    """Implements DocumentPrinter."""

    def __init__(self, config: CupsConfig) -> None:
        self.config = config
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cups-{config.queue}",
                                            initializer=self._init_thread)
        self._conn: Any = None  # cups.Connection, touched only on the worker thread

    # ---------------------------------------------------------------- worker thread

    def _init_thread(self) -> None:
        cups.setServer(self.config.host)
        cups.setPort(self.config.port)

    def _connection(self) -> Any:
        if self._conn is None:
            try:
                self._conn = cups.Connection(host=self.config.host, port=self.config.port)
            except RuntimeError as err:  # pycups' "failed to connect to server"
                raise PrintServiceUnavailable(
                    f"cupsd at {self.config.host}:{self.config.port} unreachable: {err}") from err
        return self._conn

    def _call(self, fn: Callable[[Any], T]) -> T:
        """Run one CUPS operation; translate pycups errors; reconnect next time after a broken link."""
        try:
            return fn(self._connection())
        except cups.IPPError as err:
            status, message = err.args
            if status == IPP_NOT_FOUND:
                raise PrintServiceUnavailable(f"queue {self.config.queue!r}: {message}") from err
            raise DocumentPrinterError(f"CUPS refused: {message} (0x{status:04x})") from err
        except cups.HTTPError as err:
            self._conn = None
            raise PrintServiceUnavailable(f"HTTP error {err.args[0]} talking to cupsd") from err
        except RuntimeError as err:
            self._conn = None
            raise PrintServiceUnavailable(f"cupsd connection lost: {err}") from err

    def _printer_snapshot(self, *, probe: bool = False) -> ipp_states.PrinterSnapshot:
        attrs = self._call(lambda c: c.getPrinterAttributes(self.config.queue, requested_attributes=_PRINTER_ATTRS))
        return ipp_states.PrinterSnapshot(
            state=ipp_states.PrinterState(attrs.get("printer-state", 3)),
            reasons=_as_tuple(attrs.get("printer-state-reasons")),
            accepting=bool(attrs.get("printer-is-accepting-jobs", True)),
            message=str(attrs.get("printer-state-message", "")),
            device_reachable=_probe_device(str(attrs.get("device-uri", ""))) if probe else None,
        )

    def _job_snapshot(self, job_id: int) -> ipp_states.JobSnapshot:
        attrs = self._call(lambda c: c.getJobAttributes(job_id, requested_attributes=_JOB_ATTRS))
        return ipp_states.JobSnapshot(
            state=ipp_states.JobState(attrs["job-state"]),
            reasons=_as_tuple(attrs.get("job-state-reasons")),
            message=str(attrs.get("job-printer-state-message", "")),
        )

    def _snapshots(self, job_id: int) -> tuple[ipp_states.JobSnapshot, ipp_states.PrinterSnapshot]:
        return self._job_snapshot(job_id), self._printer_snapshot()

    def _submit(self, path: Path, title: str, copies: int) -> int:
        # Asking first gives "no such queue" plainly (libcups' own lookup would fail with an unhelpful
        # error), and keeps a job out of a stopped queue, where it would print hours later.
        printer = self._printer_snapshot()
        if printer.state is ipp_states.PrinterState.STOPPED or not printer.accepting:
            health = ipp_states.printer_health(printer)
            raise error_for_reasons(health.reasons, f"queue {self.config.queue} not printing: {health.detail}",
                                    job_id=None, default=JobFailed)
        options = {"copies": str(copies)}
        job_id: int = self._call(lambda c: c.printFile(self.config.queue, str(path), title, options))
        return job_id

    def _cancel(self, job_id: int) -> None:
        try:
            self._call(lambda c: c.cancelJob(job_id))
        except DocumentPrinterError:
            log.warning("could not cancel job %d on %s", job_id, self.config.queue, exc_info=True)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    # ---------------------------------------------------------------- public API

    async def health(self) -> PeripheralHealth:
        try:
            snapshot = await self._run(lambda: self._printer_snapshot(probe=True))
        except PrintServiceUnavailable as err:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=(err.reason,), detail=str(err))
        except DocumentPrinterError as err:
            return PeripheralHealth(state=HealthState.FAULT, reasons=("other-error",), detail=str(err))
        return ipp_states.printer_health(snapshot)

    async def print_file(self, path: Path, *, title: str = "OneVisit", copies: int = 1) -> PrintedJob:
        if not 1 <= copies <= 99:
            raise ValueError(f"copies must be 1..99, got {copies}")
        document_format(path)  # refuse anything that is not PDF or PNG before it reaches the queue
        started = time.monotonic()
        job_id = await self._run(self._submit, path, title, copies)
        log.info("job %d submitted to %s", job_id, self.config.queue)
        try:
            return await self._follow(job_id, started)
        except asyncio.CancelledError:
            if self.config.cancel_on_failure:
                self._executor.submit(self._cancel, job_id)  # not awaited: we are being cancelled
            raise

    async def _follow(self, job_id: int, started: float) -> PrintedJob:
        announced: tuple[str, ...] = ()
        while True:
            job, printer = await self._run(self._snapshots, job_id)
            elapsed = time.monotonic() - started
            verdict = ipp_states.judge(job, printer, elapsed_s=elapsed, timeout_s=self.config.job_timeout_s)
            health = ipp_states.printer_health(printer)
            if verdict is ipp_states.Verdict.WAIT:
                if health.reasons != announced and health.state is not HealthState.OK:
                    log.warning("job %d waiting on %s: %s", job_id, self.config.queue, ", ".join(health.reasons))
                announced = health.reasons
                await asyncio.sleep(self.config.poll_interval_s)
                continue
            if verdict is ipp_states.Verdict.COMPLETED:
                log.info("job %d completed in %.1f s", job_id, elapsed)
                return PrintedJob(job_id=job_id, seconds=elapsed, health=health)
            if verdict is ipp_states.Verdict.TIMED_OUT:
                printer = await self._run(lambda: self._printer_snapshot(probe=True))
                health = ipp_states.printer_health(printer)
            raise await self._failure(verdict, job_id, job, health, elapsed)

    async def _failure(self, verdict: ipp_states.Verdict, job_id: int, job: ipp_states.JobSnapshot,
                       health: PeripheralHealth, elapsed: float) -> DocumentPrinterError:
        reasons = health.reasons
        detail = (f"job {job_id} on {self.config.queue}: {verdict.name.lower()} after {elapsed:.1f} s; "
                  f"job-state-reasons {', '.join(job.reasons) or '-'}; printer {health.detail or 'ok'}"
                  + (f"; message {job.message!r}" if job.message else ""))
        if not ipp_states.JobState(job.state).terminal and self.config.cancel_on_failure:
            await self._run(self._cancel, job_id)
            detail += "; job canceled"
        log.error("%s", detail)
        if verdict is ipp_states.Verdict.TIMED_OUT:
            return error_for_reasons(reasons, detail, job_id=job_id, default=JobTimeout)
        return error_for_reasons(reasons, detail, job_id=job_id, default=JobFailed)

    async def self_test(self) -> PrintedJob:
        page = await asyncio.to_thread(render_test_page, self.config.queue, datetime.now())
        with tempfile.TemporaryDirectory(prefix="ov-selftest-") as tmp:
            path = Path(tmp) / "self-test.png"
            await asyncio.to_thread(page.save, path)
            return await self.print_file(path, title="OneVisit self-test")

    async def close(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, True)
