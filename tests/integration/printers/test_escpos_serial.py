"""The real ESC/POS driver (pyserial / device node) against the emulator on a pseudo-terminal."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from drivers.health import HealthState
from drivers.receipt_printer import (
    CoverOpen,
    CutterError,
    EscposEmulator,
    EscposFileConfig,
    EscposSerialConfig,
    Faults,
    PaperOut,
    PrinterFault,
    PrinterOffline,
    ReceiptPrinter,
    TicketPrint,
    open_receipt_printer,
)
from drivers.serial_pty import PtyHost
from tests.unit.printers.ticket_checks import black_fraction, decode_qr, number_band

pytestmark = pytest.mark.integration

MakePty = Callable[[EscposEmulator], PtyHost]


def _printer(host: PtyHost, **kw: object) -> ReceiptPrinter:
    return open_receipt_printer(EscposSerialConfig(port=host.port, status_timeout_s=0.3, **kw))  # type: ignore[arg-type]


def _raster_blocks(emu: EscposEmulator) -> int:
    return sum(c.startswith("GS v 0") for c in emu.log.commands)


async def test_ticket_prints_and_the_printed_qr_decodes(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator()
    printer = _printer(pty_device(emu))
    health = await printer.print_ticket(ticket)
    await printer.close()
    assert health.state is HealthState.OK
    assert len(emu.log.tickets) == 1
    printed = emu.log.tickets[0]
    assert printed.width == 576
    assert decode_qr(printed) == [ticket.qr_url]
    band = number_band(printed)
    assert band[3] - band[1] >= 100
    assert black_fraction(printed, band) > 0.15
    assert emu.log.commands[-1] == "DLE EOT 4"  # status checked after the cut too
    assert "GS V 1" in emu.log.commands


async def test_58mm_printer_over_a_device_node(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(width_dots=384)
    host = pty_device(emu)
    printer = open_receipt_printer(EscposFileConfig(path=host.port, paper_width_mm=58, status_timeout_s=0.3))
    await printer.print_ticket(ticket)
    assert (await printer.health()).state is HealthState.OK
    await printer.close()
    assert decode_qr(emu.log.tickets[0]) == [ticket.qr_url]


async def test_paper_near_end_prints_but_reports_degraded(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(paper_near_end=True))
    printer = _printer(pty_device(emu))
    health = await printer.print_ticket(ticket)
    assert (health.state, health.reasons) == (HealthState.DEGRADED, ("media-low",))
    assert len(emu.log.tickets) == 1
    await printer.close()


async def test_paper_out_before_printing_sends_nothing(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(paper_out=True))
    printer = _printer(pty_device(emu))
    with pytest.raises(PaperOut) as info:
        await printer.print_ticket(ticket)
    assert not info.value.incomplete
    assert info.value.reason == "media-empty"
    assert _raster_blocks(emu) == 0
    assert "ESC @" not in emu.log.commands
    health = await printer.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("media-empty",))
    emu.load_paper()
    assert (await printer.print_ticket(ticket)).state is HealthState.OK
    await printer.close()


async def test_paper_out_after_n_tickets(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(paper_out_after_tickets=2))
    printer = _printer(pty_device(emu))
    assert (await printer.print_ticket(ticket)).state is HealthState.OK
    last = await printer.print_ticket(ticket)
    assert (last.state, last.reasons) == (HealthState.FAULT, ("media-empty",))
    sent_before = _raster_blocks(emu)
    with pytest.raises(PaperOut):
        await printer.print_ticket(ticket)
    assert _raster_blocks(emu) == sent_before
    assert len(emu.log.tickets) == 2
    await printer.close()


async def test_paper_out_mid_ticket_stops_sending_and_says_incomplete(pty_device: MakePty,
                                                                       ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(paper_out_after_rows=200))
    printer = _printer(pty_device(emu), band_rows=128)
    with pytest.raises(PaperOut) as info:
        await printer.print_ticket(ticket)
    assert info.value.incomplete
    assert "paper end" in str(info.value)
    assert emu.log.tickets == []
    assert [t.height for t in emu.log.torn] == [200]
    assert _raster_blocks(emu) == 2  # the band that ran out was the last one sent
    assert "GS V 1" not in emu.log.commands
    await printer.close()


async def test_cover_open(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(cover_open=True))
    printer = _printer(pty_device(emu))
    with pytest.raises(CoverOpen) as info:
        await printer.print_ticket(ticket)
    assert info.value.reason == "cover-open"
    assert _raster_blocks(emu) == 0
    assert (await printer.health()).reasons == ("cover-open",)
    emu.script(cover_open=False)
    assert (await printer.health()).state is HealthState.OK
    await printer.close()


async def test_cover_opened_mid_ticket(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator()
    printer = _printer(pty_device(emu), band_rows=64)
    original = emu.receive

    def open_cover_after_third_band(data: bytes) -> list[tuple[float, bytes]]:
        if _raster_blocks(emu) == 3:
            emu.script(cover_open=True)
        return original(data)

    emu.receive = open_cover_after_third_band  # type: ignore[method-assign]
    with pytest.raises(CoverOpen):
        await printer.print_ticket(ticket)
    assert _raster_blocks(emu) <= 5
    await printer.close()


async def test_cutter_error(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(cutter_jams=True))
    printer = _printer(pty_device(emu))
    with pytest.raises(CutterError) as info:
        await printer.print_ticket(ticket)
    assert info.value.reason == "cutter-error"
    health = await printer.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("cutter-error",))
    emu.clear_cutter()
    assert (await printer.print_ticket(ticket)).state is HealthState.OK
    await printer.close()


async def test_unrecoverable_error(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(unrecoverable=True))
    printer = _printer(pty_device(emu))
    with pytest.raises(PrinterFault):
        await printer.print_ticket(ticket)
    assert (await printer.health()).reasons == ("unrecoverable-error",)
    await printer.close()


async def test_silent_printer_times_out_quickly_as_offline(pty_device: MakePty, ticket: TicketPrint) -> None:
    emu = EscposEmulator(faults=Faults(silent=True))
    printer = _printer(pty_device(emu))
    started = time.monotonic()
    with pytest.raises(PrinterOffline) as info:
        await printer.print_ticket(ticket)
    assert time.monotonic() - started < 2
    assert info.value.reason == "offline"
    health = await printer.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("offline",))
    emu.script(silent=False)  # plugged back in: the next status query answers
    assert (await printer.health()).state is HealthState.OK
    await printer.close()


async def test_garbage_on_the_line_is_a_fault_not_a_crash(pty_device: MakePty) -> None:
    class Noisy(EscposEmulator):
        def receive(self, data: bytes) -> list[tuple[float, bytes]]:
            super().receive(data)
            return [(0.0, b"\xff")] if data.startswith(b"\x10\x04") else []

    printer = _printer(pty_device(Noisy()))
    health = await printer.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("protocol-error",))
    await printer.close()


async def test_self_test_prints_a_scannable_test_ticket(pty_device: MakePty) -> None:
    emu = EscposEmulator()
    printer = _printer(pty_device(emu))
    assert (await printer.self_test()).state is HealthState.OK
    assert decode_qr(emu.log.tickets[0]) == ["https://onevisit.invalid/self-test"]
    await printer.close()
