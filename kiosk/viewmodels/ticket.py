"""Take a ticket (or learn the kiosk does it here), appointment check-in, print; errors in plain words."""

from __future__ import annotations

import logging
import re
import uuid
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qs, urlsplit

from drivers.errors import DriverError
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import CheckIn, ErrorReply, IssueTicket, Priority, TicketReply
from kiosk.catalog import Entry, KioskScreen
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import FaultKind, FaultNotice, paper_out_with_ticket
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.printing import PrintProblem, classify_print_failure
from kiosk.viewmodels.ticket_view import TicketDisplay, display_for

log = logging.getLogger(__name__)

APPOINTMENT_QR_PREFIX: Final = "OVAPPT:"
"""Appointment QR payloads: ``OVAPPT:<code>``, or an https URL carrying ``?appt=<code>``."""
ID_LOOKUP_PREFIX: Final = "idh:"
"""Check-in by ID sends ``idh:<sha256(hall:ID)>``: the hall matches its appointments without the number."""
_CODE = re.compile(r"^[A-Za-z0-9-]{4,64}$")


class TicketPhase(StrEnum):
    IDLE = "idle"
    REQUESTING = "requesting"
    ISSUED = "issued"
    FAILED = "failed"
    SELF_SERVICE = "self-service"  # nothing to queue for: go to the kiosk screen that does it


_ERROR_KEYS: Final = {
    ErrorCode.CAP_REACHED: "ticket.error.cap_reached",
    ErrorCode.CLOSED: "ticket.error.closed",
    ErrorCode.UNAVAILABLE: "ticket.error.unavailable",
    ErrorCode.TIMEOUT: "ticket.error.unavailable",
    ErrorCode.NOT_FOUND: "ticket.error.not_found",
    ErrorCode.EXPIRED: "ticket.error.expired",
    ErrorCode.FORBIDDEN: "ticket.error.forbidden",
}
RETRYABLE: Final = frozenset({ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.INTERNAL})


def parse_appointment_qr(payload: str) -> str | None:
    """The appointment code in a scanned QR, or None when the QR is something else."""
    p = payload.strip()
    if p.upper().startswith(APPOINTMENT_QR_PREFIX):
        code = p[len(APPOINTMENT_QR_PREFIX):]
        return code if _CODE.match(code) else None
    if p.startswith(("https://", "http://")):
        values = parse_qs(urlsplit(p).query).get("appt", [])
        return values[0] if values and _CODE.match(values[0]) else None
    return None


def error_text(reply: ErrorReply, service: Bilingual) -> Text:
    key = _ERROR_KEYS.get(reply.code, "ticket.error.other")
    return Text(key, service=service)


class TicketViewModel(Observable):
    def __init__(self, ctx: KioskContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._clear()

    def _clear(self) -> None:
        self.phase = TicketPhase.IDLE
        self.entry: Entry | None = None
        self.ticket: TicketDisplay | None = None
        self.zone: str | None = None
        self.error: Text | None = None
        self.error_code: ErrorCode | None = None
        self.message: Text | None = None
        self.kiosk_screen: KioskScreen | None = None
        self.printed = False
        self._last: IssueTicket | CheckIn | None = None

    # what the screen shows -------------------------------------------------------------------------

    @property
    def status(self) -> Text | None:
        if self.phase is TicketPhase.REQUESTING:
            return Text("ticket.requesting")
        if self.phase is TicketPhase.ISSUED and self.printed:
            return Text("ticket.printed")
        return self.message

    @property
    def offline_notice(self) -> Text | None:
        """Before the request: the citizen learns the ticket will be provisional."""
        return Text("common.offline_banner") if not self.ctx.online else None

    @property
    def can_retry(self) -> bool:
        return self.phase is TicketPhase.FAILED and self.error_code in RETRYABLE and self._last is not None

    @property
    def number_label(self) -> Text:
        return Text("ticket.your_number")

    @property
    def qr_hint(self) -> Text | None:
        return Text("ticket.qr_hint") if self.ticket and self.ticket.qr_url else None

    # actions -----------------------------------------------------------------------------------------

    async def take(
        self,
        entry: Entry,
        *,
        priority: Priority = Priority.NORMAL,
        notify_phone: str | None = None,
    ) -> TicketPhase:
        self._clear()
        self.entry = entry
        if entry.kiosk_screen is not None:
            self.phase = TicketPhase.SELF_SERVICE
            self.kiosk_screen = entry.kiosk_screen
            self.message = Text("ticket.kiosk_route", service=entry.name)
            self._notify("phase", "message")
            return self.phase
        request = IssueTicket(
            request_id=uuid.uuid4().hex,
            service=entry.steps[0],
            steps=entry.steps if len(entry.steps) > 1 else (),
            source_device=self.ctx.device_id,
            priority=priority,
            notify_phone=notify_phone,
            lang=self.ctx.lang,
        )
        return await self._send(request)

    async def check_in_qr(self, payload: str) -> TicketPhase:
        self._clear()
        code = parse_appointment_qr(payload)
        if code is None:
            return self._fail_local(Text("ticket.checkin.bad_qr"))
        return await self._send(CheckIn(request_id=uuid.uuid4().hex, appointment_code=code,
                                        source_device=self.ctx.device_id))

    async def check_in_id(self) -> TicketPhase:
        self._clear()
        identity = self.ctx.session.identity
        if identity is None:
            return self._fail_local(Text("ticket.checkin.needs_identity"))
        code = ID_LOOKUP_PREFIX + identity.lookup_hash(self.ctx.hall.hall.id)
        return await self._send(CheckIn(request_id=uuid.uuid4().hex, appointment_code=code,
                                        source_device=self.ctx.device_id))

    async def retry(self) -> TicketPhase:
        """Send the same request again: the same request_id, so the hall never issues two tickets."""
        if not self.can_retry or self._last is None:
            return self.phase
        return await self._send(self._last)

    async def print_ticket(self) -> bool:
        """(Re)print the issued ticket; a failure puts the ticket on the fault screen with its QR."""
        if self.ticket is None:
            return False
        printer = self.ctx.printer
        window = self.ctx.nearest_window(self.zone)
        if printer is None:
            self.ctx.faults.show(self._not_printed(self.ticket, window, paper_out=False))
            return False
        try:
            await printer.print_receipt(self.ticket.receipt(self.ctx.lang, self.ctx.hall_name))
        except DriverError as err:
            log.warning("ticket %s not printed: %s", self.ticket.number, err)
            problem = await classify_print_failure(printer, err)
            self.ctx.faults.show(self._not_printed(self.ticket, window, paper_out=problem is PrintProblem.PAPER_OUT))
            return False
        self.printed = True
        self._notify("printed")
        return True

    def reset(self) -> None:
        self._clear()
        self._notify("phase", "ticket", "error", "message")

    # -------------------------------------------------------------------------------------------------

    @staticmethod
    def _not_printed(ticket: TicketDisplay, window: Bilingual | None, *, paper_out: bool) -> FaultNotice:
        notice = paper_out_with_ticket(ticket, window)
        if paper_out:
            return notice
        return FaultNotice(kind=FaultKind.PRINTER_FAULT, title=Text("fault.printer.fault.title"),
                           message=notice.message, next_step=notice.next_step, ticket=ticket, window=window)

    def _fail_local(self, message: Text) -> TicketPhase:
        self.phase = TicketPhase.FAILED
        self.error = message
        self._notify("phase", "error")
        return self.phase

    async def _send(self, request: IssueTicket | CheckIn) -> TicketPhase:
        self._last = request
        self.phase = TicketPhase.REQUESTING
        self.error = None
        self.error_code = None
        self._notify("phase", "error")
        if isinstance(request, IssueTicket):
            reply = await self.ctx.client.issue_ticket(request)
        else:
            reply = await self.ctx.client.check_in(request)
        if isinstance(reply, ErrorReply):
            service = self.entry.name if self.entry else Bilingual("", "")
            log.info("ticket request %s refused: %s %s", request.request_id, reply.code.value, reply.message)
            self.phase = TicketPhase.FAILED
            self.error_code = reply.code
            self.error = error_text(reply, service)
            self._notify("phase", "error")
            return self.phase
        self._accept(reply, checked_in=isinstance(request, CheckIn))
        await self.print_ticket()
        return self.phase

    def _accept(self, reply: TicketReply, *, checked_in: bool) -> None:
        view = reply.ticket
        self.ticket = display_for(view)
        self.zone = view.zone
        self.phase = TicketPhase.ISSUED
        self.message = Text("ticket.checkin.done") if checked_in else None
        self.ctx.session.add_ticket(view.ticket_id)
        log.info("ticket %s issued (%s)%s", view.number, view.service, " provisional" if view.provisional else "")
        self._notify("phase", "ticket", "message")
