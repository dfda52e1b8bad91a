from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.document_printer.errors import (
    CoverOpen,
    JobFailed,
    JobTimeout,
    PaperJam,
    PaperOut,
    PrinterOffline,
    error_for_reasons,
)
from drivers.document_printer.ipp_states import (
    JobSnapshot,
    JobState,
    PrinterSnapshot,
    PrinterState,
    Verdict,
    classify,
    judge,
    printer_health,
)
from drivers.health import HealthState


@pytest.mark.parametrize(("reasons", "state", "codes"), [
    (["none"], HealthState.OK, ()),
    (["cups-waiting-for-job-completed"], HealthState.OK, ()),
    (["media-empty-error"], HealthState.FAULT, ("media-empty",)),
    (["media-empty-warning", "media-needed-warning"], HealthState.FAULT, ("media-empty",)),  # as CUPS relays it
    (["media-needed"], HealthState.FAULT, ("media-empty",)),
    (["media-low-report"], HealthState.DEGRADED, ("media-low",)),
    (["cover-open-error"], HealthState.FAULT, ("cover-open",)),
    (["door-open-warning"], HealthState.FAULT, ("cover-open",)),
    (["offline-report"], HealthState.FAULT, ("offline",)),
    (["media-jam-error"], HealthState.FAULT, ("media-jam",)),
    (["toner-low-report", "media-low-warning"], HealthState.DEGRADED, ("toner-low", "media-low")),
    (["toner-low-report", "media-empty-error"], HealthState.FAULT, ("toner-low", "media-empty")),
    (["vendor-thing-error"], HealthState.FAULT, ("vendor-thing",)),
    (["vendor-thing-warning"], HealthState.DEGRADED, ("vendor-thing",)),
    (["vendor-thing-report"], HealthState.OK, ()),
    (["connecting-to-device"], HealthState.DEGRADED, ("connecting",)),
])
def test_printer_reasons_to_health(reasons: list[str], state: HealthState, codes: tuple[str, ...]) -> None:
    health = printer_health(PrinterSnapshot(state=PrinterState.IDLE, reasons=tuple(reasons)))
    assert (health.state, health.reasons) == (state, codes)


def test_stopped_or_rejecting_queue_is_a_fault() -> None:
    stopped = printer_health(PrinterSnapshot(state=PrinterState.STOPPED, reasons=("paused",)))
    assert (stopped.state, stopped.reasons) == (HealthState.FAULT, ("paused",))
    rejecting = printer_health(PrinterSnapshot(state=PrinterState.IDLE, reasons=(), accepting=False))
    assert (rejecting.state, rejecting.reasons) == (HealthState.FAULT, ("not-accepting-jobs",))


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz-.", max_size=30), max_size=8))
def test_classify_never_fails_and_never_repeats(keywords: list[str]) -> None:
    found = classify(keywords)
    codes = [c for c, _ in found]
    assert len(codes) == len(set(codes))
    health = printer_health(PrinterSnapshot(state=PrinterState.PROCESSING, reasons=tuple(keywords)))
    worst = HealthState.FAULT if any(s is HealthState.FAULT for _, s in found) else (
        HealthState.DEGRADED if found else HealthState.OK)
    assert health.state is worst


IDLE = PrinterSnapshot(state=PrinterState.IDLE, reasons=())
STOPPED = PrinterSnapshot(state=PrinterState.STOPPED, reasons=("media-empty-error",))


@pytest.mark.parametrize(("job", "printer", "elapsed", "verdict"), [
    (JobState.COMPLETED, IDLE, 1.0, Verdict.COMPLETED),
    (JobState.COMPLETED, IDLE, 99.0, Verdict.COMPLETED),  # done is done, even when late
    (JobState.CANCELED, IDLE, 1.0, Verdict.CANCELED),
    (JobState.ABORTED, IDLE, 1.0, Verdict.ABORTED),
    (JobState.PENDING_HELD, IDLE, 0.0, Verdict.HELD),
    (JobState.PENDING, STOPPED, 0.0, Verdict.PRINTER_STOPPED),
    (JobState.PENDING, IDLE, 0.0, Verdict.WAIT),
    (JobState.PROCESSING, IDLE, 9.9, Verdict.WAIT),
    (JobState.PROCESSING, IDLE, 10.0, Verdict.TIMED_OUT),
    (JobState.PROCESSING_STOPPED, STOPPED, 3.0, Verdict.WAIT),
    (JobState.PROCESSING_STOPPED, STOPPED, 10.0, Verdict.TIMED_OUT),
])
def test_judge_table(job: JobState, printer: PrinterSnapshot, elapsed: float, verdict: Verdict) -> None:
    assert judge(JobSnapshot(state=job), printer, elapsed_s=elapsed, timeout_s=10.0) is verdict


@pytest.mark.parametrize(("reasons", "default", "expected"), [
    (("media-empty",), JobTimeout, PaperOut),
    (("toner-low", "media-jam"), JobFailed, PaperJam),
    (("cover-open",), JobTimeout, CoverOpen),
    (("offline",), JobTimeout, PrinterOffline),
    ((), JobTimeout, JobTimeout),
    (("toner-low",), JobFailed, JobFailed),
])
def test_error_for_reasons(reasons: tuple[str, ...], default: type, expected: type) -> None:
    err = error_for_reasons(reasons, "detail", job_id=7, default=default)
    assert type(err) is expected
    assert err.job_id == 7
    assert err.reasons == reasons
