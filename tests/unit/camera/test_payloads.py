"""The scanned-payload parser: table cases for each kind and each broken shape, plus properties."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.errors import PayloadProblem, QrPayloadError
from drivers.camera.payloads import (
    MAX_PAYLOAD,
    SIMULATED_EID_ISSUERS,
    AppointmentCode,
    EidCode,
    EidIssuer,
    EidKind,
    PayloadRules,
    TicketStatusLink,
    UnknownCode,
    appointment_check,
    appointment_code,
    parse_payload,
)
from hall_protocol.urls import ticket_status_url

BASE = "https://hall.example.gov.cn/status"
RULES = PayloadRules(hall="demo", status_base_url=BASE, eid_issuers=SIMULATED_EID_ISSUERS)
GOOD = appointment_code("demo", "A20240611-0042")
ID_CHARS = string.ascii_letters + string.digits + "_-"
ids = st.text(alphabet=ID_CHARS, min_size=1, max_size=64)


def test_appointment_code_round_trip() -> None:
    assert GOOD.startswith("OVAPPT:demo:A20240611-0042:")
    assert parse_payload(GOOD, RULES) == AppointmentCode(hall="demo", appointment_id="A20240611-0042")


def test_check_digits_are_two_decimal_digits() -> None:
    check = appointment_check("demo", "X")
    assert len(check) == 2
    assert check.isdigit()
    assert 1 <= int(check) <= 98


@pytest.mark.parametrize(
    ("text", "problem", "field"),
    [
        ("OVAPPT:", PayloadProblem.APPOINTMENT_SHAPE, None),
        ("OVAPPT:demo:A1", PayloadProblem.APPOINTMENT_SHAPE, None),
        ("OVAPPT:demo:A1:00:extra", PayloadProblem.APPOINTMENT_SHAPE, None),
        ("OVAPPT::A1:00", PayloadProblem.APPOINTMENT_SHAPE, "hall"),
        ("OVAPPT:de mo:A1:00", PayloadProblem.APPOINTMENT_SHAPE, "hall"),
        ("OVAPPT:大厅:A1:00", PayloadProblem.APPOINTMENT_SHAPE, "hall"),
        ("OVAPPT:" + "h" * 65 + ":A1:00", PayloadProblem.APPOINTMENT_SHAPE, "hall"),
        ("OVAPPT:demo::00", PayloadProblem.APPOINTMENT_SHAPE, "appointment_id"),
        ("OVAPPT:demo:A/1:00", PayloadProblem.APPOINTMENT_SHAPE, "appointment_id"),
        ("OVAPPT:demo:A1:0", PayloadProblem.APPOINTMENT_SHAPE, "check"),
        ("OVAPPT:demo:A1:0x", PayloadProblem.APPOINTMENT_SHAPE, "check"),
        ("OVAPPT:demo:A1:١٢", PayloadProblem.APPOINTMENT_SHAPE, "check"),  # Arabic-Indic digits are not 0-9
        (GOOD[:-2] + f"{(int(GOOD[-2:]) + 1) % 100:02d}", PayloadProblem.APPOINTMENT_CHECK, "check"),
        (GOOD.replace("0042", "0043"), PayloadProblem.APPOINTMENT_CHECK, "check"),
        (appointment_code("other", "A1"), PayloadProblem.WRONG_HALL, "hall"),
    ],
)
def test_broken_appointment_codes(text: str, problem: PayloadProblem, field: str | None) -> None:
    with pytest.raises(QrPayloadError) as caught:
        parse_payload(text, RULES)
    assert caught.value.problem is problem
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{problem.value}: ")


def test_other_halls_codes_accepted_when_no_hall_is_configured() -> None:
    assert parse_payload(appointment_code("other", "A1")) == AppointmentCode("other", "A1")


def test_ticket_status_link_round_trip() -> None:
    url = ticket_status_url(BASE, "demo", "A/017 2024", "t0k+en/=")
    parsed = parse_payload(url, RULES)
    assert parsed == TicketStatusLink(hall="demo", ticket_id="A/017 2024", token="t0k+en/=")
    assert "t0k" not in repr(parsed)


@pytest.mark.parametrize(
    ("suffix", "problem"),
    [
        ("/t/demo", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A017", PayloadProblem.STATUS_LINK_SHAPE),  # no token
        ("/t/demo/A017?k=", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A017?k=a&k=b", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A017?k=a&x=1", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A017?k=a#frag", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A/017?k=a", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/de%20mo/A017?k=a", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/%FF?k=a", PayloadProblem.STATUS_LINK_SHAPE),  # not UTF-8 once unescaped
        ("/t/demo/A%00?k=a", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A017?k=%FF", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/demo/A017?k=a b", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t//A017?k=a", PayloadProblem.STATUS_LINK_SHAPE),
        ("/t/other/A017?k=a", PayloadProblem.WRONG_HALL),
    ],
)
def test_broken_status_links(suffix: str, problem: PayloadProblem) -> None:
    with pytest.raises(QrPayloadError) as caught:
        parse_payload(BASE + suffix, RULES)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example/status/t/demo/A017?k=abc",  # our path under someone else's host
        "http://hall.example.gov.cn/status/t/demo/A017?k=abc",  # http, not the configured https base
        "HTTPS://weixin.qq.com/r/abc",
    ],
)
def test_foreign_links_are_unknown_web_links(text: str) -> None:
    parsed = parse_payload(text, RULES)
    assert isinstance(parsed, UnknownCode)
    assert parsed.looks_like == "web-link"


def test_status_links_not_recognised_without_a_base_url() -> None:
    url = ticket_status_url(BASE, "demo", "A017", "tok")
    assert isinstance(parse_payload(url, PayloadRules(hall="demo")), UnknownCode)


def test_simulated_eid_and_elicence_codes() -> None:
    eid = parse_payload("OVSIMEID:" + "a" * 20, RULES)
    lic = parse_payload("OVSIMLIC:" + "B_-9" * 5, RULES)
    assert eid == EidCode(issuer="sim-eid", kind=EidKind.E_ID, payload="a" * 20)
    assert isinstance(lic, EidCode)
    assert lic.kind is EidKind.E_LICENCE
    assert "a" * 20 not in repr(eid) + str(eid)


@pytest.mark.parametrize("rest", ["", "short", "a" * 65, "a" * 15 + "!", "a" * 20 + "\n"])
def test_eid_prefix_with_a_payload_the_issuer_never_makes(rest: str) -> None:
    with pytest.raises(QrPayloadError) as caught:
        parse_payload("OVSIMEID:" + rest, RULES)
    assert caught.value.problem is PayloadProblem.EID_SHAPE


def test_eid_codes_are_unknown_when_no_issuer_is_configured() -> None:
    assert isinstance(parse_payload("OVSIMEID:" + "a" * 20, PayloadRules()), UnknownCode)


def test_configured_issuer_rules() -> None:
    issuer = EidIssuer(issuer="prov-x", kind=EidKind.E_ID, prefix="https://eid.prov-x.example/q/")
    rules = PayloadRules(eid_issuers=(issuer,))
    parsed = parse_payload("https://eid.prov-x.example/q/abcdEFGH1234", rules)
    assert parsed == EidCode(issuer="prov-x", kind=EidKind.E_ID, payload="abcdEFGH1234")
    with pytest.raises(ValueError, match="regex"):
        EidIssuer(issuer="bad", kind=EidKind.E_ID, prefix="X:", pattern="(")
    with pytest.raises(ValueError, match="prefix"):
        EidIssuer(issuer="bad", kind=EidKind.E_ID, prefix="")


@pytest.mark.parametrize(
    ("text", "looks_like"),
    [("hello", "text"), ("ovappt:demo:A1:00", "text"), ("BEGIN:VCARD", "text"), ("http://x", "web-link")],
)
def test_unknown_codes_carry_a_plain_message(text: str, looks_like: str) -> None:
    parsed = parse_payload(text, RULES)
    assert isinstance(parsed, UnknownCode)
    assert parsed.looks_like == looks_like
    assert parsed.length == len(text)


@pytest.mark.parametrize(("text", "problem"), [("", PayloadProblem.EMPTY), (" \t\n", PayloadProblem.EMPTY),
                                                ("x" * (MAX_PAYLOAD + 1), PayloadProblem.TOO_LONG)])
def test_empty_and_oversized(text: str, problem: PayloadProblem) -> None:
    with pytest.raises(QrPayloadError) as caught:
        parse_payload(text, RULES)
    assert caught.value.problem is problem


def test_encoder_refuses_ids_outside_the_alphabet() -> None:
    with pytest.raises(ValueError, match="hall"):
        appointment_code("de:mo", "A1")
    with pytest.raises(ValueError, match="appointment_id"):
        appointment_code("demo", "A1\n")


# -- properties ---------------------------------------------------------------------------------------

near_misses = st.one_of(
    st.text(max_size=300),
    st.builds(lambda s: "OVAPPT:" + s, st.text(max_size=200)),
    st.builds(lambda h, a, c: f"OVAPPT:{h}:{a}:{c}", ids, ids, st.text(max_size=3)),
    st.builds(lambda s: BASE + "/t/" + s, st.text(max_size=200)),
    st.builds(lambda s: BASE + "/t/demo/" + s, st.text(alphabet=string.printable + "%é中", max_size=80)),
    st.builds(lambda s: "OVSIMEID:" + s, st.text(max_size=100)),
)


@given(text=near_misses, with_rules=st.booleans())
def test_any_text_parses_or_raises_the_typed_error(text: str, with_rules: bool) -> None:
    outcome: object
    try:
        outcome = parse_payload(text, RULES if with_rules else None)
    except QrPayloadError as err:  # the only exception allowed out
        outcome = err.problem
    assert isinstance(outcome, AppointmentCode | TicketStatusLink | EidCode | UnknownCode | PayloadProblem)


@given(hall=ids, appointment_id=ids)
def test_every_encoded_appointment_parses_back(hall: str, appointment_id: str) -> None:
    assert parse_payload(appointment_code(hall, appointment_id)) == AppointmentCode(hall, appointment_id)


@given(hall=ids, appointment_id=ids, data=st.data())
def test_any_single_character_change_is_rejected(hall: str, appointment_id: str, data: st.DataObject) -> None:
    code = appointment_code(hall, appointment_id)
    start = len("OVAPPT:")
    pos = data.draw(st.integers(min_value=start, max_value=len(code) - 1))
    replacement = data.draw(st.sampled_from(ID_CHARS + ":").filter(lambda c: c != code[pos]))
    mutated = code[:pos] + replacement + code[pos + 1 :]
    with pytest.raises(QrPayloadError):
        parse_payload(mutated)


@given(hall=ids, appointment_id=ids, data=st.data())
def test_any_swap_of_neighbours_is_rejected(hall: str, appointment_id: str, data: st.DataObject) -> None:
    code = appointment_code(hall, appointment_id)
    start = len("OVAPPT:")
    swappable = [i for i in range(start, len(code) - 1) if code[i] != code[i + 1]]
    if not swappable:
        return
    i = data.draw(st.sampled_from(swappable))
    mutated = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    with pytest.raises(QrPayloadError):
        parse_payload(mutated)


@given(ticket_id=st.text(min_size=1, max_size=40).filter(lambda s: not any(ord(c) < 32 or ord(c) == 127 for c in s)),
       token=st.text(alphabet=ID_CHARS + "+/=.~", min_size=1, max_size=40))
def test_every_status_url_parses_back(ticket_id: str, token: str) -> None:
    url = ticket_status_url(BASE, "demo", ticket_id, token)
    assert parse_payload(url, RULES) == TicketStatusLink(hall="demo", ticket_id=ticket_id, token=token)
