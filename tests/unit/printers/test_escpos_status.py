from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.health import HealthState
from drivers.receipt_printer.emulator import EscposEmulator, Faults
from drivers.receipt_printer.escpos import StatusRequest
from drivers.receipt_printer.status import (
    ErrorCause,
    FullStatus,
    OfflineCause,
    PaperSensor,
    PrinterStatus,
    StatusByteError,
    to_health,
)


@pytest.mark.parametrize(("value", "expected"), [
    (0x12, PrinterStatus(False, False, False, False)),
    (0x16, PrinterStatus(True, False, False, False)),
    (0x1A, PrinterStatus(False, True, False, False)),
    (0x3A, PrinterStatus(False, True, True, False)),
    (0x52, PrinterStatus(False, False, False, True)),
])
def test_printer_status_table(value: int, expected: PrinterStatus) -> None:
    assert PrinterStatus.parse(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0x12, OfflineCause(False, False, False, False)),
    (0x16, OfflineCause(True, False, False, False)),
    (0x1A, OfflineCause(False, True, False, False)),
    (0x32, OfflineCause(False, False, True, False)),
    (0x72, OfflineCause(False, False, True, True)),
])
def test_offline_cause_table(value: int, expected: OfflineCause) -> None:
    assert OfflineCause.parse(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0x12, ErrorCause(False, False, False, False)),
    (0x16, ErrorCause(True, False, False, False)),
    (0x1A, ErrorCause(False, True, False, False)),
    (0x32, ErrorCause(False, False, True, False)),
    (0x52, ErrorCause(False, False, False, True)),
])
def test_error_cause_table(value: int, expected: ErrorCause) -> None:
    assert ErrorCause.parse(value) == expected


@pytest.mark.parametrize(("value", "near_end", "paper_end"), [
    (0x12, False, False), (0x1E, True, False), (0x16, True, False), (0x72, False, True), (0x7E, True, True),
])
def test_paper_sensor_table(value: int, near_end: bool, paper_end: bool) -> None:
    assert PaperSensor.parse(value) == PaperSensor(near_end, paper_end)


@pytest.mark.parametrize("bad", [0x00, 0xFF, 0x10, 0x02, 0x13, 0x92, 0x100, -1])
def test_bytes_that_are_not_status_are_rejected(bad: int) -> None:
    with pytest.raises(StatusByteError):
        PrinterStatus.parse(bad)


@given(st.integers(min_value=0, max_value=255))
def test_any_byte_parses_iff_fixed_bits_match(value: int) -> None:
    valid = value & 0x93 == 0x12
    for parser in (PrinterStatus.parse, OfflineCause.parse, ErrorCause.parse, PaperSensor.parse):
        if valid:
            parser(value)
        else:
            with pytest.raises(StatusByteError):
                parser(value)


HEALTH_TABLE = [
    (b"\x12\x12\x12\x12", HealthState.OK, ()),
    (b"\x12\x12\x12\x1e", HealthState.DEGRADED, ("media-low",)),
    (b"\x1a\x32\x12\x7e", HealthState.FAULT, ("media-empty",)),
    (b"\x1a\x16\x12\x12", HealthState.FAULT, ("cover-open",)),
    (b"\x1a\x52\x1a\x12", HealthState.FAULT, ("cutter-error",)),
    (b"\x1a\x52\x32\x12", HealthState.FAULT, ("unrecoverable-error",)),
    (b"\x1a\x52\x52\x12", HealthState.FAULT, ("auto-recoverable-error",)),
    (b"\x12\x12\x52\x12", HealthState.DEGRADED, ("auto-recoverable-error",)),
    (b"\x1a\x12\x12\x12", HealthState.FAULT, ("offline",)),
    (b"\x1a\x36\x12\x7e", HealthState.FAULT, ("media-empty", "cover-open")),
]


@pytest.mark.parametrize(("raw", "state", "reasons"), HEALTH_TABLE)
def test_health_mapping(raw: bytes, state: HealthState, reasons: tuple[str, ...]) -> None:
    health = to_health(FullStatus.parse(raw))
    assert (health.state, health.reasons) == (state, reasons)


def test_no_answer_is_offline_fault() -> None:
    health = to_health(None)
    assert (health.state, health.reasons) == (HealthState.FAULT, ("offline",))


def test_full_status_needs_four_bytes() -> None:
    with pytest.raises(ValueError):
        FullStatus.parse(b"\x12\x12")


@given(st.builds(Faults, paper_near_end=st.booleans(), paper_out=st.booleans(), cover_open=st.booleans(),
                 unrecoverable=st.booleans()))
def test_emulator_status_bytes_round_trip_through_the_parser(faults: Faults) -> None:
    emu = EscposEmulator(faults=faults)
    raw = bytes(emu.status_byte(int(n)) for n in StatusRequest)
    status = FullStatus.parse(raw)
    assert status.paper_out == faults.paper_out
    assert status.offline.cover_open == faults.cover_open
    assert status.error.unrecoverable == faults.unrecoverable
    stops = faults.paper_out or faults.cover_open or faults.unrecoverable
    assert status.printer.offline == stops
    health = to_health(status)
    if stops:
        assert health.state is HealthState.FAULT
    elif faults.paper_near_end:
        assert (health.state, health.reasons) == (HealthState.DEGRADED, ("media-low",))
    else:
        assert health.state is HealthState.OK


@given(st.binary(max_size=8))
def test_any_status_answer_parses_or_is_a_value_error(raw: bytes) -> None:
    """Whatever the serial line delivers: a status with a health, or a ValueError (StatusByteError for a byte
    whose fixed bits are wrong), never another exception."""
    try:
        status = FullStatus.parse(raw)
    except StatusByteError:
        return
    except ValueError:
        assert len(raw) != 4
        return
    health = to_health(status)
    assert health.state in (HealthState.OK, HealthState.DEGRADED, HealthState.FAULT)
    assert set(health.reasons) <= {"media-empty", "media-low", "cover-open", "cutter-error", "unrecoverable-error",
                                   "auto-recoverable-error", "recoverable-error", "offline"}
