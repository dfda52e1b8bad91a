"""IPP printer and job states → health and job verdicts (sans-IO; time is an argument).

CUPS passes a remote printer's ``printer-state-reasons`` on with whatever suffix the device used, and an
IPP Everywhere printer may report an empty tray as ``media-empty-warning`` while it waits for paper. So
known keywords are judged by name; only unknown ones fall back to their suffix (RFC 8011 §5.4.12).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.health import HealthState, PeripheralHealth

_SUFFIXES = ("-error", "-warning", "-report")

# keyword (suffix stripped) → (our reason code, how bad)
_KNOWN: dict[str, tuple[str, HealthState]] = {
    "media-empty": ("media-empty", HealthState.FAULT),
    "media-needed": ("media-empty", HealthState.FAULT),
    "input-tray-missing": ("media-empty", HealthState.FAULT),
    "media-low": ("media-low", HealthState.DEGRADED),
    "media-jam": ("media-jam", HealthState.FAULT),
    "cover-open": ("cover-open", HealthState.FAULT),
    "door-open": ("cover-open", HealthState.FAULT),
    "interlock-open": ("cover-open", HealthState.FAULT),
    "offline": ("offline", HealthState.FAULT),
    "shutdown": ("offline", HealthState.FAULT),
    "timed-out": ("offline", HealthState.FAULT),
    "connecting-to-device": ("connecting", HealthState.DEGRADED),
    "toner-low": ("toner-low", HealthState.DEGRADED),
    "marker-supply-low": ("toner-low", HealthState.DEGRADED),
    "toner-empty": ("toner-empty", HealthState.FAULT),
    "marker-supply-empty": ("toner-empty", HealthState.FAULT),
    "marker-waste-almost-full": ("waste-almost-full", HealthState.DEGRADED),
    "marker-waste-full": ("waste-full", HealthState.FAULT),
    "paused": ("paused", HealthState.FAULT),
    "spool-area-full": ("spool-area-full", HealthState.FAULT),
    "other": ("other-error", HealthState.FAULT),
}
# Bookkeeping of the CUPS scheduler, not the printer's condition.
_IGNORED_PREFIXES = ("cups-", "com.apple.")
_IGNORED = frozenset({"none", "moving-to-paused", "printer-restarted", "printer-shutdown", "deactivated"})


class PrinterState(IntEnum):
    IDLE = 3
    PROCESSING = 4
    STOPPED = 5


class JobState(IntEnum):
    PENDING = 3
    PENDING_HELD = 4
    PROCESSING = 5
    PROCESSING_STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9

    @property
    def terminal(self) -> bool:
        return self >= JobState.CANCELED


def split_reason(keyword: str) -> tuple[str, str]:
    for suffix in _SUFFIXES:
        if keyword.endswith(suffix):
            return keyword[: -len(suffix)], suffix[1:]
    return keyword, ""


def classify(keywords: list[str] | tuple[str, ...]) -> list[tuple[str, HealthState]]:
    """Each meaningful keyword as (reason code, severity), in order, without duplicates."""
    out: list[tuple[str, HealthState]] = []
    seen: set[str] = set()
    for keyword in keywords:
        if keyword in _IGNORED or keyword.startswith(_IGNORED_PREFIXES):
            continue
        base, suffix = split_reason(keyword)
        if base in _KNOWN:
            code, severity = _KNOWN[base]
        elif suffix == "error":
            code, severity = base, HealthState.FAULT
        elif suffix == "warning":
            code, severity = base, HealthState.DEGRADED
        else:
            continue  # an unknown "-report" or bare keyword is informational
        if code not in seen:
            seen.add(code)
            out.append((code, severity))
    return out


@dataclass(frozen=True, slots=True)
class PrinterSnapshot:
    state: PrinterState
    reasons: tuple[str, ...]
    accepting: bool = True
    message: str = ""
    device_reachable: bool | None = None  # None: not a network device, or not probed


def printer_health(snapshot: PrinterSnapshot) -> PeripheralHealth:
    found = classify(snapshot.reasons)
    codes = [code for code, _ in found]
    state = HealthState.OK
    for _, severity in found:
        if severity is HealthState.FAULT or state is HealthState.OK:
            state = severity
    if snapshot.state is PrinterState.STOPPED:
        state = HealthState.FAULT
        if "paused" not in codes:
            codes.append("paused")
    if snapshot.device_reachable is False and "offline" not in codes:
        # CUPS's ipp backend only says "may not exist or is unavailable" in a message while it retries
        state = HealthState.FAULT
        codes.append("offline")
    if not snapshot.accepting:
        state = HealthState.FAULT
        codes.append("not-accepting-jobs")
    if state is HealthState.OK:
        return PeripheralHealth.ok()
    detail = f"printer-state {snapshot.state.name.lower()}, reasons {', '.join(snapshot.reasons)}"
    if snapshot.message:
        detail += f": {snapshot.message}"
    return PeripheralHealth(state=state, reasons=tuple(codes), detail=detail)


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    state: JobState
    reasons: tuple[str, ...] = ()
    message: str = ""


class Verdict(IntEnum):
    WAIT = 0
    COMPLETED = 1
    CANCELED = 2
    ABORTED = 3
    HELD = 4  # never prints unattended: give up at once
    PRINTER_STOPPED = 5  # the queue stopped (error policy stop-printer): give up at once
    TIMED_OUT = 6


def judge(job: JobSnapshot, printer: PrinterSnapshot, *, elapsed_s: float, timeout_s: float) -> Verdict:
    """What to do with a job we are following, given the latest snapshots."""
    if job.state is JobState.COMPLETED:
        return Verdict.COMPLETED
    if job.state is JobState.CANCELED:
        return Verdict.CANCELED
    if job.state is JobState.ABORTED:
        return Verdict.ABORTED
    if job.state is JobState.PENDING_HELD:
        return Verdict.HELD
    if job.state is JobState.PENDING and printer.state is PrinterState.STOPPED:
        return Verdict.PRINTER_STOPPED
    if elapsed_s >= timeout_s:
        return Verdict.TIMED_OUT
    return Verdict.WAIT
