"""Take a ticket (or learn the kiosk does it here), appointment check-in, print; errors in plain words."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qs, urlsplit

from drivers.errors import DriverError
from hall_protocol.appointments import APPOINTMENT_PREFIX, parse_appointment_code
from hall_protocol.errors import ErrorCode
from hall_protocol.identity import mask_phone
from hall_protocol.tickets import CheckIn, ErrorReply, IssueTicket, Priority, TicketReply
from kiosk.catalog import Entry, KioskScreen
from kiosk.i18n import Asked, Bilingual, Text, refusal
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import FaultKind, FaultNotice, paper_out_with_ticket
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.printing import PrintProblem, classify_print_failure
from kiosk.viewmodels.ticket_view import TicketDisplay, display_for

log = logging.getLogger(__name__)

_CODE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


@dataclass(frozen=True, slots=True, repr=False)
class _IdCheckIn:
    """A check-in by ID number, kept only to retry it (the session's identity holds the same number)."""

    request_id: str
    id_number: str
MOBILE: Final = re.compile(r"^1[3-9][0-9]{9}$")
NOTIFY_PHONE: Final = "notify_phone"
"""Session input holding the number the citizen agreed to be messaged on (wiped with the session)."""


class TicketPhase(StrEnum):
    IDLE = "idle"
    REQUESTING = "requesting"
    ISSUED = "issued"
    FAILED = "failed"
    SELF_SERVICE = "self-service"  # nothing to queue for: go to the kiosk screen that does it


RETRYABLE: Final = frozenset({ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.INTERNAL})


def parse_appointment_qr(payload: str) -> str | None:
    """The appointment id in a scanned QR (``OVAPPT:{hall}:{id}:{check}`` with valid check digits, or an
    https URL carrying ``?appt=<id>``), or None when the QR is something else."""
    p = payload.strip()
    if p.startswith(APPOINTMENT_PREFIX):
        try:
            return parse_appointment_code(p).appointment_id
        except ValueError:
            return None
    if p.startswith(("https://", "http://")):
        values = parse_qs(urlsplit(p).query).get("appt", [])
        return values[0] if values and _CODE.match(values[0]) else None
    return None


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
        self._printing = False
        self._last: IssueTicket | CheckIn | _IdCheckIn | None = None

    # what the screen shows -------------------------------------------------------------------------

    @property
    def status(self) -> Text | None:
        if self.phase is TicketPhase.REQUESTING:
            return Text("ticket.requesting")
        if self.phase is TicketPhase.ISSUED and self.printing:
            return Text("ticket.printing")
        if self.phase is TicketPhase.ISSUED and self.printed:
            return Text("ticket.printed")
        return self.message

    @property
    def printing(self) -> bool:
        """The printer is printing the ticket now: the screen says so and back/home wait for it."""
        return self._printing

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
    ) -> TicketPhase:
        self._clear()
        self.entry = entry
        if entry.kiosk_screen is not None:
            self.phase = TicketPhase.SELF_SERVICE
            self.kiosk_screen = entry.kiosk_screen
            self.message = Text("ticket.kiosk_route", service=entry.name)
            self._notify("phase", "message")
            return self.phase
        identity = self.ctx.session.identity
        request = IssueTicket(
            request_id=uuid.uuid4().hex,
            service=entry.steps[0],
            steps=entry.steps if len(entry.steps) > 1 else (),
            source_device=self.ctx.device_id,
            priority=priority,
            notify_phone=self.ctx.session.inputs.get(NOTIFY_PHONE) or None,  # only with consent
            masked_name=identity.masked_name if identity is not None else "",
            lang=self.ctx.lang,
        )
        return await self._send(request)

    def consent_to_messages(self, phone: str, consent: bool) -> bool:
        """The citizen typed a mobile number and agreed to silent-call messages for this visit. Kept in the
        session (wiped at its end) and sent with the next ticket; without consent, or for something that is
        not a mobile number, nothing is kept."""
        number = re.sub(r"[\s-]", "", phone)
        if not consent or not MOBILE.fullmatch(number):
            self.ctx.session.set_input(NOTIFY_PHONE, "")
            return False
        self.ctx.session.set_input(NOTIFY_PHONE, number)
        return True

    @property
    def notify_masked(self) -> str:
        """The number messages will go to, masked (138****5678); "" when none was given."""
        number = self.ctx.session.inputs.get(NOTIFY_PHONE, "")
        return mask_phone(number) if number else ""

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
        return await self._send(_IdCheckIn(request_id=uuid.uuid4().hex, id_number=identity.id_number))

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
        self._printing = True
        self._notify("printing")
        try:
            await printer.print_receipt(self.ticket.receipt(self.ctx.lang, self.ctx.hall_name))
        except DriverError as err:
            log.warning("ticket %s not printed: %s", self.ticket.number, err)
            problem = await classify_print_failure(printer, err)
            self.ctx.faults.show(self._not_printed(self.ticket, window, paper_out=problem is PrintProblem.PAPER_OUT))
            return False
        finally:
            self._printing = False
            self._notify("printing")
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

    async def _send(self, request: IssueTicket | CheckIn | _IdCheckIn) -> TicketPhase:
        self._last = request
        self.phase = TicketPhase.REQUESTING
        self.error = None
        self.error_code = None
        self._notify("phase", "error")
        if isinstance(request, IssueTicket):
            reply = await self.ctx.client.issue_ticket(request)
        elif isinstance(request, _IdCheckIn):
            reply = await self.ctx.client.check_in_by_id(request.request_id, request.id_number)
        else:
            reply = await self.ctx.client.check_in(request)
        if isinstance(reply, ErrorReply):
            service = self.entry.name if self.entry else Bilingual("", "")
            log.info("ticket request %s refused: %s %s", request.request_id, reply.code.value, reply.message)
            self.phase = TicketPhase.FAILED
            self.error_code = reply.code
            self.error = refusal(Asked.TICKET, reply.code, service=service)
            self._notify("phase", "error")
            return self.phase
        self._accept(reply, checked_in=not isinstance(request, IssueTicket))
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
