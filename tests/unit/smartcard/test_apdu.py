"""Command/response APDU encoding and the 61xx / 6Cxx exchange rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.smartcard.apdu import CommandApdu, Exchange, ResponseApdu, describe_sw, is_success
from drivers.smartcard.errors import ApduFormatError, CardProtocolError
from drivers.smartcard.sim_card import Fault, ScriptedCard

H = bytes.fromhex


@pytest.mark.parametrize(("apdu", "encoded"), [
    (CommandApdu(0x00, 0xA4, 0x00, 0x0C), "00A4000C"),  # case 1
    (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256), "00B0000000"),  # case 2S, Le=256 → 00
    (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=16), "00B0000010"),
    (CommandApdu(0x00, 0xA4, 0x02, 0x00, H("EF05")), "00A4020002EF05"),  # case 3S
    (CommandApdu(0x00, 0xA4, 0x04, 0x00, H("A0000000031010"), le=256), "00A4040007A000000003101000"),  # 4S
    (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=257), "00B00000000101"),  # case 2E
    (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=65536), "00B00000000000"),
    (CommandApdu(0x00, 0xD6, 0x00, 0x00, bytes(256)), "00D6000000" + "0100" + "00" * 256),  # case 3E
    (CommandApdu(0x00, 0x2A, 0x9E, 0x9A, bytes(300), le=65536), "002A9E9A00012C" + "00" * 300 + "0000"),  # 4E
])
def test_command_encoding_table(apdu: CommandApdu, encoded: str) -> None:
    assert apdu.to_bytes().hex().upper() == encoded.upper()
    assert CommandApdu.parse(H(encoded)) == apdu


@pytest.mark.parametrize("bad", ["", "00A4", "00A404", "00A4040005A0", "00A4020002EF0501FF", "00B00000000000AA",
                                 "00A404000000"])
def test_malformed_commands_are_typed_errors(bad: str) -> None:
    with pytest.raises(ApduFormatError):
        CommandApdu.parse(H(bad))


@pytest.mark.parametrize("kwargs", [{"cla": 256}, {"p1": -1}, {"le": 0}, {"le": 65537}])
def test_out_of_range_fields_are_rejected(kwargs: dict[str, int]) -> None:
    fields = {"cla": 0, "ins": 0xB0, "p1": 0, "p2": 0} | kwargs
    with pytest.raises(ApduFormatError):
        CommandApdu(fields["cla"], fields["ins"], fields["p1"], fields["p2"], le=fields.get("le"))


commands = st.builds(
    CommandApdu,
    st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255),
    st.one_of(st.just(b""), st.binary(min_size=1, max_size=300)),
    st.one_of(st.none(), st.integers(1, 65536)),
)


@given(commands)
def test_command_roundtrip(apdu: CommandApdu) -> None:
    assert CommandApdu.parse(apdu.to_bytes()) == apdu


@given(st.binary(max_size=600))
def test_command_parser_never_crashes(raw: bytes) -> None:
    try:
        apdu = CommandApdu.parse(raw)
    except ApduFormatError:
        return
    assert apdu.to_bytes()[:4] == raw[:4]


@given(st.binary(max_size=300), st.integers(0, 0xFFFF))
def test_response_roundtrip(data: bytes, sw: int) -> None:
    resp = ResponseApdu(data, sw)
    assert ResponseApdu.parse(resp.to_bytes()) == resp
    assert (resp.sw1 << 8) | resp.sw2 == sw


@pytest.mark.parametrize("raw", [b"", b"\x90"])
def test_response_without_status_word(raw: bytes) -> None:
    with pytest.raises(CardProtocolError):
        ResponseApdu.parse(raw)


@pytest.mark.parametrize(("sw", "ok", "text"), [
    (0x9000, True, "success"),
    (0x6282, True, "end of file or record reached before Le bytes"),
    (0x6310, True, "warning: state of non-volatile memory changed"),
    (0x63C2, False, "verification failed, 2 tries left"),
    (0x6982, False, "security status not satisfied"),
    (0x6A82, False, "file or application not found"),
    (0x6110, False, "16 response bytes still available"),
    (0x6C00, False, "wrong Le: exact length is 256"),
    (0x9F10, False, "unknown status word"),
])
def test_status_word_table(sw: int, ok: bool, text: str) -> None:
    assert is_success(sw) is ok
    assert describe_sw(sw) == text


def drive(card: ScriptedCard, command: CommandApdu) -> tuple[ResponseApdu, list[str]]:
    """Wire an Exchange to a scripted card with no transport in between."""
    exchange = Exchange(command)
    out = exchange.first()
    while True:
        answer = card.handle(out)
        assert isinstance(answer, bytes)
        result = exchange.receive(answer)
        if isinstance(result, ResponseApdu):
            return result, [c.hex().upper() for c in card.received]
        out = result


def test_plain_answer_needs_one_command() -> None:
    card = ScriptedCard(atr=b"").reply("00B0000000", "0102 9000".replace(" ", ""))
    assert drive(card, CommandApdu(0, 0xB0, 0, 0, le=256)) == (ResponseApdu(H("0102"), 0x9000), ["00B0000000"])


def test_61xx_chains_get_response_and_joins_the_data() -> None:
    card = ScriptedCard(atr=b"", chunk=4).reply("00B0000000", bytes(range(10)) + b"\x90\x00")
    resp, sent = drive(card, CommandApdu(0, 0xB0, 0, 0, le=256))
    assert resp == ResponseApdu(bytes(range(10)), 0x9000)
    assert sent == ["00B0000000", "00C0000004", "00C0000004", "00C0000002"]


def test_6cxx_resends_with_exact_le() -> None:
    card = ScriptedCard(atr=b"", strict_le=True).reply("00B0000000", bytes(5) + b"\x90\x00")
    resp, sent = drive(card, CommandApdu(0, 0xB0, 0, 0, le=256))
    assert resp == ResponseApdu(bytes(5), 0x9000)
    assert sent == ["00B0000000", "00B0000005"]


def test_6cxx_then_61xx_both_handled() -> None:
    card = ScriptedCard(atr=b"", strict_le=True, chunk=3).reply("00B0000000", bytes(7) + b"\x90\x00")
    resp, sent = drive(card, CommandApdu(0, 0xB0, 0, 0, le=256))
    assert resp.data == bytes(7)
    assert sent[:2] == ["00B0000000", "00B0000007"]


def test_get_response_keeps_the_logical_channel() -> None:
    exchange = Exchange(CommandApdu(0x02, 0xB0, 0, 0, le=256))
    exchange.first()
    assert exchange.receive(H("6108")) == H("02C0000008")
    exchange = Exchange(CommandApdu(0x80, 0xCA, 0, 0, le=256))
    exchange.first()
    assert exchange.receive(H("6100")) == H("00C0000000")


def test_endless_61xx_is_the_cards_fault() -> None:
    exchange = Exchange(CommandApdu(0, 0xB0, 0, 0, le=256), max_chunks=3)
    exchange.first()
    for _ in range(3):
        assert exchange.receive(H("AA6101")) == H("00C0000001")
    with pytest.raises(CardProtocolError):
        exchange.receive(H("AA6101"))


def test_repeated_6cxx_is_the_cards_fault() -> None:
    exchange = Exchange(CommandApdu(0, 0xB0, 0, 0, le=256))
    exchange.first()
    exchange.receive(H("6C05"))
    exchange.receive(H("6C06"))
    with pytest.raises(CardProtocolError):
        exchange.receive(H("6C07"))


@given(st.binary(min_size=1, max_size=700), st.integers(1, 255), st.booleans())
def test_any_answer_survives_chunking_and_le_correction(data: bytes, chunk: int, strict: bool) -> None:
    card = ScriptedCard(atr=b"", chunk=chunk, strict_le=strict).reply("00CA0101", data + b"\x90\x00")
    resp, _ = drive(card, CommandApdu(0, 0xCA, 1, 1, le=256))
    assert resp == ResponseApdu(data, 0x9000)


def test_scripted_card_faults() -> None:
    card = ScriptedCard(atr=b"")
    card.pull_on.add(H("00B00000"))
    card.mute_on.add(H("00B20100"))
    assert card.handle(H("00B0000000")) is Fault.PULLED
    assert card.handle(H("00B2010000")) is Fault.MUTE
    assert card.handle(H("00A4040002AABB")) == H("6A82")
    assert card.handle(H("0012000000")) == H("6D00")
    assert card.handle(H("00")) == H("6700")
