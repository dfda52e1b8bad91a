"""The local socket between a UI and its agent: any byte stream in, messages or typed errors out."""

from __future__ import annotations

import contextlib
import itertools
import logging
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall_protocol.errors import ProtocolError
from hall_protocol.local import (
    MAX_FRAME,
    FrameDecoder,
    LineFramer,
    Request,
    Subscribe,
    ToAgent,
    ToUi,
    decode_to_agent,
    decode_to_ui,
    frame,
)
from hall_protocol.tickets import IssueTicket
from tests.unit.security.strategies import DEEP, hostile

GOOD = frame(Request(req=7, body=IssueTicket(request_id="r", service="SB-CARD")))


def agent_frames() -> st.SearchStrategy[bytes]:
    return st.sampled_from(typing.get_args(ToAgent)).flatmap(hostile)


def ui_frames() -> st.SearchStrategy[bytes]:
    return st.sampled_from(typing.get_args(ToUi)).flatmap(hostile)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(agent_frames(), ui_frames())
def test_one_frame_decodes_or_is_a_protocol_error(to_agent: bytes, to_ui: bytes) -> None:
    for data, decoder, kinds in ((to_agent, decode_to_agent, ToAgent), (to_ui, decode_to_ui, ToUi)):
        with contextlib.suppress(ProtocolError):
            assert isinstance(decoder(data), typing.get_args(kinds))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(agent_frames() | st.binary(max_size=50), max_size=6), st.data())
def test_a_stream_of_anything_never_stops_the_decoder(frames: list[bytes], data: st.DataObject) -> None:
    """Garbage frames cost only themselves: the good frame after them still comes through."""
    stream = b"\n".join(frames) + b"\n" + GOOD
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    decoder = FrameDecoder(decode_to_agent, "test-ui", max_frame=4096)
    out = []
    for a, b in itertools.pairwise([0, *cuts, len(stream)]):
        out += decoder.feed(stream[a:b])  # never raises
    assert all(isinstance(m, typing.get_args(ToAgent)) for m in out)
    assert out[-1] == Request(req=7, body=IssueTicket(request_id="r", service="SB-CARD"))


@given(st.lists(st.binary(max_size=300), max_size=10), st.integers(1, 200))
def test_the_framer_only_raises_protocol_errors(chunks: list[bytes], max_frame: int) -> None:
    framer = LineFramer(max_frame=max_frame)
    for chunk in chunks:
        try:
            frames = framer.feed(chunk)
        except ProtocolError:
            continue
        assert all(b"\n" not in f and f.strip() for f in frames)


@pytest.mark.parametrize("payload", sorted(DEEP))
def test_deep_nesting_on_the_socket_is_one_bad_frame(payload: str, caplog: pytest.LogCaptureFixture) -> None:
    decoder = FrameDecoder(decode_to_ui, "test-agent")
    with caplog.at_level(logging.WARNING):
        assert decoder.feed(DEEP[payload] + b"\n") == []
    assert "bad frame" in caplog.text


def test_frames_before_an_oversized_one_in_the_same_read_are_kept() -> None:
    decoder = FrameDecoder(decode_to_agent, "test-ui", max_frame=1000)
    assert decoder.feed(GOOD + frame(Subscribe(calls=True)) + b"x" * 2000) == [
        Request(req=7, body=IssueTicket(request_id="r", service="SB-CARD")), Subscribe(calls=True)]
    assert decoder.feed(b"yyy\n" + GOOD)[0].req == 7  # the rest of the long line is skipped, then on as before


def test_an_endless_line_is_dropped_and_the_stream_goes_on() -> None:
    decoder = FrameDecoder(decode_to_agent, "test-ui", max_frame=1000)
    for _ in range(50):
        assert decoder.feed(b"x" * 999) == []
    assert decoder.feed(b"\n" + frame(Subscribe(calls=True))) == [Subscribe(calls=True)]
    assert MAX_FRAME >= 64 * 1024  # a whole MQTT payload always fits in one frame
