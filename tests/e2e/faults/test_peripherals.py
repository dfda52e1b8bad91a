"""Peripherals fail while the hall is busy: the receipt printer runs out of paper halfway through a ticket, pcscd
restarts in the middle of a card read, the ID reader is unplugged and plugged back in. The kiosk's own
view-models (the ones its screens show) run against its real agent, so what the citizen is told is what
these tests read; two other kiosks and two windows carry the steady load."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from drivers.errors import DriverError
from drivers.idcard import Ga467Emulator, Ga467SerialConfig, open_id_reader, sample_card
from drivers.idcard import errors as id_errors
from drivers.receipt_printer import EscposEmulator, EscposSerialConfig, Faults, open_receipt_printer
from drivers.serial_pty import PtyHost
from drivers.smartcard import CardInserted, CommandApdu, PcscConfig, PcscUnavailable, ReaderAdded
from drivers.smartcard.atr import build_atr
from drivers.smartcard.pcsc import PcscCardReader
from drivers.smartcard.sim_card import ScriptedCard, command_key
from hall_protocol.hall_config import load_hall_config
from hall_protocol.health import HealthState
from hall_protocol.tickets import IssueTicket
from kiosk.agent_client import AgentClient
from kiosk.apps.devices import DevicePrinter
from kiosk.catalog import load_catalog
from kiosk.guide import load_guides
from kiosk.i18n import Text
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import FaultKind
from kiosk.viewmodels.identify import IdentifyMethod, IdentifyViewModel
from kiosk.viewmodels.session import Session
from kiosk.viewmodels.ticket import TicketPhase, TicketViewModel
from tests.e2e.faults.hall import DEMO, KIOSKS, Hall, check, running_hall
from tests.fixtures.pcsc import READER_PREFIX, PrivatePcscd, VirtualCard

pytestmark = pytest.mark.e2e

KIOSK = KIOSKS[0]  # the kiosk under test; the other two carry the load
LOAD = KIOSKS[1:]
RECOVERY_S = 5.0


class RecordingClient:
    """The kiosk's hall client, writing down every ticket answer for the hall-wide check."""

    def __init__(self, inner: AgentClient, hall: Hall) -> None:
        self.inner = inner
        self.hall = hall

    async def issue_ticket(self, request: IssueTicket) -> Any:
        t0, sent = time.monotonic(), time.time()
        reply = await self.inner.issue_ticket(request)
        self.hall.ledger.record(KIOSK, request.request_id, request.service, sent, time.monotonic() - t0, reply)
        return reply

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def _kiosk_link(hall: Hall) -> AgentClient:
    link = AgentClient(hall.agents[KIOSK].config.socket_path, hello_timeout_s=5)
    await link.start()
    await link.wait_online(20)
    return link


async def test_printer_out_of_paper_mid_ticket(tmp_path: Path) -> None:
    emulator = EscposEmulator(faults=Faults(paper_out_after_rows=200))
    host = PtyHost(emulator).start()
    async with running_hall(tmp_path, demo=True) as hall:
        hall.start_load(kiosks=LOAD)
        await hall.until_tickets(4)
        link = await _kiosk_link(hall)
        receipt = open_receipt_printer(EscposSerialConfig(port=host.port, status_timeout_s=0.3, band_rows=128))
        try:
            config = load_hall_config(hall.toml)
            catalog = load_catalog(DEMO / "catalog.toml", config, guides=set(load_guides(DEMO / "guides")))
            ctx = KioskContext(hall=config, client=RecordingClient(link, hall), device_id=KIOSK,
                               printer=DevicePrinter(receipt, None))
            vm = TicketViewModel(ctx)
            assert await vm.take(catalog.service("SB-CARD")) is TicketPhase.ISSUED
            ticket = vm.ticket
            assert ticket is not None
            # the roll ended mid-ticket: the number stays on the screen, with the truth and what to do
            assert not vm.printed
            assert emulator.log.torn, "the emulated printer did not tear a ticket"
            notice = ctx.faults.notice
            assert notice is not None
            assert notice.kind is FaultKind.PRINTER_PAPER_OUT
            assert notice.ticket is ticket
            assert notice.title.render("zh") == "打印机缺纸"
            assert not ticket.provisional
            assert (await receipt.health()).state is HealthState.FAULT

            emulator.load_paper()  # a member of staff reloads the roll
            deadline = time.monotonic() + RECOVERY_S
            while (await receipt.health()).state is not HealthState.OK:
                assert time.monotonic() < deadline, "the printer did not recover after the roll was reloaded"
                await asyncio.sleep(0.1)
            ctx.faults.clear()  # the next citizen starts from the attract screen
            vm2 = TicketViewModel(ctx)
            assert await vm2.take(catalog.service("SB-CARD")) is TicketPhase.ISSUED
            assert vm2.printed
            assert len(emulator.log.tickets) == 1
        finally:
            await receipt.close()
            await link.aclose()
            host.close()
        await hall.until_tickets(4)
        await hall.settle()
        verdict = await check(hall)
    mine = [a for a in hall.ledger.tickets() if a.device == KIOSK]
    assert [a.reply.ticket.number for a in mine] == [ticket.number, vm2.ticket.number]  # type: ignore[union-attr]
    print(f"paper out mid-ticket: {verdict.tickets} tickets in the hall, the torn one kept on screen")


ATR = build_atr(historical=b"OneVisitTest", protocols=(0, 1))
AID = bytes.fromhex("A000000632010105")
READ = CommandApdu(0x00, 0xB0, 0, 0, le=256)


@pytest.fixture
async def card_reader(pcscd_running: PrivatePcscd) -> AsyncIterator[PcscCardReader]:
    config = PcscConfig(reader_filter=READER_PREFIX, poll_interval_s=0.3, reconnect_initial_s=0.05,
                        reconnect_max_s=0.5)
    async with PcscCardReader(config) as r:
        yield r


async def _next(stream: Any, kind: type, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not isinstance(await stream.__anext__(), kind):
            pass


async def test_pcscd_restart_mid_read(tmp_path: Path, card_reader: PcscCardReader, virtual_card: VirtualCard,
                                      pcscd_running: PrivatePcscd) -> None:
    card = ScriptedCard(atr=ATR)
    card.reply(CommandApdu(0x00, 0xA4, 0x04, 0x00, AID), "9000")
    card.reply("00B0000000", bytes(range(18)) + b"\x90\x00")
    card.mute_on.add(command_key(READ.to_bytes()))  # the read hangs: pcscd goes away in the middle of it
    async with running_hall(tmp_path, demo=True) as hall:
        hall.start_load(kiosks=LOAD)
        await hall.until_tickets(4)
        identify = IdentifyViewModel(Session())
        identify.choose(IdentifyMethod.SSC)
        stream = card_reader.events()
        virtual_card.insert(card)
        await _next(stream, CardInserted)
        reading = asyncio.create_task(card_reader.transmit(READ))
        await asyncio.sleep(0.5)
        pcscd_running.kill()
        with pytest.raises((PcscUnavailable, DriverError)):
            await asyncio.wait_for(reading, 10)
        identify.on_card_error()  # what the device hub does with a failed read
        assert identify.error == Text("identify.error.card_read")
        assert identify.session.identity is None  # nobody was greeted on the strength of a broken read
        # the reader's monitor thread notices pcscd's absence on its own poll, which may come after the read failed
        deadline = time.monotonic() + 5
        while (await card_reader.health()).state is not HealthState.FAULT:
            assert time.monotonic() < deadline, "the reader's health never turned to fault without pcscd"
            await asyncio.sleep(0.05)

        card.mute_on.clear()
        restarted = time.monotonic()
        pcscd_running.start()
        await _next(stream, ReaderAdded)
        await _next(stream, CardInserted)  # the card never left: the driver finds it again by itself
        data, sw = await card_reader.transmit(READ)
        took = time.monotonic() - restarted
        assert (data, sw) == (bytes(range(18)), 0x9000)
        await hall.until_tickets(4)
        await hall.settle()
        verdict = await check(hall)
    assert took <= RECOVERY_S + 5
    print(f"pcscd restart mid-read: read again {took:.1f} s after pcscd came back; {verdict.tickets} tickets")


async def test_id_reader_unplugged_and_replugged(tmp_path: Path) -> None:
    """The reader's port is a stable name (udev's /dev/serial/by-id link); unplugging closes the pty."""
    link = tmp_path / "usb-GA467-reader"
    host = PtyHost(Ga467Emulator(card=sample_card())).start()
    os.symlink(host.port, link)
    reader = open_id_reader(Ga467SerialConfig(port=str(link), response_timeout_s=0.5, read_timeout_s=1.0,
                                              inter_byte_timeout_s=0.2))
    async with running_hall(tmp_path, demo=True) as hall:
        hall.start_load(kiosks=LOAD)
        await hall.until_tickets(4)
        identify = IdentifyViewModel(Session())
        assert await reader.read_card() is not None

        host.close()
        link.unlink()
        with pytest.raises(id_errors.ReaderAbsent):
            await reader.read_card()
        health = await reader.health()
        assert health.state is HealthState.ABSENT
        assert health.reasons == ("reader-absent",)
        # the kiosk stops offering "read your ID card" rather than letting a citizen wait on a dead reader
        identify.set_available(IdentifyMethod.ID_CARD, False)
        assert (IdentifyMethod.ID_CARD, Text("identify.method.id_card"), False) in identify.methods

        host = PtyHost(Ga467Emulator(card=sample_card())).start()
        os.symlink(host.port, link)
        plugged = time.monotonic()
        record = None
        while record is None:
            try:
                record = await reader.read_card()
            except DriverError:
                assert time.monotonic() - plugged < RECOVERY_S, "the reader did not come back"
                await asyncio.sleep(0.2)
        took = time.monotonic() - plugged
        assert (await reader.health()).state is HealthState.OK
        await reader.aclose()
        host.close()
        await hall.until_tickets(4)
        await hall.settle()
        verdict = await check(hall)
    assert took <= RECOVERY_S
    print(f"ID reader replugged: reading again after {took:.2f} s; {verdict.tickets} tickets")
