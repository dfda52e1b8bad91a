from __future__ import annotations

import contextlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_protocol import topics
from hall_protocol.codec import SCHEMA_VERSION, decode, encode
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.hall import CallEvent, CallView
from hall_protocol.local import LineFramer, Request, decode_to_agent, frame
from hall_protocol.tickets import (
    IssueTicket,
    Priority,
    RpcRequest,
    RpcService,
    SubmitRating,
    WindowCommand,
    WindowOp,
    service_for,
)


def test_round_trip_of_a_request() -> None:
    msg = IssueTicket(request_id="r1", service="SB-CARD", source_device="kiosk-1", priority=Priority.GREEN)
    data = encode(msg)
    assert b'"type":"ticket.issue"' in data
    assert decode(data, RpcRequest) == msg


def test_wrong_field_type_names_the_field() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(b'{"type":"rating.submit","request_id":"r","ticket_id":"t","level":"five"}', RpcRequest)
    assert info.value.code is ErrorCode.MALFORMED
    assert info.value.field == "level"


def test_out_of_range_rating_is_rejected() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(encode(SubmitRating(request_id="r", ticket_id="t", level=5)).replace(b'"level":5', b'"level":9'),
               RpcRequest)
    assert info.value.field == "level"


def test_missing_field_is_named() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(b'{"type":"ticket.issue","request_id":"r","source_device":"k"}', RpcRequest)
    assert "service" in str(info.value)


def test_unknown_type_has_its_own_code() -> None:
    with pytest.raises(ProtocolError) as info:
        decode(b'{"type":"ticket.teleport","request_id":"r"}', RpcRequest)
    assert info.value.code is ErrorCode.UNKNOWN_TYPE


def test_newer_schema_version_is_refused() -> None:
    data = encode(IssueTicket(request_id="r", service="S", source_device="k"))
    data = data.replace(f'"v":{SCHEMA_VERSION}'.encode(), f'"v":{SCHEMA_VERSION + 1}'.encode())
    with pytest.raises(ProtocolError) as info:
        decode(data, RpcRequest)
    assert info.value.code is ErrorCode.UNSUPPORTED_VERSION


def test_unknown_extra_fields_are_ignored_for_forward_compatibility() -> None:
    data = encode(IssueTicket(request_id="r", service="S", source_device="k"))[:-1] + b',"future":1}'
    assert isinstance(decode(data, RpcRequest), IssueTicket)


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_protocol_error(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode(data, RpcRequest)


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(["type", "request_id", "service", "level", "op", "window_id", "v"]),
                       st.one_of(st.text(max_size=10), st.integers(), st.none(), st.booleans()), max_size=7))
def test_arbitrary_json_objects_never_crash_the_decoder(obj: dict[str, object]) -> None:
    with contextlib.suppress(ProtocolError):
        decode(msgspec.json.encode(obj), RpcRequest)


def test_service_routing() -> None:
    assert service_for(WindowCommand(request_id="r", window_id="W1", op=WindowOp.CALL_NEXT)) is RpcService.WINDOW
    assert service_for(SubmitRating(request_id="r", ticket_id="t", level=4)) is RpcService.RATING
    assert service_for(IssueTicket(request_id="r", service="S", source_device="k")) is RpcService.TICKET


def test_topics_are_built_and_parsed() -> None:
    t = topics.device_state("demo", "kiosk-1")
    assert t == "ov/v1/demo/device/kiosk-1/state"
    p = topics.parse(t)
    assert (p.hall, p.kind, p.name, p.leaf) == ("demo", "device", "kiosk-1", "state")
    rpc = topics.parse(topics.rpc("demo", "kiosk-1", RpcService.TICKET))
    assert (rpc.name, rpc.leaf, rpc.service, rpc.is_rpc()) == ("kiosk-1", "rpc", RpcService.TICKET, True)
    assert topics.is_rpc(topics.rpc("demo", "kiosk-1", RpcService.LEASE))
    assert not topics.is_rpc(topics.device_reply("demo", "kiosk-1"))
    assert not topics.is_rpc("not/a/topic")
    assert topics.parse(topics.display("demo", "A")).kind == "display"


@pytest.mark.parametrize("bad", ["a/b", "+", "#", "", "x" * 65, "区", "abc\n"])
def test_ids_that_could_inject_topic_levels_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        topics.device_state("demo", bad)


@pytest.mark.parametrize("bad", ["ov/v2/demo/hall/state", "ov/v1/demo/rpc/nope", "ov/v1/demo/device/x", "foo"])
def test_foreign_topics_are_named_in_the_error(bad: str) -> None:
    with pytest.raises(ValueError, match="topic"):
        topics.parse(bad)


def _frames() -> list[bytes]:
    call = CallView(call_id="c", ticket_id="t", number="A001", window_id="W1", window_name="1号窗口", zone="A")
    return [
        frame(Request(req=1, body=IssueTicket(request_id="r", service="S", source_device="k"))),
        frame(CallEvent(call=call, expires_at=1.0)),
        frame(Request(req=2, body=WindowCommand(request_id="q", window_id="W1", op=WindowOp.RECALL))),
    ]


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=10))
def test_framing_is_independent_of_how_bytes_are_split(cuts: list[int]) -> None:
    stream = b"".join(_frames())
    points = sorted({min(c, len(stream)) for c in cuts})
    framer = LineFramer()
    out: list[bytes] = []
    prev = 0
    for p in [*points, len(stream)]:
        out += framer.feed(stream[prev:p])
        prev = p
    assert [f + b"\n" for f in out] == _frames()


def test_an_oversized_frame_costs_only_itself() -> None:
    framer = LineFramer(max_frame=100)
    with pytest.raises(ProtocolError):
        framer.feed(b"x" * 150)
    assert framer.feed(b"yyy\n") == []  # the tail of the oversized frame is skipped
    good = frame(Request(req=1, body=IssueTicket(request_id="r", service="S", source_device="k")))
    assert framer.feed(good[:60]) == []
    [raw] = framer.feed(good[60:])
    assert isinstance(decode_to_agent(raw), Request)
