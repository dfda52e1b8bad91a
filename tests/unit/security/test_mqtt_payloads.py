"""Any bytes in → a typed value or a ProtocolError, never another exception: every MQTT payload type."""

from __future__ import annotations

import time
import typing
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall_protocol.codec import MAX_DEPTH, MAX_PAYLOAD, SCHEMA_VERSION, Message, decode, encode, nesting_depth
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.local import ToAgent, ToUi
from hall_protocol.tickets import IssueTicket, RpcReply, RpcRequest
from tests.unit.security.strategies import DEEP, MESSAGES, hostile, nested

UNIONS: dict[str, Any] = {"RpcRequest": RpcRequest, "RpcReply": RpcReply, "ToAgent": ToAgent, "ToUi": ToUi}
IN_UNIONS = {m for u in UNIONS.values() for m in typing.get_args(u)}
TARGETS: dict[str, Any] = {**{m.__name__: m for m in MESSAGES if m not in IN_UNIONS}, **UNIONS}
"""What a receiver decodes into: the request/reply and local-socket unions, and every other message alone."""


def test_every_message_is_a_target() -> None:
    assert {m for t in TARGETS.values() for m in members(t)} == set(MESSAGES)


def members(target: Any) -> list[type[Message]]:
    return list(typing.get_args(target)) or [target]


def decodes_or_refuses(data: bytes | str, target: Any) -> object:
    try:
        value = decode(data, target)
    except ProtocolError as err:
        error = err
    else:
        assert isinstance(value, tuple(members(target)))
        assert value.v >= 1
        return value
    assert isinstance(error.code, ErrorCode)
    return error


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_any_bytes_decode_to_a_message_or_a_protocol_error(name: str, data: st.DataObject) -> None:
    target = TARGETS[name]
    kind = data.draw(st.sampled_from(members(target)))
    decodes_or_refuses(data.draw(hostile(kind)), target)


@given(st.text(max_size=200))
def test_any_text_too(text: str) -> None:  # str payloads (lone surrogates included) take the same road
    decodes_or_refuses(text, RpcRequest)


@pytest.mark.parametrize("payload", sorted(DEEP))
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_deep_nesting_is_refused_unparsed(name: str, payload: str) -> None:
    result = decodes_or_refuses(DEEP[payload], TARGETS[name])
    assert isinstance(result, ProtocolError)
    assert "nested" in result.message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100, 10_000, 30_000])
def test_nesting_past_the_limit_is_malformed(depth: int) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(nested(depth), RpcRequest)
    assert info.value.code is ErrorCode.MALFORMED
    assert "nested" in info.value.message


def test_brackets_inside_strings_do_not_count() -> None:
    ok = encode(IssueTicket(request_id="r" + "[{" * 40 + '\\"[', service="S"))
    assert isinstance(decode(ok, RpcRequest), IssueTicket)


def test_a_10_mib_request_is_refused_before_parsing() -> None:
    huge = encode(IssueTicket(request_id="r", service="S", masked_name="张" * (10 * 1024 * 1024 // 3)))
    assert len(huge) > MAX_PAYLOAD
    with pytest.raises(ProtocolError) as info:
        decode(huge, RpcRequest)
    assert "limit" in info.value.message


def test_a_long_name_within_the_size_limit_is_refused_by_the_field_bound() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(encode(IssueTicket(request_id="r", service="S", masked_name="张" * 9000)), RpcRequest)
    assert info.value.field == "masked_name"


@pytest.mark.parametrize("version", [-5, 0, -(2**63)])
def test_versions_below_one_are_refused(version: int) -> None:
    data = encode(IssueTicket(request_id="r", service="S")).replace(
        f'"v":{SCHEMA_VERSION}'.encode(), f'"v":{version}'.encode())
    with pytest.raises(ProtocolError) as info:
        decode(data, RpcRequest)
    assert info.value.field == "v"


@pytest.mark.parametrize("version", [2**64, 1e308, "1", None, []])
def test_versions_of_the_wrong_kind_are_refused(version: object) -> None:
    raw = msgspec.json.decode(encode(IssueTicket(request_id="r", service="S")))
    raw["v"] = version
    with pytest.raises(ProtocolError):
        decode(msgspec.json.encode(raw), RpcRequest)


def reference_depth(data: bytes) -> int:
    """Byte by byte, the obvious way: what ``nesting_depth`` must agree with."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


@settings(max_examples=500)
@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b":", b","]), max_size=80).map(b"".join)
       | st.binary(max_size=100))
def test_the_depth_scan_agrees_with_a_byte_by_byte_scan(data: bytes) -> None:
    assert nesting_depth(data) == reference_depth(data)
    limit = reference_depth(data) // 2
    assert (nesting_depth(data, limit) > limit) == (reference_depth(data) > limit)


def test_a_deep_payload_is_refused_after_a_few_bytes() -> None:
    deep = b'{"type":"ticket.issue","request_id":' + nested(1024)
    started = time.perf_counter()
    for _ in range(1000):
        with pytest.raises(ProtocolError):
            decode(deep, RpcRequest)
    assert time.perf_counter() - started < 0.5  # a flood of these costs the controller little
