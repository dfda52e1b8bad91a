"""Ticket, check-in, rating and printing journeys against a fake hall (the view-models' only I/O)."""

from __future__ import annotations

from collections.abc import Callable

from hall_protocol.appointments import appointment_code
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import HallState, WindowView
from kiosk.catalog import Catalog
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import FaultKind
from kiosk.viewmodels.printing import LineSize
from kiosk.viewmodels.rating import RatingPhase, RatingViewModel, ticket_id_from_status_url
from kiosk.viewmodels.session import Identity, IdSource
from kiosk.viewmodels.ticket import TicketPhase, TicketViewModel, parse_appointment_qr

from .conftest import FakeHallClient, FakePrinter

ZHANG = "210102196503120026"


async def test_take_ticket_shows_and_prints_everything(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient, printer: FakePrinter
) -> None:
    ctx = make_ctx()
    vm = TicketViewModel(ctx)
    assert await vm.take(catalog.service("GJJ-DRAW")) is TicketPhase.ISSUED
    (req,) = client.issued
    assert req.service == "GJJ-DRAW"
    assert req.steps == ()
    assert req.source_device == "kiosk-1"
    t = vm.ticket
    assert t is not None
    assert t.number == "C001"
    assert t.service == Bilingual("住房公积金提取", "Housing provident fund withdrawal")
    assert t.where.render("zh") == "请到 B区 住房与公积金 等候叫号"
    assert t.position == Text("ticket.position.ahead", ahead=3)
    assert t.wait == Text("ticket.wait.range", low=10, high=20)
    assert t.qr_url.startswith("http://127.0.0.1:8080/t/demo/T-C001?k=")
    assert not t.provisional
    assert t.provisional_notice is None
    assert vm.printed
    assert vm.status == Text("ticket.printed")
    (receipt,) = printer.receipts
    assert receipt.qr == t.qr_url
    assert any(line.text == "C001" and line.size is LineSize.HUGE for line in receipt.lines)
    assert ctx.session.ticket_ids == ("T-C001",)


async def test_package_ticket_carries_its_steps(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient
) -> None:
    vm = TicketViewModel(make_ctx())
    await vm.take(catalog.package("PKG-RETIRE"))
    (req,) = client.issued
    assert (req.service, req.steps) == ("SB-RETIRE", ("SB-RETIRE", "GJJ-DRAW"))
    assert vm.ticket is not None
    assert vm.ticket.steps == 2
    assert Text("ticket.steps", count=2) in vm.ticket.lines()


async def test_english_ticket_is_printed_in_english(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, printer: FakePrinter, client: FakeHallClient
) -> None:
    ctx = make_ctx(lang="en")
    await TicketViewModel(ctx).take(catalog.service("SB-CARD"))
    assert client.issued[0].lang == "en"
    text = "\n".join(line.text for line in printer.receipts[0].lines)
    assert "Social security card application" in text
    assert "Your number" in text
    assert "社会" not in text


async def test_kiosk_capable_service_routes_to_the_kiosk_screen(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient
) -> None:
    vm = TicketViewModel(make_ctx())
    assert await vm.take(catalog.service("PRINT")) is TicketPhase.SELF_SERVICE
    assert vm.kiosk_screen == "print"
    assert client.issued == []
    assert vm.status is not None
    assert "这台自助机上就能办" in vm.status.render("zh")


async def test_offline_provisional_ticket_is_clearly_marked(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient, printer: FakePrinter
) -> None:
    ctx = make_ctx(online=False)
    client.provisional = True
    vm = TicketViewModel(ctx)
    assert vm.offline_notice == Text("common.offline_banner")
    await vm.take(catalog.service("SB-CARD"))
    assert vm.ticket is not None
    assert vm.ticket.provisional
    assert vm.ticket.provisional_notice == Text("ticket.provisional")
    assert "临时号" in printer.receipts[0].lines[1].text  # right under the hall name, before the number


async def test_refusals_are_said_plainly(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient
) -> None:
    vm = TicketViewModel(make_ctx())
    entry = catalog.service("HJ-BIRTH")
    client.refuse = ErrorCode.CAP_REACHED
    assert await vm.take(entry) is TicketPhase.FAILED
    assert vm.error is not None
    assert vm.error.render("zh").startswith("今天“出生一件事（户口、医保、社保卡）”的号已经取完了")
    assert "tomorrow" in vm.error.render("en")
    assert not vm.can_retry
    client.refuse = ErrorCode.CLOSED
    await vm.take(entry)
    assert vm.error is not None
    assert "不是" in vm.error.render("zh")
    assert "取号时间" in vm.error.render("zh")
    assert vm.ticket is None


async def test_unreachable_hall_can_be_retried_with_the_same_request_id(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient
) -> None:
    vm = TicketViewModel(make_ctx())
    client.refuse = ErrorCode.TIMEOUT
    await vm.take(catalog.service("SB-CARD"))
    assert vm.error == Text("ticket.error.unavailable", service=catalog.service("SB-CARD").name)
    assert vm.can_retry
    client.refuse = None
    assert await vm.retry() is TicketPhase.ISSUED
    assert len(client.issued) == 2
    assert client.issued[0].request_id == client.issued[1].request_id


async def test_paper_out_keeps_the_ticket_on_screen_with_nearest_staffed_window(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, printer: FakePrinter
) -> None:
    state = HallState(hall="demo", ts=0, seq=1, windows=(
        WindowView(window_id="W1", name="1号窗口", zone="A", state="closed"),
        WindowView(window_id="W2", name="2号窗口", zone="B", state="serving"),
        WindowView(window_id="W3", name="3号综合窗口", zone="C", state="open"),
    ))
    ctx = make_ctx(hall_state=state)
    printer.paper_out = True
    vm = TicketViewModel(ctx)
    assert await vm.take(catalog.service("SB-CARD")) is TicketPhase.ISSUED  # the number is taken anyway
    assert not vm.printed
    notice = ctx.faults.notice
    assert notice is not None
    assert notice.kind is FaultKind.PRINTER_PAPER_OUT
    assert notice.ticket is vm.ticket
    assert vm.ticket is not None
    assert notice.qr == vm.ticket.qr_url
    # W1 (zone A, the ticket's zone) is closed: the comprehensive W3 is the nearest staffed one
    assert notice.window == Bilingual("3号综合窗口", "Window 3 (comprehensive)")
    assert notice.next_step.render("zh") == "需要帮助请到 3号综合窗口，工作人员会协助您。"
    assert notice.title.render("zh") == "打印机缺纸"


async def test_paper_out_without_hall_state_sends_to_the_help_desk(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, printer: FakePrinter
) -> None:
    ctx = make_ctx()
    printer.jammed = True
    await TicketViewModel(ctx).take(catalog.service("SB-CARD"))
    notice = ctx.faults.notice
    assert notice is not None
    assert notice.kind is FaultKind.PRINTER_FAULT
    assert notice.ticket is not None
    assert notice.next_step == Text("fault.next.help_desk")


async def test_check_in_by_qr_and_by_id(
    make_ctx: Callable[..., KioskContext], client: FakeHallClient, hall: object
) -> None:
    ctx = make_ctx()
    vm = TicketViewModel(ctx)
    client.appointments["APPT-7731"] = "BDC-REG"
    assert await vm.check_in_qr(appointment_code("demo", "APPT-7731")) is TicketPhase.ISSUED
    assert vm.message == Text("ticket.checkin.done")
    assert vm.ticket is not None
    assert vm.ticket.number == "D001"
    assert client.check_ins[-1].appointment_code == "APPT-7731"

    assert await vm.check_in_qr("WIFI:S:guest;;") is TicketPhase.FAILED
    assert vm.error == Text("ticket.checkin.bad_qr")
    assert len(client.check_ins) == 1

    assert await vm.check_in_id() is TicketPhase.FAILED
    assert vm.error == Text("ticket.checkin.needs_identity")
    ident = Identity(id_number=ZHANG, name="张三", source=IdSource.ID_CARD)
    ctx.session.set_identity(ident)
    client.appointments[f"id:{ZHANG}"] = "GJJ-DRAW"
    assert await vm.check_in_id() is TicketPhase.ISSUED
    assert client.id_check_ins[-1][1] == ZHANG  # to the agent, which sends the hall only its keyed hash
    assert len(client.check_ins) == 1  # nothing with the number went out as a hall request

    client.appointments.clear()
    assert await vm.check_in_qr("https://yy.example.gov.cn/a?appt=ZZZZ-1") is TicketPhase.FAILED
    assert vm.error is not None
    assert vm.error.key == "ticket.error.not_found"


def test_appointment_qr_formats() -> None:
    assert parse_appointment_qr(f" {appointment_code('demo', 'AB-1234')} ") == "AB-1234"
    assert parse_appointment_qr("OVAPPT:demo:AB-1234:00") is None  # check digits do not match
    assert parse_appointment_qr("OVAPPT:AB-1234") is None  # not the hall:id:check shape
    assert parse_appointment_qr("https://x/a?appt=AB-1234&z=1") == "AB-1234"
    assert parse_appointment_qr("https://x/a?other=1") is None
    assert parse_appointment_qr("OVAPPT:<script>") is None
    assert parse_appointment_qr("210102196503120026") is None


async def test_rating_journey(make_ctx: Callable[..., KioskContext], client: FakeHallClient) -> None:
    vm = RatingViewModel(make_ctx())
    assert [label.render("zh") for _, label, _ in vm.levels] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert not await vm.submit()
    assert vm.message == Text("rating.scan_ticket")
    assert not vm.scan_ticket_qr("hello")
    assert vm.message == Text("rating.bad_ticket_qr")
    assert vm.scan_ticket_qr("http://127.0.0.1:8080/t/demo/T-C001?k=secret")
    assert vm.ticket_id == "T-C001"
    assert vm.phase == RatingPhase.CHOOSING.value
    assert not await vm.submit()
    assert vm.message == Text("rating.choose_level")
    vm.choose_level(5)
    assert {code for code, _, _ in vm.reasons} == {"fast", "polite", "clear", "one-visit"}
    vm.toggle_reason("fast")
    vm.toggle_reason("one-visit")
    vm.choose_level(2)  # changing to a bad rating drops the praise
    assert not any(selected for _, _, selected in vm.reasons)
    vm.toggle_reason("slow")
    assert await vm.submit()
    (sent,) = client.ratings
    assert (sent.ticket_id, sent.level, sent.reasons) == ("T-C001", 2, ("slow",))
    assert vm.phase is RatingPhase.DONE
    assert vm.message == Text("rating.follow_up")


async def test_rating_without_reasons_and_failure(
    make_ctx: Callable[..., KioskContext], client: FakeHallClient
) -> None:
    vm = RatingViewModel(make_ctx())
    vm.for_ticket("T-1", "W2")
    vm.choose_level(4)
    client.refuse = ErrorCode.UNAVAILABLE
    assert not await vm.submit()
    assert vm.phase is RatingPhase.FAILED
    assert vm.message == Text("rating.error")
    client.refuse = None
    assert await vm.submit()
    assert vm.message == Text("rating.thanks")
    assert client.ratings[0].request_id == client.ratings[1].request_id  # one rating, however many tries
    assert client.ratings[1].reasons == ()
    assert client.ratings[1].window_id == "W2"


async def test_a_rating_the_agent_keeps_for_later_says_so(
    make_ctx: Callable[..., KioskContext], client: FakeHallClient
) -> None:
    vm = RatingViewModel(make_ctx())
    vm.for_ticket("T-1", "W2")
    vm.choose_level(1)
    client.queue_ratings = True
    assert await vm.submit()
    assert vm.phase is RatingPhase.DONE
    assert vm.message == Text("rating.queued", outcome=Text("rating.follow_up"))
    assert vm.message.render("zh").startswith("我们会在规定时间内回访处理")
    assert "sent when the hall network is back" in vm.message.render("en")


def test_ticket_id_from_status_url() -> None:
    assert ticket_id_from_status_url("https://h/t/demo/T%2F1?k=a") == "T/1"
    assert ticket_id_from_status_url("https://h/x/demo/T1") is None
    assert ticket_id_from_status_url("T1") is None


async def test_the_masked_name_and_a_consented_number_travel_with_the_ticket(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient
) -> None:
    ctx = make_ctx()
    ctx.session.set_identity(Identity(id_number=ZHANG, source=IdSource.ID_CARD, name="欧阳娜娜"))
    vm = TicketViewModel(ctx)
    assert not vm.consent_to_messages("138 1234 5678", consent=False)  # no consent: nothing kept
    assert vm.notify_masked == ""
    await vm.take(catalog.service("GJJ-DRAW"))
    assert client.issued[-1].notify_phone is None
    assert client.issued[-1].masked_name == "欧阳**"
    assert not vm.consent_to_messages("12345", consent=True)  # not a mobile number
    assert vm.consent_to_messages("138 1234-5678", consent=True)
    assert vm.notify_masked == "138****5678"
    await vm.take(catalog.service("GJJ-DRAW"))
    assert client.issued[-1].notify_phone == "13812345678"
    ctx.session.wipe("finished", 0.0)
    assert vm.notify_masked == ""  # gone with the session


async def test_an_anonymous_ticket_has_no_name(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, client: FakeHallClient
) -> None:
    await TicketViewModel(make_ctx()).take(catalog.service("GJJ-DRAW"))
    assert client.issued[-1].masked_name == ""
