"""The simulator behaves like the real driver: events, health, 61xx/6Cxx, and each fault."""

from __future__ import annotations

import asyncio

import pytest

from drivers.health import HealthState
from drivers.smartcard import (
    CardInserted,
    CardMute,
    CardRemoved,
    CardRemovedError,
    CommandApdu,
    NoCard,
    PcscUnavailable,
    PsamRequired,
    ReaderAbsent,
    ReaderAdded,
    ReaderRemoved,
    SimConfig,
    UnsupportedCard,
    open_card_reader,
)
from drivers.smartcard.apps import SSSE_NAME, Iso7816Application, SocialSecurityCardApplication
from drivers.smartcard.atr import build_atr
from drivers.smartcard.sim import DEMO_AID, SimCardReader
from drivers.smartcard.sim_card import ScriptedCard, command_key

ATR = build_atr(historical=b"SIM", protocols=(1,))
READ = CommandApdu(0x00, 0xB0, 0, 0, le=256)


def plain_card(**kwargs: object) -> ScriptedCard:
    return ScriptedCard(atr=ATR, **kwargs).reply("00B0000000", bytes(range(20)) + b"\x90\x00")  # type: ignore[arg-type]


async def test_events_start_from_current_state_and_follow_changes() -> None:
    reader = SimCardReader().start()
    stream = reader.events()
    assert await stream.__anext__() == ReaderAdded(reader.name)
    reader.insert(plain_card())
    assert await stream.__anext__() == CardInserted(reader.name, ATR)
    late = reader.events()
    replayed = [await late.__anext__(), await late.__anext__()]
    assert replayed == [ReaderAdded(reader.name), CardInserted(reader.name, ATR)]
    reader.remove()
    assert await stream.__anext__() == CardRemoved(reader.name)
    reader.unplug_reader()
    assert await stream.__anext__() == ReaderRemoved(reader.name)


async def test_cancelled_wait_loses_no_event() -> None:
    reader = SimCardReader().start()
    stream = reader.events()
    await stream.__anext__()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(stream.__anext__(), 0.01)
    reader.insert(plain_card())
    assert await stream.__anext__() == CardInserted(reader.name, ATR)


async def test_transmit_with_61xx_and_6cxx() -> None:
    reader = SimCardReader().start()
    card = plain_card(chunk=8, strict_le=True)
    reader.insert(card)
    assert await reader.transmit(READ) == (bytes(range(20)), 0x9000)
    assert [c.hex().upper() for c in card.received] == [
        "00B0000000", "00B0000014", "00C0000008", "00C0000008", "00C0000004"]


@pytest.mark.parametrize(("fault", "error", "state", "reasons"), [
    ("stop_service", PcscUnavailable, HealthState.FAULT, ("pcscd-unavailable",)),
    ("unplug_reader", ReaderAbsent, HealthState.ABSENT, ("reader-absent",)),
    ("remove", NoCard, HealthState.OK, ()),
])
async def test_faults_raise_typed_errors_and_show_in_health(
        fault: str, error: type[Exception], state: HealthState, reasons: tuple[str, ...]) -> None:
    reader = SimCardReader().start()
    reader.insert(plain_card())
    getattr(reader, fault)()
    with pytest.raises(error):
        await reader.transmit(READ)
    health = await reader.health()
    assert (health.state, health.reasons) == (state, reasons)


async def test_mute_card() -> None:
    reader = SimCardReader().start()
    reader.insert(ScriptedCard(atr=b""))
    assert (await reader.health()).reasons == ("card-mute",)
    with pytest.raises(CardMute):
        await reader.transmit(READ)
    card = plain_card()
    card.mute_on.add(command_key(READ))
    reader.insert(card)
    with pytest.raises(CardMute):
        await reader.transmit(READ)


async def test_card_pulled_mid_exchange() -> None:
    reader = SimCardReader().start()
    card = plain_card(chunk=8)
    card.pull_on.add(bytes.fromhex("00C00000"))
    reader.insert(card)
    stream = reader.events()
    await stream.__anext__()
    await stream.__anext__()
    with pytest.raises(CardRemovedError) as info:
        await reader.transmit(READ)
    assert info.value.reason == "card-removed"
    assert await stream.__anext__() == CardRemoved(reader.name)


async def test_demo_card_through_the_factory() -> None:
    async with open_card_reader(SimConfig(demo_card=True)) as reader:
        summary = await reader.run_script(Iso7816Application([DEMO_AID, SSSE_NAME]))
        assert summary.applications == (DEMO_AID,)
        assert summary.selections[0].label == "DEMO"
        with pytest.raises(UnsupportedCard):
            await reader.run_script(SocialSecurityCardApplication())
        result = await reader.self_test()
        assert result.passed
        assert result.card_present


def sscard(holder_sw: str | None = None) -> ScriptedCard:
    card = ScriptedCard(atr=ATR)
    card.reply(CommandApdu(0, 0xA4, 0x04, 0x00, SSSE_NAME), "9000")
    card.reply("00A4020002EF05", "9000")
    card.reply("00B2010000", b"D156000005ABCDEF\x90\x00")
    card.reply("00B2040000", "04 06 1100 0000 00FF 9000".replace(" ", ""))
    card.reply("00B2060000", "2033 0115 9000".replace(" ", ""))
    card.reply("00A4020002EF06", "9000")
    for tag in range(0x08, 0x0E):
        card.reply(f"00B2{tag:02X}0000", holder_sw or "6A83")
    if holder_sw is None:
        card.reply("00B2090000", "09 04".replace(" ", "") + "张三".encode("gbk").hex() + "9000")
        card.reply("00B2080000", b"110101199001011234\x90\x00")
    return card


async def test_social_security_card_reads_what_the_card_gives() -> None:
    reader = SimCardReader().start()
    reader.insert(sscard())
    result = await reader.run_script(SocialSecurityCardApplication(read_holder=True))
    assert result.issuer.card_identifier == "D156000005ABCDEF"
    assert result.issuer.issuer_org == "1100000000"
    assert result.issuer.expiry_date == "20330115"
    assert result.issuer.card_type == ""  # not on this card: left empty, never invented
    assert result.holder is not None
    assert result.holder.name == "张三"
    assert result.holder.social_security_number == "110101199001011234"
    assert "张三" not in repr(result.holder)
    assert "199001011234" not in repr(result.holder)


class FakePsam:
    """Stands in for a provincial PSAM integration: records the call, unlocks nothing."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    async def authenticate(self, card: object, issuer: object, ef: int) -> None:
        self.calls.append(ef)


async def test_social_security_holder_needs_psam() -> None:
    reader = SimCardReader().start()
    reader.insert(sscard(holder_sw="6982"))
    with pytest.raises(PsamRequired) as info:
        await reader.run_script(SocialSecurityCardApplication(read_holder=True))
    assert info.value.reason == "psam-required"
    psam = FakePsam()
    with pytest.raises(PsamRequired):
        await reader.run_script(SocialSecurityCardApplication(read_holder=True, psam=psam))
    assert psam.calls == [0xEF06]  # the plug-in point was called before giving up


async def test_issuer_file_locked_entirely() -> None:
    reader = SimCardReader().start()
    card = ScriptedCard(atr=ATR).reply(CommandApdu(0, 0xA4, 0x04, 0x00, SSSE_NAME), "9000")
    card.reply("00A4020002EF05", "6982")
    reader.insert(card)
    with pytest.raises(PsamRequired):
        await reader.run_script(SocialSecurityCardApplication())
