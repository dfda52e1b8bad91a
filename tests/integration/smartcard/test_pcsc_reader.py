"""The real PC/SC driver against a private pcscd + vpcd with a scripted virtual card."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from drivers.health import HealthState
from drivers.smartcard import (
    CardInserted,
    CardRemoved,
    CardRemovedError,
    CommandApdu,
    NoCard,
    PcscConfig,
    PcscUnavailable,
    PsamRequired,
    ReaderAdded,
    ReaderRemoved,
    UnsupportedCard,
)
from drivers.smartcard.apps import SSSE_NAME, Iso7816Application, SocialSecurityCardApplication
from drivers.smartcard.atr import build_atr
from drivers.smartcard.events import CardEvent
from drivers.smartcard.hub import EventStream
from drivers.smartcard.pcsc import PcscCardReader
from drivers.smartcard.sim_card import ScriptedCard, command_key
from tests.fixtures.pcsc import READER_PREFIX, PrivatePcscd, VirtualCard

pytestmark = pytest.mark.integration

SLOT0 = f"{READER_PREFIX} 00 00"
AID = bytes.fromhex("A000000632010105")
ATR = build_atr(historical=b"OneVisitTest", protocols=(0, 1))


@pytest.fixture
async def reader(pcscd_running: PrivatePcscd) -> AsyncIterator[PcscCardReader]:
    config = PcscConfig(reader_filter=READER_PREFIX, poll_interval_s=0.3, reconnect_initial_s=0.05,
                        reconnect_max_s=0.5)
    async with PcscCardReader(config) as r:
        yield r


async def next_event(stream: EventStream, kind: type[CardEvent], reader: str = SLOT0,
                     timeout: float = 5) -> CardEvent:
    """The next event of ``kind`` for ``reader``; others (e.g. slot 1) are skipped."""
    async with asyncio.timeout(timeout):
        while True:
            event = await stream.__anext__()
            if isinstance(event, kind) and event.reader == reader:
                return event


def card(**kwargs: object) -> ScriptedCard:
    c = ScriptedCard(atr=ATR, **kwargs)  # type: ignore[arg-type]
    c.reply(CommandApdu(0x00, 0xA4, 0x04, 0x00, AID), "6F0A8408A000000632010105 9000".replace(" ", ""))
    c.reply("00B0000000", bytes(range(40)) + b"\x90\x00")
    return c


async def test_readers_appear_and_health_is_ok(reader: PcscCardReader, pcscd_running: PrivatePcscd) -> None:
    stream = reader.events()
    seen = {await next_event(stream, ReaderAdded, name) for name in pcscd_running.readers}
    assert seen == {ReaderAdded(name) for name in pcscd_running.readers}
    assert (await reader.health()).state is HealthState.OK
    result = await reader.self_test()
    assert result.passed
    assert set(result.readers) == set(pcscd_running.readers)
    assert not result.card_present


async def test_filter_hides_other_readers(pcscd_running: PrivatePcscd) -> None:
    async with PcscCardReader(PcscConfig(reader_filter="no such reader", poll_interval_s=0.2)) as r:
        health = await r.health()
        assert health.state is HealthState.ABSENT
        assert health.reasons == ("reader-absent",)
        assert not (await r.self_test()).passed


async def test_insert_and_remove_events(reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    stream = reader.events()
    await next_event(stream, ReaderAdded)
    virtual_card.insert(card())
    inserted = await next_event(stream, CardInserted)
    assert isinstance(inserted, CardInserted)
    assert inserted.atr == ATR
    virtual_card.remove()
    assert await next_event(stream, CardRemoved) == CardRemoved(SLOT0)
    with pytest.raises(NoCard):
        await reader.transmit(CommandApdu(0x00, 0xB0, 0, 0, le=256))


async def test_apdu_exchange_and_select_by_aid(reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    stream = reader.events()
    virtual_card.insert(card())
    await next_event(stream, CardInserted)
    data, sw = await reader.transmit(bytes.fromhex("00B0000000"))
    assert (data, sw) == (bytes(range(40)), 0x9000)
    summary = await reader.run_script(Iso7816Application([AID, bytes.fromhex("A0000000031010")]))
    assert summary.applications == (AID,)
    assert summary.atr.historical == b"OneVisitTest"
    assert summary.selections[1].sw == 0x6A82


async def test_61xx_is_followed_by_get_response(reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    c = card(chunk=16)
    stream = reader.events()
    virtual_card.insert(c)
    await next_event(stream, CardInserted)
    data, sw = await reader.transmit(CommandApdu(0x00, 0xB0, 0, 0, le=256))
    assert (data, sw) == (bytes(range(40)), 0x9000)
    commands = [r.hex().upper() for r in c.received]
    assert commands == ["00B0000000", "00C0000010", "00C0000010", "00C0000008"]


async def test_6cxx_is_resent_with_the_exact_le(reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    c = card(strict_le=True)
    stream = reader.events()
    virtual_card.insert(c)
    await next_event(stream, CardInserted)
    data, sw = await reader.transmit(CommandApdu(0x00, 0xB0, 0, 0, le=256))
    assert (data, sw) == (bytes(range(40)), 0x9000)
    assert [r.hex().upper() for r in c.received] == ["00B0000000", "00B0000028"]


async def test_card_pulled_mid_read(reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    c = card(chunk=16)
    c.pull_on.add(command_key(bytes.fromhex("00C0000010")))  # leaves while the answer is being fetched
    stream = reader.events()
    virtual_card.insert(c)
    await next_event(stream, CardInserted)
    with pytest.raises(CardRemovedError) as info:
        await reader.transmit(CommandApdu(0x00, 0xB0, 0, 0, le=256))
    assert info.value.reason == "card-removed"
    assert await next_event(stream, CardRemoved) == CardRemoved(SLOT0)


async def test_pcscd_killed_and_restarted_driver_recovers(reader: PcscCardReader, virtual_card: VirtualCard,
                                                          pcscd_running: PrivatePcscd) -> None:
    stream = reader.events()
    virtual_card.insert(card())
    await next_event(stream, CardInserted)

    pcscd_running.kill()
    await next_event(stream, ReaderRemoved)
    health = await reader.health()
    assert health.state is HealthState.FAULT
    assert health.reasons == ("pcscd-unavailable",)
    with pytest.raises(PcscUnavailable):
        await reader.transmit(CommandApdu(0x00, 0xB0, 0, 0, le=256))

    pcscd_running.start()
    await next_event(stream, ReaderAdded)
    await next_event(stream, CardInserted)  # the card never left; the driver sees it again by itself
    assert (await reader.health()).state is HealthState.OK
    assert await reader.transmit(CommandApdu(0x00, 0xB0, 0, 0, le=256)) == (bytes(range(40)), 0x9000)


async def test_social_security_card_reads_issuer_and_refuses_holder_without_psam(
        reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    c = ScriptedCard(atr=ATR, chunk=32)
    c.reply(CommandApdu(0x00, 0xA4, 0x04, 0x00, SSSE_NAME), "6F00 9000".replace(" ", ""))
    c.reply("00A4020002EF05", "9000")
    c.reply("00B2010000", b"\x01\x10" + b"110000D15600000500AB12CD".ljust(16, b"\x00")[:16] + b"\x90\x00")
    c.reply("00B2020000", b"\x02\x013\x90\x00")
    c.reply("00B2030000", b"\x03\x043.00\x90\x00")
    c.reply("00B2050000", b"\x05\x04\x20\x23\x01\x15\x90\x00")
    c.reply("00B2070000", b"\x07\x09A12345678\x90\x00")
    c.reply("00A4020002EF06", "9000")
    for tag in range(0x08, 0x0E):
        c.reply(f"00B2{tag:02X}0000", "6982")
    stream = reader.events()
    virtual_card.insert(c)
    await next_event(stream, CardInserted)
    result = await reader.run_script(SocialSecurityCardApplication())
    assert result.issuer.card_type == "3"
    assert result.issuer.spec_version == "3.00"
    assert result.issuer.issue_date == "20230115"
    assert result.issuer.card_number == "A12345678"
    assert "A12345678" not in repr(result.issuer)
    assert result.holder is None
    with pytest.raises(PsamRequired):
        await reader.run_script(SocialSecurityCardApplication(read_holder=True))


async def test_not_a_social_security_card(reader: PcscCardReader, virtual_card: VirtualCard) -> None:
    stream = reader.events()
    virtual_card.insert(card())
    await next_event(stream, CardInserted)
    with pytest.raises(UnsupportedCard):
        await reader.run_script(SocialSecurityCardApplication())
