"""The UI's agent client (against a stand-in agent on a real Unix socket) and the device glue."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.document_printer import DocumentSimConfig
from drivers.errors import DeviceAbsent, DriverError
from drivers.idcard import IdReaderSimConfig, sample_card
from drivers.receipt_printer import ReceiptSimConfig
from hall_protocol.errors import ErrorCode
from hall_protocol.hall_config import HallConfig, load_hall_config
from hall_protocol.health import HealthState, PeripheralHealth
from hall_protocol.local import Subscribe
from hall_protocol.tickets import Ack, ErrorReply, IssueTicket, TicketReply
from hall_runtime.backoff import Backoff
from kiosk.agent_client import AgentClient, LinkState
from kiosk.apps.devices import DeviceCallbacks, DeviceHub, DevicePrinter
from kiosk.config import DevicesConfig
from kiosk.viewmodels.printing import LineSize, Receipt, ReceiptLine
from kiosk.viewmodels.session import IdSource
from tests.e2e.kiosk_ui.fake_agent import FakeAgent

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo"
ZHANG = "210102196503120026"


@pytest.fixture(scope="module")
def hall() -> HallConfig:
    return load_hall_config(DEMO / "hall.toml")


@pytest.fixture
async def agent(tmp_path: Path, hall: HallConfig) -> AsyncIterator[FakeAgent]:
    fake = await FakeAgent(str(tmp_path / "a.sock"), hall).start()
    yield fake
    await fake.close()


async def wait_until(cond: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # type: ignore[operator]  # noqa: ASYNC110 - polls state owned by other tasks
            await asyncio.sleep(0.01)


def issue(rid: str) -> IssueTicket:
    return IssueTicket(request_id=rid, service="SB-CARD", source_device="kiosk-1")


async def test_requests_reconnects_and_health_replay(agent: FakeAgent) -> None:
    states: list[LinkState] = []
    conn = AgentClient(agent.path, subscribe=Subscribe(hall_state=True), on_state=states.append,
                       backoff=Backoff(base=0.01, cap=5.0))
    reply = await conn.request(issue("r0"))
    assert isinstance(reply, ErrorReply)
    assert reply.code is ErrorCode.UNAVAILABLE
    task = asyncio.create_task(conn.run())
    try:
        await wait_until(lambda: conn.state.connected and conn.state.online)
        assert isinstance(await conn.request(issue("r1")), TicketReply)
        await conn.report_health("receipt_printer", PeripheralHealth(state=HealthState.DEGRADED,
                                                                     reasons=("media-low",)))
        await wait_until(lambda: "receipt_printer" in agent.health)
        agent.set_online(False)
        await wait_until(lambda: conn.state.connected and not conn.state.online)
        agent.health.clear()
        await agent.drop_clients()
        await wait_until(lambda: conn.connects == 2 and conn.state.connected)
        await wait_until(lambda: "receipt_printer" in agent.health)  # sent again after the reconnect
        assert LinkState(connected=False, online=False) in states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_an_agent_that_is_not_there_yet(tmp_path: Path, hall: HallConfig) -> None:
    conn = AgentClient(str(tmp_path / "later.sock"), backoff=Backoff(base=0.01, cap=0.05))
    task = asyncio.create_task(conn.run())
    try:
        await asyncio.sleep(0.1)
        assert not conn.state.connected
        fake = await FakeAgent(str(tmp_path / "later.sock"), hall).start()
        await wait_until(lambda: conn.state.connected)
        await fake.close()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_listener_that_raises_does_not_stop_the_feed(agent: FakeAgent, hall: HallConfig) -> None:
    from hall_protocol.hall import HallState

    seen: list[object] = []

    def on_event(event: object) -> None:
        seen.append(event)
        raise RuntimeError("a broken screen")

    conn = AgentClient(agent.path, subscribe=Subscribe(hall_state=True), on_event=on_event)
    task = asyncio.create_task(conn.run())
    try:
        await wait_until(lambda: conn.state.connected)
        await agent.subscribed.wait()
        for seq in (1, 2):
            agent.push(HallState(hall="demo", ts=0, seq=seq))
        await wait_until(lambda: len(seen) == 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_scripts_connect_with_async_with_and_get_every_answer_as_a_reply(agent: FakeAgent) -> None:
    async with AgentClient(agent.path, subscribe=Subscribe(hall_state=True)) as client:
        assert client.state.connected
        assert client.hello is not None
        assert client.hello.device_id == "kiosk-1"
        await client.wait_online(5)
        agent._replies["odd"] = Ack(request_id="odd")  # a hall that answers a ticket request with an ack
        odd = await client.issue_ticket(issue("odd"))
        assert isinstance(odd, ErrorReply)
        assert (odd.request_id, odd.code) == ("odd", ErrorCode.INTERNAL)
        agent.set_online(False)
        await client.wait_offline(5)
    assert not client.state.connected
    closed = await client.request(issue("late"))
    assert isinstance(closed, ErrorReply)
    assert closed.code is ErrorCode.UNAVAILABLE


async def test_async_with_and_no_agent_is_a_timeout(tmp_path: Path) -> None:
    client = AgentClient(str(tmp_path / "nobody.sock"), backoff=Backoff(base=0.01, cap=0.05), hello_timeout_s=0.3)
    with pytest.raises(TimeoutError, match="no device agent"):
        async with client:
            pass


def receipt() -> Receipt:
    return Receipt(lines=(ReceiptLine("示范区政务服务中心", LineSize.LARGE, center=True),
                          ReceiptLine("您的号码", center=True), ReceiptLine("A001", LineSize.HUGE, center=True),
                          ReceiptLine("请到 A区 等候叫号")), qr="http://127.0.0.1:8080/t/demo/T-A001?k=x")


async def test_printer_adapter_prints_and_reports_paper_out() -> None:
    from drivers.receipt_printer import open_receipt_printer

    sim = open_receipt_printer(ReceiptSimConfig(tickets_per_roll=1))
    printer = DevicePrinter(sim, None)
    await printer.print_receipt(receipt())
    assert printer.receipts_printed == 1
    with pytest.raises(DriverError):
        await printer.print_receipt(receipt())
    health = await printer.health()
    assert health.state is HealthState.FAULT
    assert "media-empty" in health.reasons
    with pytest.raises(DeviceAbsent):
        await printer.print_document(b"%PDF-1.4", "application/pdf", "回执")
    await printer.aclose()


async def test_documents_are_printed_from_a_temporary_file_that_is_removed() -> None:
    from drivers.document_printer import open_document_printer

    doc = open_document_printer(DocumentSimConfig())
    printer = DevicePrinter(None, doc)
    png = (DEMO.parent.parent / "tests" / "e2e" / "kiosk_ui" / "reference" / "ticket.png").read_bytes()
    await printer.print_document(png, "image/png", "受理回执")
    assert printer.documents_printed == 1
    assert printer.temp_files() == []
    await printer.aclose()


async def test_a_card_on_the_reader_is_read_once_per_placement() -> None:
    cards: list[tuple[str, str, IdSource]] = []
    errors: list[None] = []
    healths: dict[str, PeripheralHealth] = {}
    callbacks = DeviceCallbacks(on_card=lambda *a: cards.append(a), on_card_error=lambda: errors.append(None),
                                on_health=healths.__setitem__)
    hub = DeviceHub(DevicesConfig(id_reader=IdReaderSimConfig(card_present=False)), use=("id_reader",),
                    callbacks=callbacks)
    reader = hub.id_reader
    assert reader is not None
    task = asyncio.create_task(hub.run())
    try:
        await wait_until(lambda: "id_reader" in healths)
        assert healths["id_reader"].state is HealthState.OK
        born = dt.date(1965, 3, 12)
        reader.place(sample_card(name="张三", id_number=ZHANG, birth_date=born))
        await wait_until(lambda: len(cards) == 1)
        await asyncio.sleep(1.2)  # it stays on the reader: not read again
        assert cards == [(ZHANG, "张三", IdSource.ID_CARD)]
        reader.remove()
        await asyncio.sleep(0.8)
        reader.place(sample_card(name="张三", id_number=ZHANG, birth_date=born))
        await wait_until(lambda: len(cards) == 2)
        reader.remove()
        await asyncio.sleep(0.8)
        reader.place(sample_card(name="张三", id_number=ZHANG))  # birth date does not match: unreadable
        await wait_until(lambda: len(errors) == 1)
        await asyncio.sleep(1.0)
        assert len(errors) == 1, "one message per unreadable card, not one per poll"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
