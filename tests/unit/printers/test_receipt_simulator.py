from __future__ import annotations

import pytest

from drivers.health import HealthState
from drivers.receipt_printer import (
    CoverOpen,
    CutterError,
    PaperOut,
    PrinterFault,
    PrinterOffline,
    ReceiptSimConfig,
    SimulatedReceiptPrinter,
    TicketPrint,
    open_receipt_printer,
)
from drivers.receipt_printer.emulator import Faults
from tests.unit.printers.ticket_checks import decode_qr


async def test_sim_prints_a_ticket_that_scans(ticket: TicketPrint) -> None:
    sim = SimulatedReceiptPrinter()
    health = await sim.print_ticket(ticket)
    assert health.state is HealthState.OK
    assert len(sim.emulator.log.tickets) == 1
    assert decode_qr(sim.emulator.log.tickets[0]) == [ticket.qr_url]


async def test_sim_from_config_runs_out_after_its_roll(ticket: TicketPrint) -> None:
    printer = open_receipt_printer(ReceiptSimConfig(tickets_per_roll=2))
    assert isinstance(printer, SimulatedReceiptPrinter)
    await printer.print_ticket(ticket)
    health = await printer.print_ticket(ticket)  # the last ticket on the roll comes out whole
    assert (health.state, health.reasons) == (HealthState.FAULT, ("media-empty",))
    with pytest.raises(PaperOut) as info:
        await printer.print_ticket(ticket)
    assert not info.value.incomplete
    assert info.value.reason == "media-empty"
    assert len(printer.emulator.log.tickets) == 2


@pytest.mark.parametrize(("faults", "error"), [
    (Faults(paper_out=True), PaperOut),
    (Faults(cover_open=True), CoverOpen),
    (Faults(unrecoverable=True), PrinterFault),
    (Faults(silent=True), PrinterOffline),
])
async def test_sim_refuses_before_sending(ticket: TicketPrint, faults: Faults, error: type[Exception]) -> None:
    sim = SimulatedReceiptPrinter(faults=faults)
    with pytest.raises(error):
        await sim.print_ticket(ticket)
    assert not any(c.startswith("GS v 0") or c == "ESC @" for c in sim.emulator.log.commands)


async def test_sim_paper_out_mid_ticket_is_reported_incomplete(ticket: TicketPrint) -> None:
    sim = SimulatedReceiptPrinter(faults=Faults(paper_out_after_rows=300))
    with pytest.raises(PaperOut) as info:
        await sim.print_ticket(ticket)
    assert info.value.incomplete
    assert "paper end" in str(info.value)
    bands = [c for c in sim.emulator.log.commands if c.startswith("GS v 0")]
    assert len(bands) == 3  # stopped right after the band that ran out, the rest never sent


async def test_sim_cutter_error(ticket: TicketPrint) -> None:
    sim = SimulatedReceiptPrinter(faults=Faults(cutter_jams=True))
    with pytest.raises(CutterError):
        await sim.print_ticket(ticket)
    assert (await sim.health()).reasons == ("cutter-error",)


async def test_sim_self_test_and_receipt() -> None:
    sim = SimulatedReceiptPrinter(width_dots=384)
    assert (await sim.self_test()).state is HealthState.OK
    await sim.print_receipt("回执 Receipt", ["已受理 Accepted"], "https://x.example/r/1")
    assert decode_qr(sim.emulator.log.tickets[0]) == ["https://onevisit.invalid/self-test"]
    assert decode_qr(sim.emulator.log.tickets[1]) == ["https://x.example/r/1"]
    await sim.close()
