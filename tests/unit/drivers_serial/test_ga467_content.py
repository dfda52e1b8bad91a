"""SW3 table, command/answer matching, the read answer layout and the identity text block."""

from __future__ import annotations

import contextlib
import datetime as dt
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard import errors as e
from drivers.idcard.codes import NATION, SEX
from drivers.idcard.commands import CardPayload, Command, could_answer, encode_read_data, format_sam_id, parse_read_data
from drivers.idcard.emulator import sample_card
from drivers.idcard.frame import ResponseFrame
from drivers.idcard.record import decode_identity, encode_identity_text
from drivers.idcard.status import STATUS, Sw3, error_for
from drivers.idcard.wlt import PhotoDecodeError, decode_photo

ERROR_TABLE = [
    (0x91, e.NoContent),
    (0x10, e.CommandRejected),
    (0x11, e.CommandRejected),
    (0x21, e.CommandRejected),
    (0x23, e.CommandRejected),
    (0x24, e.CommandRejected),
    (0x31, e.CardAuthFailed),
    (0x32, e.CardAuthFailed),
    (0x33, e.CardAuthFailed),
    (0x40, e.UnknownCardType),
    (0x41, e.CardReadFailed),
    (0x47, e.CardReadFailed),
    (0x60, e.SamFault),
    (0x66, e.SamNotAuthorised),
    (0x81, e.CardSelectFailed),
    (0x7E, e.CommandRejected),  # undocumented
]


@pytest.mark.parametrize(("sw3", "kind"), ERROR_TABLE)
def test_every_failure_status_maps_to_its_typed_error(sw3: int, kind: type[e.ReaderStatusError]) -> None:
    err = error_for(sw3, "read card")
    assert type(err) is kind
    assert isinstance(err, e.ReaderStatusError)
    assert err.sw3 == sw3
    assert f"0x{sw3:02X}" in str(err)
    assert err.reason  # the machine code the kiosk maps to its own words


def test_status_table_is_complete() -> None:
    assert set(STATUS) == set(Sw3)
    assert {sw3 for sw3, _ in ERROR_TABLE if sw3 in STATUS} | {0x90, 0x9F, 0x80} == set(STATUS)
    assert error_for(Sw3.SAM_SELF_TEST_FAILED, "SAM status").reason == "sam-fault"


def test_sam_errors_are_device_faults() -> None:
    from drivers.errors import DeviceFault

    assert isinstance(error_for(0x60, "x"), DeviceFault)
    assert isinstance(error_for(0x66, "x"), DeviceFault)


@pytest.mark.parametrize(
    ("command", "frame", "expected"),
    [
        (Command.FIND_CARD, ResponseFrame(0, 0, 0x9F, bytes(4)), True),
        (Command.FIND_CARD, ResponseFrame(0, 0, 0x80), True),
        (Command.FIND_CARD, ResponseFrame(0, 0, 0x90, bytes(8)), False),
        (Command.SELECT_CARD, ResponseFrame(0, 0, 0x9F, bytes(4)), False),
        (Command.SELECT_CARD, ResponseFrame(0, 0, 0x90, bytes(8)), True),
        (Command.SELECT_CARD, ResponseFrame(0, 0, 0x81), True),
        (Command.READ_TEXT_PHOTO, ResponseFrame(0, 0, 0x90, bytes(8)), True),
        (Command.READ_TEXT_PHOTO, ResponseFrame(0, 0, 0x90), False),
        (Command.SAM_STATUS, ResponseFrame(0, 0, 0x90), True),
        (Command.SAM_STATUS, ResponseFrame(0, 0, 0x90, bytes(8)), False),
        (Command.READ_SAM_ID, ResponseFrame(0, 0, 0x90, bytes(16)), True),
        (Command.READ_SAM_ID, ResponseFrame(0, 0, 0x60), True),
    ],
)
def test_could_answer_drops_late_answers(command: Command, frame: ResponseFrame, expected: bool) -> None:
    assert could_answer(command, frame) is expected


def test_read_data_layout_round_trips() -> None:
    payload = CardPayload(bytes(256), bytes(1024), None)
    data = encode_read_data(payload)
    assert data[:4] == bytes.fromhex("01000400")
    assert parse_read_data(Command.READ_TEXT_PHOTO, data) == payload
    with_fp = CardPayload(bytes(256), bytes(1024), bytes(512))
    assert parse_read_data(Command.READ_TEXT_PHOTO_FINGERPRINT, encode_read_data(with_fp)) == with_fp
    assert "256 B" in repr(with_fp)


@pytest.mark.parametrize("data", [b"", b"\x01", bytes.fromhex("01000400") + bytes(10)])
def test_read_data_with_wrong_lengths_is_a_card_data_error(data: bytes) -> None:
    with pytest.raises(e.CardDataError):
        parse_read_data(Command.READ_TEXT_PHOTO, data)


def test_sam_id_format() -> None:
    assert format_sam_id(struct.pack("<HHIII", 5, 1, 20101028, 20434387, 2147586497)) == (
        "05.01-20101028-0020434387-2147586497"
    )
    with pytest.raises(e.CardDataError):
        format_sam_id(bytes(3))


def test_sample_card_decodes() -> None:
    card = sample_card()
    record = decode_identity(card.text, card.photo)
    assert record.name == "张三"
    assert record.sex == "女"
    assert record.nation == "汉"
    assert record.birth_date == dt.date(1949, 12, 31)
    assert record.id_number == "11010519491231002X"
    assert record.issuing_authority == "北京市公安局朝阳分局"
    assert record.valid_from == dt.date(2015, 1, 1)
    assert record.valid_until is None
    assert record.photo_wlt == card.photo
    assert not record.is_expired(dt.date(2099, 1, 1))


def test_repr_masks_personal_data() -> None:
    card = sample_card(address="某省某市某路99号")
    record = decode_identity(card.text, card.photo)
    for text in (repr(record), str(record), f"{record}"):
        assert "张三" not in text
        assert "11010519491231002X" not in text
        assert "某路" not in text
        assert "张*" in text
        assert "110***********002X" in text


def test_full_code_tables() -> None:
    assert len(NATION) == 58
    assert [NATION[f"{i:02d}"] for i in (1, 2, 5, 29, 56)] == ["汉", "蒙古", "维吾尔", "柯尔克孜", "基诺"]
    assert NATION["97"] == "其他"
    assert NATION["98"] == "外国血统中国籍人士"
    assert SEX == {"0": "未知", "1": "男", "2": "女", "9": "未说明"}


@pytest.mark.parametrize("code", sorted(NATION))
def test_every_nation_code_decodes(code: str) -> None:
    card = sample_card(nation_code=code)
    assert decode_identity(card.text).nation == NATION[code]


def test_fixed_validity_period() -> None:
    card = sample_card(valid_from=dt.date(2020, 3, 1), valid_until=dt.date(2030, 3, 1))
    record = decode_identity(card.text)
    assert record.valid_until == dt.date(2030, 3, 1)
    assert record.is_expired(dt.date(2030, 3, 2))
    assert not record.is_expired(dt.date(2030, 3, 1))


BAD_CARDS = [
    (dict(id_number="110105194912310021"), e.InvalidIdNumber),  # wrong check digit
    (dict(id_number="11010519491231002"), e.InvalidIdNumber),
    (dict(name=""), e.CardDataError),
    (dict(sex_code="3"), e.CardDataError),
    (dict(nation_code="57"), e.CardDataError),
    (dict(birth_date=dt.date(1950, 1, 1)), e.CardDataError),  # does not match the ID number
    (dict(valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2010, 1, 1)), e.CardDataError),
]


@pytest.mark.parametrize(("fields", "kind"), BAD_CARDS)
def test_bad_card_content_is_a_typed_error(fields: dict[str, object], kind: type[Exception]) -> None:
    card = sample_card(**fields)  # type: ignore[arg-type]
    with pytest.raises(kind) as info:
        decode_identity(card.text)
    assert "张三" not in str(info.value)
    assert "11010519491231002" not in str(info.value)


def test_text_block_not_ucs2_or_wrong_size() -> None:
    with pytest.raises(e.CardDataError):
        decode_identity(bytes(255))
    with pytest.raises(e.CardDataError):
        decode_identity(b"\x00\xd8" * 128)  # lone surrogates


def test_encode_refuses_overlong_fields() -> None:
    with pytest.raises(ValueError, match="name"):
        encode_identity_text(
            name="很" * 16,
            sex_code="1",
            nation_code="01",
            birth_date=dt.date(2000, 1, 1),
            address="",
            id_number="",
            issuing_authority="",
            valid_from=dt.date(2000, 1, 1),
            valid_until=None,
        )


class _PngDecoder:
    def decode(self, wlt: bytes) -> bytes:
        return b"\x89PNG" + wlt[:4]


class _BrokenDecoder:
    def decode(self, wlt: bytes) -> bytes:
        raise RuntimeError("vendor library failed")


def test_photo_needs_a_decoder() -> None:
    card = sample_card()
    record = decode_identity(card.text, card.photo)
    assert decode_photo(record, None) is None
    assert decode_photo(record, _PngDecoder()) == b"\x89PNG" + card.photo[:4]
    with pytest.raises(PhotoDecodeError):
        decode_photo(record, _BrokenDecoder())


def _answers(emu: object, wire: bytes) -> list[ResponseFrame]:
    from drivers.idcard.frame import ResponseParser

    parser = ResponseParser()
    parser.receive_data(b"".join(chunk for _, chunk in emu.receive(wire)))  # type: ignore[attr-defined]
    out = []
    while (frame := parser.next_frame()) is not None:
        out.append(frame)
    return out


def test_emulator_rejects_bad_commands_like_a_reader() -> None:
    from drivers.idcard.emulator import Ga467Emulator
    from drivers.idcard.frame import CommandFrame

    emu = Ga467Emulator(card=sample_card())
    bad = bytearray(Command.FIND_CARD.frame().encode())
    bad[-1] ^= 0xFF
    assert _answers(emu, bytes(bad)) == [ResponseFrame(0, 0, 0x10)]
    assert _answers(emu, CommandFrame(0x77, 0x01).encode()) == [ResponseFrame(0, 0, 0x21)]
    assert _answers(emu, Command.SELECT_CARD.frame().encode()) == [ResponseFrame(0, 0, 0x81)]  # not found yet
    assert _answers(emu, Command.READ_TEXT_PHOTO.frame().encode()) == [ResponseFrame(0, 0, 0x41)]
    assert _answers(emu, Command.FIND_CARD.frame().encode())[0].sw3 == 0x9F
    assert len(emu.host_errors) == 1


# -- any bytes in: a record or a typed error -------------------------------------------------------------

READS = [Command.READ_TEXT_PHOTO, Command.READ_TEXT_PHOTO_FINGERPRINT]


@settings(max_examples=300)
@given(st.sampled_from(READS), st.binary(max_size=600) | st.builds(
    lambda sizes, body: b"".join(n.to_bytes(2, "big") for n in sizes) + body,
    st.lists(st.integers(0, 0xFFFF) | st.integers(0, 300), min_size=2, max_size=3), st.binary(max_size=600)))
def test_any_read_answer_splits_or_is_a_card_data_error(command: Command, data: bytes) -> None:
    try:
        payload = parse_read_data(command, data)
    except e.CardDataError:
        return
    assert len(payload.text) + len(payload.photo) + len(payload.fingerprint or b"") < len(data)


def _text_blocks() -> st.SearchStrategy[bytes]:
    """Noise of the right size, and the sample card's block with a few bytes changed."""
    good = sample_card().text
    return st.binary(min_size=256, max_size=256) | st.binary(max_size=300) | st.builds(
        lambda edits: bytes(edits.get(i, b) for i, b in enumerate(good)),
        st.dictionaries(st.integers(0, 255), st.integers(0, 255), max_size=6))


@settings(max_examples=300)
@given(_text_blocks())
def test_any_text_block_decodes_or_is_a_card_data_error(text: bytes) -> None:
    try:
        record = decode_identity(text)
    except e.CardDataError:
        return
    assert record.name
    assert record.id_number not in repr(record)  # personal data stays out of logs


@given(st.binary(max_size=40))
def test_any_sam_id_formats_or_is_a_card_data_error(data: bytes) -> None:
    with contextlib.suppress(e.CardDataError):
        assert format_sam_id(data).count("-") == 3
