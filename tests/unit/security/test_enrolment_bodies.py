"""Enrolment API bodies: any bytes in → the body or a msgspec error, never another exception.

The controller decodes what a device sends (claim, enrol, the manager's new device); the device decodes what
the controller answers (before it trusts the hall CA, in the case of ``CaInfo``)."""

from __future__ import annotations

import contextlib

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall_protocol import enrolment as wire
from tests.unit.security.strategies import DEEP, json_values, mutated

BODIES: list[type[msgspec.Struct]] = sorted(
    (b for b in vars(wire).values() if isinstance(b, type) and issubclass(b, wire.Body) and b is not wire.Body),
    key=lambda b: b.__name__,
)


def shaped(body: type[msgspec.Struct]) -> st.SearchStrategy[bytes]:
    names = [f.encode_name for f in msgspec.structs.fields(body)] + ["extra"]
    return st.dictionaries(st.sampled_from(names), json_values, max_size=len(names)).map(msgspec.json.encode)


def decoded_or_refused(data: bytes, body: type[msgspec.Struct]) -> None:
    with contextlib.suppress(msgspec.MsgspecError):
        assert isinstance(msgspec.json.decode(data, type=body), body)


def test_there_are_bodies() -> None:
    assert {b.__name__ for b in BODIES} >= {"ClaimRequest", "EnrollRequest", "CreateDevice", "EnrollReply", "CaInfo"}


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.__name__)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_body_decodes_or_is_a_msgspec_error(body: type[msgspec.Struct], data: st.DataObject) -> None:
    raw = data.draw(st.one_of(st.binary(max_size=200), shaped(body), mutated(shaped(body))))
    decoded_or_refused(raw, body)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.__name__)
@pytest.mark.parametrize("payload", sorted(DEEP))
def test_deep_nesting_in_any_field_is_a_msgspec_error(body: type[msgspec.Struct], payload: str) -> None:
    for name in [f.encode_name for f in msgspec.structs.fields(body)]:
        decoded_or_refused(b'{"%s":' % name.encode() + DEEP[payload] + b"}", body)
