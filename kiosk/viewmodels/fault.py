"""Device faults said plainly, with what to do next.

Printer out of paper after a ticket was issued: the ticket stays on screen with its phone QR, and the
citizen is sent to the nearest staffed window. Hall offline: tickets are provisional and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hall_protocol.hall import HallState
from hall_protocol.hall_config import HallConfig
from hall_protocol.health import HealthState, PeripheralHealth
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.printing import PAPER_OUT_REASONS
from kiosk.viewmodels.ticket_view import TicketDisplay

STAFFED_STATES = frozenset({"open", "serving", "calling"})


class FaultKind(StrEnum):
    PRINTER_PAPER_OUT = "printer-paper-out"
    PRINTER_FAULT = "printer-fault"
    READER = "reader"
    CAMERA = "camera"
    HALL_OFFLINE = "hall-offline"
    DEVICE = "device"  # any other peripheral


@dataclass(frozen=True, slots=True)
class FaultNotice:
    kind: FaultKind
    title: Text
    message: Text | None
    next_step: Text
    ticket: TicketDisplay | None = None  # shown on screen when its paper copy could not be printed
    window: Bilingual | None = None

    @property
    def qr(self) -> str | None:
        return self.ticket.qr_url if self.ticket is not None and self.ticket.qr_url else None


def nearest_staffed_window(hall: HallConfig, zone: str | None, state: HallState | None) -> Bilingual | None:
    """A staffed window in the ticket's zone, else a staffed comprehensive window, else any staffed one.

    Without live hall state nobody can say which window is staffed, so the answer is None (help desk).
    """
    if state is None:
        return None
    configured = {w.id: w for w in hall.windows}
    staffed = [w for w in state.windows if w.state in STAFFED_STATES and w.window_id in configured]

    def rank(window_id: str) -> int:
        w = configured[window_id]
        if zone is not None and w.zone == zone:
            return 0
        return 1 if w.comprehensive else 2

    if not staffed:
        return None
    best = min(staffed, key=lambda w: (rank(w.window_id), w.window_id))
    cfg = configured[best.window_id]
    return Bilingual(cfg.name_zh, cfg.name_en)


def _next_step(window: Bilingual | None) -> Text:
    return Text("fault.next.window", window=window) if window is not None else Text("fault.next.help_desk")


def paper_out_with_ticket(ticket: TicketDisplay, window: Bilingual | None) -> FaultNotice:
    return FaultNotice(
        kind=FaultKind.PRINTER_PAPER_OUT,
        title=Text("fault.printer.paper_out.title"),
        message=Text("fault.printer.paper_out.ticket"),
        next_step=_next_step(window),
        ticket=ticket,
        window=window,
    )


def printer_notice(paper_out: bool, window: Bilingual | None, *, document: bool = False) -> FaultNotice:
    if paper_out:
        return FaultNotice(
            kind=FaultKind.PRINTER_PAPER_OUT,
            title=Text("fault.printer.paper_out.title"),
            message=Text("fault.printer.paper_out.document") if document else None,
            next_step=_next_step(window),
            window=window,
        )
    return FaultNotice(kind=FaultKind.PRINTER_FAULT, title=Text("fault.printer.fault.title"), message=None,
                       next_step=_next_step(window), window=window)


def hall_offline_notice() -> FaultNotice:
    return FaultNotice(kind=FaultKind.HALL_OFFLINE, title=Text("fault.hall_offline.title"), message=None,
                       next_step=Text("fault.hall_offline.next"))


def notice_for_health(device: str, health: PeripheralHealth, window: Bilingual | None) -> FaultNotice | None:
    """A notice for a peripheral that cannot work now (``device``: printer, reader, camera); None if it can."""
    if health.state in (HealthState.OK, HealthState.DEGRADED):
        return None
    if device == "printer":
        return printer_notice(bool(PAPER_OUT_REASONS.intersection(health.reasons)), window)
    if device == "reader":
        return FaultNotice(kind=FaultKind.READER, title=Text("fault.reader.title"), message=None,
                           next_step=Text("fault.reader.next"), window=window)
    if device == "camera":
        return FaultNotice(kind=FaultKind.CAMERA, title=Text("fault.camera.title"), message=None,
                           next_step=Text("fault.camera.next"), window=window)
    return FaultNotice(kind=FaultKind.DEVICE, title=Text("fault.device.title"), message=None,
                       next_step=_next_step(window), window=window)


class FaultViewModel(Observable):
    """The fault screen / banner: at most one notice at a time, the newest wins."""

    def __init__(self) -> None:
        super().__init__()
        self.notice: FaultNotice | None = None
        self.seen: set[FaultKind] = set()  # kinds already shown in this session

    def show(self, notice: FaultNotice) -> None:
        self.notice = notice
        self.seen.add(notice.kind)
        self._notify("notice")

    def show_once(self, notice: FaultNotice) -> None:
        """A device's health says what the citizen was already told (a print that failed for want of paper):
        the notice they have read or dismissed, with its ticket number, is not replaced or shown again."""
        if notice.kind not in self.seen:
            self.show(notice)

    def forget(self) -> None:
        """At the end of a session: the next citizen is told again."""
        self.seen.clear()

    def clear(self) -> None:
        if self.notice is not None:
            self.notice = None
            self._notify("notice")
