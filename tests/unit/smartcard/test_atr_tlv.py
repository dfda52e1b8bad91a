"""ATR and BER-TLV parsing: known values, and property tests over generated and random input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.smartcard.atr import build_atr, parse_atr
from drivers.smartcard.errors import AtrError, CardProtocolError
from drivers.smartcard.tlv import encode_tlv, parse_tlv

H = bytes.fromhex


def test_jcop_atr() -> None:
    atr = parse_atr(H("3BF81300008131FE454A434F5076323431B7"))
    assert atr.convention == "direct"
    assert atr.protocols == (1, 1)
    assert atr.historical == b"JCOPv241"
    assert ("TA1", 0x13) in atr.interface_bytes
    assert atr.tck_valid is True


def test_t0_only_atr_has_no_tck() -> None:
    atr = parse_atr(H("3B6800000073C84000009000"))
    assert atr.protocols == (0,)
    assert atr.historical == H("0073C84000009000")
    assert atr.tck is None
    assert atr.category_indicator() == 0x00


def test_bad_tck_is_reported_not_fatal() -> None:
    atr = parse_atr(H("3BF81300008131FE454A434F5076323431B8"))
    assert atr.tck_valid is False


@pytest.mark.parametrize("bad", ["", "3B", "3C00", "3B8F80", "3B02AA", "3B0000", "3B" + "00" * 40])
def test_invalid_atrs(bad: str) -> None:
    with pytest.raises(AtrError):
        parse_atr(H(bad))


@given(st.binary(max_size=15), st.lists(st.sampled_from([0, 1, 15]), max_size=3),
       st.one_of(st.none(), st.integers(0, 255)))
def test_built_atrs_parse_back(historical: bytes, protocols: list[int], ta1: int | None) -> None:
    atr = parse_atr(build_atr(historical=historical, protocols=tuple(protocols), ta1=ta1))
    assert atr.historical == historical
    assert atr.protocols == (tuple(protocols) or (0,))
    assert atr.tck_valid in (None, True)


@given(st.binary(max_size=40))
def test_atr_parser_only_raises_atr_error(raw: bytes) -> None:
    try:
        atr = parse_atr(raw)
    except AtrError:
        return
    assert atr.raw == raw


def test_fci_label() -> None:
    fci = encode_tlv(0x6F, encode_tlv(0x84, H("A0000000031010")) + encode_tlv(0xA5, encode_tlv(0x50, b"VISA")))
    (top,) = parse_tlv(fci)
    assert top.tag == 0x6F
    label = top.find(0x50)
    assert label is not None
    assert label.value == b"VISA"


def test_multibyte_tag_and_long_length() -> None:
    data = encode_tlv(0x9F38, bytes(200))
    assert data[:4] == H("9F3881C8")
    assert parse_tlv(data)[0].value == bytes(200)


@given(st.lists(st.tuples(st.sampled_from([0x50, 0x84, 0x87, 0x9F12, 0x5F2D]), st.binary(max_size=300)),
                max_size=5))
def test_tlv_roundtrip(items: list[tuple[int, bytes]]) -> None:
    encoded = b"".join(encode_tlv(tag, value) for tag, value in items)
    assert [(t.tag, t.value) for t in parse_tlv(encoded)] == items


@given(st.binary(max_size=200))
def test_tlv_parser_only_raises_protocol_error(raw: bytes) -> None:
    try:
        items = parse_tlv(raw)
    except CardProtocolError:
        return
    assert all(len(item.value) <= len(raw) for item in items)
