"""GA 467 frame codec: known wire bytes, resync, broken frames, and hypothesis properties."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard.commands import Command
from drivers.idcard.errors import FrameChecksumError, FrameError, FrameLengthError, FrameTruncated
from drivers.idcard.frame import (
    PREAMBLE,
    CommandFrame,
    CommandParser,
    ResponseFrame,
    ResponseParser,
    encode_frame,
)

# Wire bytes as published for GA 467 readers (vendor protocol notes and SDK samples).
KNOWN_COMMANDS = [
    (Command.FIND_CARD, "AAAAAA96690003200122"),
    (Command.SELECT_CARD, "AAAAAA96690003200221"),
    (Command.READ_TEXT_PHOTO, "AAAAAA96690003300132"),
    (Command.READ_TEXT_PHOTO_FINGERPRINT, "AAAAAA96690003301023"),
    (Command.RESET_SAM, "AAAAAA96690003 10FF EC"),
    (Command.SAM_STATUS, "AAAAAA96690003 11FF ED"),
    (Command.READ_SAM_ID, "AAAAAA96690003 12FF EE"),
]


@pytest.mark.parametrize(("command", "wire"), KNOWN_COMMANDS)
def test_command_encoding(command: Command, wire: str) -> None:
    assert command.frame().encode() == bytes.fromhex(wire.replace(" ", ""))


def test_find_card_success_answer_decodes() -> None:
    parser = ResponseParser()
    parser.receive_data(bytes.fromhex("AAAAAA9669000800009F0000000097"))
    assert parser.next_frame() == ResponseFrame(0, 0, 0x9F, b"\x00\x00\x00\x00")
    assert parser.next_frame() is None


def test_select_answer_decodes() -> None:
    parser = ResponseParser()
    parser.receive_data(bytes.fromhex("AAAAAA9669000C00009000000000000000009C"))
    frame = parser.next_frame()
    assert frame == ResponseFrame(0, 0, 0x90, bytes(8))


def test_garbage_before_and_between_frames_is_skipped() -> None:
    a = ResponseFrame(0, 0, 0x90).encode()
    b = ResponseFrame(0, 0, 0x80).encode()
    parser = ResponseParser()
    parser.receive_data(b"\x00\x13\xaa\xaa" + a + b"\xff\xaa\x96" + b)
    assert [parser.next_frame(), parser.next_frame(), parser.next_frame()] == [
        ResponseFrame(0, 0, 0x90),
        ResponseFrame(0, 0, 0x80),
        None,
    ]
    assert parser.discarded == 7


def test_checksum_error_is_raised_once_then_the_next_frame_is_found() -> None:
    bad = bytearray(ResponseFrame(0, 0, 0x90, b"abc").encode())
    bad[-1] ^= 1
    good = ResponseFrame(0, 0, 0x9F, b"1234").encode()
    parser = ResponseParser()
    parser.receive_data(bytes(bad) + good)
    with pytest.raises(FrameChecksumError):
        parser.next_frame()
    assert parser.next_frame() == ResponseFrame(0, 0, 0x9F, b"1234")


def test_a_good_frame_inside_a_torn_one_is_recovered() -> None:
    torn = ResponseFrame(0, 0, 0x90, bytes(40)).encode()[:20]  # announces 44 bytes, delivers 13
    good = ResponseFrame(0, 0, 0x80).encode()
    parser = ResponseParser()
    parser.receive_data(torn + good + bytes(40))  # the torn frame swallows the good one, then fails
    frames = []
    for _ in range(5):
        try:
            frame = parser.next_frame()
        except FrameChecksumError:
            continue
        if frame is not None:
            frames.append(frame)
    assert frames == [ResponseFrame(0, 0, 0x80)]


@pytest.mark.parametrize("length", [0, 1, 3, 5000])
def test_impossible_length_is_a_length_error(length: int) -> None:
    parser = ResponseParser()
    parser.receive_data(PREAMBLE + length.to_bytes(2, "big") + bytes(8))
    with pytest.raises(FrameLengthError):
        parser.next_frame()


def test_truncated_frame_is_reported_at_end_of_data() -> None:
    parser = ResponseParser()
    parser.receive_data(ResponseFrame(0, 0, 0x90, bytes(100)).encode()[:50])
    assert parser.next_frame() is None
    assert parser.pending
    with pytest.raises(FrameTruncated):
        parser.end_of_data()
    assert not parser.pending
    parser.end_of_data()  # nothing left: no error


def test_encode_refuses_oversized_body() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        encode_frame(bytes(5000))


def test_command_parser_round_trip() -> None:
    parser = CommandParser()
    parser.receive_data(CommandFrame(0x30, 0x10, b"x").encode())
    assert parser.next_frame() == CommandFrame(0x30, 0x10, b"x")


# -- properties -----------------------------------------------------------------------------------------

responses = st.builds(
    ResponseFrame,
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=300),
)
noise = st.binary(max_size=20).filter(lambda b: 0xAA not in b)


def outcomes(parser: ResponseParser, chunks: list[bytes]) -> list[object]:
    """Everything the parser yields for these chunks: frames and the types of errors, in order."""
    out: list[object] = []
    for chunk in chunks:
        parser.receive_data(chunk)
        while True:
            try:
                frame = parser.next_frame()
            except FrameError as err:
                out.append(type(err))
                continue
            if frame is None:
                break
            out.append(frame)
    try:
        parser.end_of_data()
    except FrameError as err:
        out.append(type(err))
    return out


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_raise_frame_errors(data: bytes) -> None:
    outcomes(ResponseParser(), [data])
    outcomes(ResponseParser(), [PREAMBLE + data])


@given(responses)
def test_encode_decode_round_trip(frame: ResponseFrame) -> None:
    assert outcomes(ResponseParser(), [frame.encode()]) == [frame]


@settings(max_examples=200)
@given(st.lists(st.tuples(noise, responses), min_size=1, max_size=5), st.data())
def test_random_split_points_give_the_same_frames(
    items: list[tuple[bytes, ResponseFrame]], data: st.DataObject
) -> None:
    wire = b"".join(junk + frame.encode() for junk, frame in items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=12)))
    edges = [0, *cuts, len(wire)]
    chunks = [wire[a:b] for a, b in itertools.pairwise(edges)]
    assert outcomes(ResponseParser(), chunks) == [frame for _, frame in items]


@settings(max_examples=200)
@given(st.binary(max_size=400), st.data())
def test_split_points_never_change_the_outcome_even_for_garbage(wire: bytes, data: st.DataObject) -> None:
    wire = data.draw(st.sampled_from([wire, PREAMBLE + wire, wire + PREAMBLE + wire]))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    edges = [0, *cuts, len(wire)]
    chunks = [wire[a:b] for a, b in itertools.pairwise(edges)]
    assert outcomes(ResponseParser(), chunks) == outcomes(ResponseParser(), [wire])


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=300), max_size=6), st.booleans())
def test_the_command_parser_is_total_too(chunks: list[bytes], with_preamble: bool) -> None:
    """The emulator's side of the link: any bytes give command frames or FrameErrors, nothing else."""
    parser = CommandParser()
    for chunk in chunks:
        parser.receive_data(PREAMBLE + chunk if with_preamble else chunk)
        while True:
            try:
                frame = parser.next_frame()
            except FrameError:
                continue
            if frame is None:
                break
            assert isinstance(frame, CommandFrame)
    with contextlib.suppress(FrameError):
        parser.end_of_data()
