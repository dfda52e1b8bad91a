"""Shared fakes for the kiosk view-model tests: a hall that answers like the controller, a printer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.errors import DeviceFault
from hall_protocol.errors import ErrorCode
from hall_protocol.hall_config import HallConfig, load_hall_config
from hall_protocol.health import HealthState, PeripheralHealth
from hall_protocol.tickets import (
    Ack,
    CheckIn,
    ErrorReply,
    IssueTicket,
    SubmitRating,
    TicketReply,
    TicketState,
    TicketView,
)
from hall_protocol.urls import ticket_status_url
from kiosk.catalog import Catalog, load_catalog
from kiosk.guide import Guide, load_guides
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.printing import Receipt

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo"


@pytest.fixture(scope="session")
def hall() -> HallConfig:
    return load_hall_config(DEMO / "hall.toml")


@pytest.fixture(scope="session")
def guides() -> dict[str, Guide]:
    return load_guides(DEMO / "guides")


@pytest.fixture(scope="session")
def catalog(hall: HallConfig, guides: dict[str, Guide]) -> Catalog:
    return load_catalog(DEMO / "catalog.toml", hall, guides=set(guides))


class FakeHallClient:
    """Answers like the controller would; ``refuse`` / ``provisional`` / ``queue_ratings`` change its mind
    (``queue_ratings``: like the agent while the hall is unreachable, the rating is kept and sent later)."""

    def __init__(self, hall: HallConfig) -> None:
        self.hall = hall
        self.issued: list[IssueTicket] = []
        self.check_ins: list[CheckIn] = []
        self.id_check_ins: list[tuple[str, str]] = []  # (request_id, ID number) as handed to the agent
        self.ratings: list[SubmitRating] = []
        self.refuse: ErrorCode | None = None
        self.provisional = False
        self.queue_ratings = False
        self.appointments: dict[str, str] = {}  # appointment code → service
        self._numbers: dict[str, int] = {}
        self._by_request: dict[str, TicketReply] = {}
        self.position = 4

    def _ticket(self, request_id: str, service: str, steps: tuple[str, ...]) -> TicketReply:
        if request_id in self._by_request:  # idempotent on request_id, like the controller
            return self._by_request[request_id]
        svc = self.hall.service(service)
        zone = next(z for z in self.hall.zones if z.id == svc.zone)
        n = self._numbers[svc.prefix] = self._numbers.get(svc.prefix, 0) + 1
        ticket_id = f"T-{svc.prefix}{n:03d}"
        reply = TicketReply(
            request_id=request_id,
            ticket=TicketView(
                ticket_id=ticket_id,
                number=f"{svc.prefix}{n:03d}",
                service=svc.code,
                service_name_zh=svc.name_zh,
                service_name_en=svc.name_en,
                state=TicketState.WAITING,
                zone=zone.id,
                zone_name_zh=zone.name_zh,
                zone_name_en=zone.name_en,
                position=self.position,
                est_wait_s=900,
                est_wait_low_s=600,
                est_wait_high_s=1200,
                provisional=self.provisional,
                status_url="" if self.provisional else ticket_status_url(
                    self.hall.hall.status_base_url, self.hall.hall.id, ticket_id, "tok" + ticket_id),
                steps=steps,
            ),
        )
        self._by_request[request_id] = reply
        return reply

    def _error(self, request_id: str) -> ErrorReply | None:
        if self.refuse is None:
            return None
        return ErrorReply(request_id=request_id, code=self.refuse, message=f"refused: {self.refuse.value}")

    async def issue_ticket(self, request: IssueTicket) -> TicketReply | ErrorReply:
        self.issued.append(request)
        return self._error(request.request_id) or self._ticket(request.request_id, request.service, request.steps)

    async def check_in(self, request: CheckIn) -> TicketReply | ErrorReply:
        self.check_ins.append(request)
        err = self._error(request.request_id)
        if err is not None:
            return err
        service = self.appointments.get(request.appointment_code)
        if service is None:
            return ErrorReply(request_id=request.request_id, code=ErrorCode.NOT_FOUND, message="no appointment")
        return self._ticket(request.request_id, service, ())

    async def check_in_by_id(self, request_id: str, id_number: str) -> TicketReply | ErrorReply:
        self.id_check_ins.append((request_id, id_number))
        err = self._error(request_id)
        if err is not None:
            return err
        service = self.appointments.get(f"id:{id_number}")
        if service is None:
            return ErrorReply(request_id=request_id, code=ErrorCode.NOT_FOUND, message="no appointment")
        return self._ticket(request_id, service, ())

    async def submit_rating(self, request: SubmitRating) -> Ack | ErrorReply:
        self.ratings.append(request)
        return self._error(request.request_id) or Ack(request_id=request.request_id, queued=self.queue_ratings)


class FakePrinter:
    """Records what is printed; ``paper_out`` makes it fail the way a receipt printer does."""

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.documents: list[tuple[bytes, str, str]] = []
        self.paper_out = False
        self.jammed = False

    async def print_receipt(self, receipt: Receipt) -> None:
        self._check()
        self.receipts.append(receipt)

    async def print_document(self, data: bytes, mime: str, title: str) -> None:
        self._check()
        self.documents.append((data, mime, title))

    async def health(self) -> PeripheralHealth:
        if self.paper_out:
            return PeripheralHealth(state=HealthState.FAULT, reasons=("media-empty",))
        if self.jammed:
            return PeripheralHealth(state=HealthState.FAULT, reasons=("cover-open",))
        return PeripheralHealth.ok()

    def _check(self) -> None:
        if self.paper_out:
            raise DeviceFault("printer reports media-empty")
        if self.jammed:
            raise DeviceFault("printer cover open")


@pytest.fixture
def client(hall: HallConfig) -> FakeHallClient:
    return FakeHallClient(hall)


@pytest.fixture
def printer() -> FakePrinter:
    return FakePrinter()


@pytest.fixture
def make_ctx(hall: HallConfig, client: FakeHallClient, printer: FakePrinter) -> Callable[..., KioskContext]:
    def make(**kw: object) -> KioskContext:
        return KioskContext(hall=hall, client=client, device_id="kiosk-1", printer=printer, **kw)  # type: ignore[arg-type]

    return make
