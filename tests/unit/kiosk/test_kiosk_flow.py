"""Whole-kiosk journeys through KioskViewModel: identify → find → guide → ticket, self-service, idle reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from drivers.errors import DeviceFault
from hall_protocol.health import HealthState, PeripheralHealth
from kiosk.catalog import Catalog
from kiosk.documents import DEMO_BANNER, SimulatedDocumentService, SimulatedFault
from kiosk.guide import Guide
from kiosk.i18n import MESSAGES, Bilingual, Text
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import FaultKind
from kiosk.viewmodels.finder import FinderTab, NextStep
from kiosk.viewmodels.identify import IdentifyMethod
from kiosk.viewmodels.idle import IdlePhase, IdleTimer
from kiosk.viewmodels.kiosk import KioskViewModel, Screen
from kiosk.viewmodels.selfprint import LookupPhase
from kiosk.viewmodels.session import IdSource
from kiosk.viewmodels.ticket import TicketPhase

from .conftest import FakeHallClient, FakePrinter

ZHANG = "210102196503120026"  # a demo person of the simulated document service


def on(k: KioskViewModel, screen: Screen) -> bool:
    """The screen now (a function, so the type checker does not pin ``k.screen`` across awaits)."""
    return k.screen is screen


def kiosk_vm(make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide],
             **kw: object) -> KioskViewModel:
    ctx = make_ctx(documents=SimulatedDocumentService(), document_timeout_s=0.2, **kw)
    return KioskViewModel(ctx, catalog, guides, idle=IdleTimer(timeout_s=90, warning_s=30))


async def test_guided_journey_to_a_package_ticket(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide],
    client: FakeHallClient, printer: FakePrinter,
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    k.on_card(now=0)
    assert on(k, Screen.IDENTIFY)
    assert k.identify.method is IdentifyMethod.ID_CARD
    assert k.identify.on_card(ZHANG, "张三", IdSource.ID_CARD)
    k.on_identified(now=2)
    assert on(k, Screen.FINDER)
    k.finder.open_group("retire")
    assert [i.entry.code for i in k.finder.items.items] == ["PKG-RETIRE", "SB-RETIRE", "GJJ-DRAW"]
    selection = await k.choose("PKG-RETIRE", now=5)
    assert selection.next_step is NextStep.GUIDE
    assert on(k, Screen.GUIDE)
    assert k.guide.question == Bilingual("您属于哪种退休情形？", "Which kind of retirement applies to you?")
    assert k.guide.progress == Text("guide.progress", n=1, total=4)
    assert k.guide.progress.render("zh") == "第 1 题 / 共 4 题"
    for answer in ("normal", "self", "no", "yes"):
        k.guide.choose(answer)
    assert k.guide.done
    assert k.guide.checklist is not None
    assert k.guide.checklist.material_ids == ("id_card", "hukou", "staff_file", "bank_card")
    assert k.guide.checklist_title == Text("guide.checklist.title", count=4)
    qr = k.guide.qr_text("zh")
    assert qr is not None
    assert "本人一类银行借记卡" in qr
    assert ZHANG not in qr
    assert await k.guide.print_checklist()
    assert printer.receipts[-1].qr == qr
    assert await k.take_ticket(now=30) is TicketPhase.ISSUED
    assert on(k, Screen.TICKET)
    assert client.issued[-1].steps == ("SB-RETIRE", "GJJ-DRAW")


async def test_search_then_a_service_without_guide_goes_straight_to_a_ticket(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide], client: FakeHallClient
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    k.start(now=0, identify=False)
    k.finder.set_query("sbk")
    assert k.finder.tab is FinderTab.SEARCH
    assert k.finder.items.items[0].entry.code == "SB-CARD"
    await k.choose("SB-CARD", now=3)
    assert on(k, Screen.TICKET)
    assert k.ticket.phase is TicketPhase.ISSUED
    k.finder.set_query("不存在的业务")
    assert k.finder.no_results is not None
    assert "不存在的业务" in k.finder.no_results.render("zh")


async def test_print_service_goes_to_self_print_with_demo_banner(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide],
    client: FakeHallClient, printer: FakePrinter,
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    k.start(now=0, identify=False)
    await k.choose("PRINT", now=1)
    assert on(k, Screen.SELFPRINT)
    assert client.issued == []
    assert k.selfprint.phase is LookupPhase.NEEDS_IDENTITY  # nobody identified yet
    assert k.selfprint.message == Text("print.needs_identity")
    k.identify.on_card(ZHANG, "张三", IdSource.ID_CARD)
    assert await k.selfprint.load() is LookupPhase.READY
    assert k.selfprint.banner == DEMO_BANNER
    docs = k.selfprint.documents.items
    assert len(docs) == 3
    assert docs[0].kind == Text("print.kind.receipt")
    k.selfprint.select(docs[1].doc_id)
    assert await k.selfprint.print_selected() is LookupPhase.DONE
    data, mime, title = printer.documents[-1]
    assert mime == "image/png"
    assert data.startswith(b"\x89PNG")
    assert title == "电子社会保障卡凭证"
    printer.paper_out = True
    k.selfprint.select(docs[0].doc_id)
    assert await k.selfprint.print_selected() is LookupPhase.FAILED
    assert k.faults.notice is not None
    assert k.faults.notice.kind is FaultKind.PRINTER_PAPER_OUT
    assert k.faults.notice.message == Text("fault.printer.paper_out.document")


async def test_progress_lookup_and_document_service_faults(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide]
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    k.start(now=0)
    k.identify.on_card(ZHANG, "张三", IdSource.ID_CARD)
    await k.choose("PROGRESS", now=1)
    assert on(k, Screen.PROGRESS)
    assert k.progress.phase is LookupPhase.READY
    first = k.progress.cases.items[0]
    assert first.status.render("zh") == "审核中"
    assert first.case.render("en") == "Case SIM20240517-0031"
    assert k.progress.banner == DEMO_BANNER
    sim = k.ctx.documents
    assert isinstance(sim, SimulatedDocumentService)
    sim.fault = SimulatedFault.TIMEOUT
    assert await k.progress.load() is LookupPhase.FAILED
    assert k.progress.message == Text("print.error.timeout")
    sim.fault = SimulatedFault.UNAVAILABLE
    assert await k.selfprint.load() is LookupPhase.FAILED
    assert k.selfprint.message == Text("print.error.unavailable")


async def test_idle_reset_wipes_everything(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide], tmp_path: Path
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    changes: list[str] = []
    k.changed.connect(changes.append)
    k.on_card(now=0)
    k.identify.on_card(ZHANG, "张三", IdSource.ID_CARD)
    k.ctx.session.set_photo(b"face")
    k.ctx.session.set_input("phone", "13812345678")
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"x")
    k.ctx.session.add_temp_file(scan)
    k.toggle_lang()
    k.toggle_elder()
    await k.choose("GJJ-DRAW", now=10)
    k.guide.choose("buy")
    await k.selfprint.load()
    k.identify.choose(IdentifyMethod.MANUAL)
    k.identify.press("2")
    assert k.tick(now=69).phase is IdlePhase.ACTIVE
    warning = k.tick(now=70)
    assert warning.phase is IdlePhase.WARNING
    assert warning.seconds_left == 30
    assert warning.message is not None
    assert warning.message.render("en").startswith("Returning to the start in 30 s")
    assert "idle" in changes
    k.touch(now=80)  # "continue"
    assert k.idle_status.phase is IdlePhase.ACTIVE
    assert k.tick(now=150).phase is IdlePhase.WARNING
    status = k.tick(now=170)
    assert status.phase is IdlePhase.INACTIVE
    assert on(k, Screen.ATTRACT)
    record = k.last_wipe
    assert record is not None
    assert record.reason == "idle"
    assert record.had_identity
    assert record.photo_cleared
    assert record.inputs_cleared == 1
    assert record.temp_files_removed == 1
    assert not scan.exists()
    assert ZHANG not in repr(record)
    assert "张" not in repr(record)
    # nothing of the citizen is left anywhere
    assert k.ctx.session.empty
    assert k.identify.greeting is None
    assert k.identify.keypad.value == ""
    assert k.guide.session is None
    assert k.finder.selection is None
    assert k.finder.group is None
    assert k.ticket.ticket is None
    assert k.selfprint.documents.all == ()
    assert k.selfprint.banner is None
    assert k.lang == "zh"
    assert not k.elder
    assert k.tick(now=1000).phase is IdlePhase.INACTIVE  # the attract loop never times out


def test_elder_mode_changes_paging_and_theme(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide]
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    assert k.finder.groups.per_page == 8
    assert k.theme.name == "normal"
    k.toggle_elder()
    assert k.theme.name == "elder"
    assert k.finder.groups.per_page == 4
    assert k.guide.options.per_page == 3
    assert k.finder.groups.pages == 2
    assert len(k.finder.groups.items) == 4
    assert k.finder.groups.label == Text("common.page", page=1, pages=2)
    assert k.elder_label == Text("common.elder_off")


def test_offline_and_device_health_notices(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide]
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    k.set_online(False)
    assert k.banner == Text("common.offline_banner")
    assert k.attract.banner is not None
    assert k.faults.notice is not None
    assert k.faults.notice.kind is FaultKind.HALL_OFFLINE
    k.set_online(True)
    assert k.faults.notice is None
    assert k.banner is None
    k.start(now=0)
    k.on_peripheral_health("reader", PeripheralHealth(state=HealthState.ABSENT, reasons=("reader-absent",)))
    enabled = {m: on for m, _, on in k.identify.methods}
    assert not enabled[IdentifyMethod.ID_CARD]
    assert enabled[IdentifyMethod.EID_QR]
    assert k.faults.notice is not None
    assert k.faults.notice.next_step == Text("fault.reader.next")
    k.on_peripheral_health("printer", PeripheralHealth(state=HealthState.FAULT, reasons=("media-empty",)))
    assert k.faults.notice.kind is FaultKind.PRINTER_PAPER_OUT


def test_every_text_a_journey_shows_renders_in_both_languages(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide]
) -> None:
    k = kiosk_vm(make_ctx, catalog, guides)
    texts = [k.lang_label, k.elder_label, k.attract.prompt, k.attract.browse_label, k.finder.title,
             k.finder.search_placeholder, *k.nav_labels.values()]
    texts += [s.title for s in k.attract.slides] + [s.body for s in k.attract.slides]
    texts += [label for _, label in k.finder.tabs] + [label for _, label, _ in k.identify.methods]
    for text in texts:
        assert text.key in MESSAGES
        for lang in ("zh", "en"):
            rendered = text.render(lang)
            assert rendered
            assert not re.search(r"\{\w+\}", rendered)


async def test_printer_that_fails_on_health_check_too(
    make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide], printer: FakePrinter
) -> None:
    async def broken_health() -> PeripheralHealth:
        raise DeviceFault("no answer")

    printer.jammed = True
    printer.health = broken_health  # type: ignore[method-assign]
    k = kiosk_vm(make_ctx, catalog, guides)
    k.start(now=0, identify=False)
    await k.choose("SB-CARD", now=1)
    assert k.ticket.ticket is not None  # still shown
    assert k.faults.notice is not None
    assert k.faults.notice.kind is FaultKind.PRINTER_FAULT


def test_the_start_screen_tells_the_halls_hours_and_offline_at_once(
        make_ctx: Callable[..., KioskContext], catalog: Catalog, guides: dict[str, Guide]) -> None:
    from hall_protocol.hall import HallState

    k = kiosk_vm(make_ctx, catalog, guides)
    assert [t.render("zh") for t in k.hall_today()] == ["办理时间 00:00–23:59"]
    k.set_hall_state(HallState(hall="demo", ts=0, seq=2))
    k.set_hall_state(HallState(hall="demo", ts=0, seq=1))
    assert k.ctx.hall_state is not None
    assert k.ctx.hall_state.seq == 2, "a stale retained copy does not win"
    k.set_online(False)
    assert k.attract.offline
