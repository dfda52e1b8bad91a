"""Parsing of ESC/POS real-time status bytes (DLE EOT n) and their mapping to PeripheralHealth (sans-IO).

Every status byte has bit 1 and bit 4 set and bits 0 and 7 clear; anything else is line noise or a
printer that does not speak ESC/POS, and is rejected rather than guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.health import HealthState, PeripheralHealth
from drivers.receipt_printer.escpos import StatusRequest

FIXED_MASK = 0b1001_0011
FIXED_VALUE = 0b0001_0010


class StatusByteError(ValueError):
    """A byte that cannot be a DLE EOT answer (the peer's fault)."""

    def __init__(self, request: StatusRequest, value: int) -> None:
        super().__init__(f"not a DLE EOT {int(request)} status byte: 0x{value:02x}")
        self.request = request
        self.value = value


def _check(request: StatusRequest, value: int) -> int:
    if not 0 <= value <= 0xFF or value & FIXED_MASK != FIXED_VALUE:
        raise StatusByteError(request, value)
    return value


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """n=1."""

    drawer_pin3_high: bool
    offline: bool
    waiting_for_recovery: bool
    feed_button_pressed: bool

    @classmethod
    def parse(cls, value: int) -> PrinterStatus:
        v = _check(StatusRequest.PRINTER, value)
        return cls(bool(v & 0x04), bool(v & 0x08), bool(v & 0x20), bool(v & 0x40))


@dataclass(frozen=True, slots=True)
class OfflineCause:
    """n=2."""

    cover_open: bool
    feeding_by_button: bool
    stopped_paper_end: bool
    error: bool

    @classmethod
    def parse(cls, value: int) -> OfflineCause:
        v = _check(StatusRequest.OFFLINE_CAUSE, value)
        return cls(bool(v & 0x04), bool(v & 0x08), bool(v & 0x20), bool(v & 0x40))


@dataclass(frozen=True, slots=True)
class ErrorCause:
    """n=3."""

    recoverable: bool
    cutter_error: bool
    unrecoverable: bool
    auto_recoverable: bool

    @classmethod
    def parse(cls, value: int) -> ErrorCause:
        v = _check(StatusRequest.ERROR_CAUSE, value)
        return cls(bool(v & 0x04), bool(v & 0x08), bool(v & 0x20), bool(v & 0x40))


@dataclass(frozen=True, slots=True)
class PaperSensor:
    """n=4. Each sensor is reported on two bits; either bit counts, as printers differ in which they set."""

    near_end: bool
    paper_end: bool

    @classmethod
    def parse(cls, value: int) -> PaperSensor:
        v = _check(StatusRequest.PAPER_SENSOR, value)
        return cls(bool(v & 0x0C), bool(v & 0x60))


@dataclass(frozen=True, slots=True)
class FullStatus:
    printer: PrinterStatus
    offline: OfflineCause
    error: ErrorCause
    paper: PaperSensor

    @classmethod
    def parse(cls, values: bytes) -> FullStatus:
        """The four answers to DLE EOT 1, 2, 3, 4, in that order."""
        if len(values) != 4:
            raise ValueError(f"need 4 status bytes, got {len(values)}")
        return cls(PrinterStatus.parse(values[0]), OfflineCause.parse(values[1]),
                   ErrorCause.parse(values[2]), PaperSensor.parse(values[3]))

    @property
    def paper_out(self) -> bool:
        return self.paper.paper_end or self.offline.stopped_paper_end

    def reasons(self) -> tuple[str, ...]:
        found: list[str] = []
        if self.paper_out:
            found.append("media-empty")
        elif self.paper.near_end:
            found.append("media-low")
        if self.offline.cover_open:
            found.append("cover-open")
        if self.error.cutter_error:
            found.append("cutter-error")
        if self.error.unrecoverable:
            found.append("unrecoverable-error")
        if self.error.auto_recoverable:
            found.append("auto-recoverable-error")
        if self.error.recoverable:
            found.append("recoverable-error")
        if self.printer.offline and not found:
            found.append("offline")
        return tuple(found)


# A fault stops printing; everything else on the list only needs attention soon.
_FAULT_REASONS = frozenset({"media-empty", "cover-open", "cutter-error", "unrecoverable-error", "offline",
                            "recoverable-error"})


def to_health(status: FullStatus | None) -> PeripheralHealth:
    """``None`` means the printer did not answer at all."""
    if status is None:
        return PeripheralHealth(state=HealthState.FAULT, reasons=("offline",),
                                detail="The receipt printer does not answer status requests.")
    reasons = status.reasons()
    if not reasons:
        return PeripheralHealth.ok()
    if status.printer.offline or any(r in _FAULT_REASONS for r in reasons):
        state = HealthState.FAULT
    else:
        state = HealthState.DEGRADED
    detail = "Receipt printer reports: " + ", ".join(reasons)
    return PeripheralHealth(state=state, reasons=reasons, detail=detail)
