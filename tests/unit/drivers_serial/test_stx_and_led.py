"""STX frame codec (shared by LED display and keypads) and the LED display protocol + emulator."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.led_display import protocol as p
from drivers.led_display.emulator import LedDisplayEmulator
from drivers.led_display.errors import DisplayTextError
from drivers.stx_frame import (
    StxChecksumError,
    StxFrame,
    StxFrameError,
    StxFramingError,
    StxParser,
    StxTruncated,
)


def test_stx_wire_layout() -> None:
    # STX addr cmd len payload chk ETX; chk = 01^32^01^FF = CD
    assert StxFrame(1, 0x32, b"\xff").encode() == bytes.fromhex("02013201FFCD03")


def test_stx_payload_may_contain_stx_and_etx() -> None:
    frame = StxFrame(1, 0x31, b"\x02\x03\x02")
    parser = StxParser()
    parser.receive_data(b"\x03\x00" + frame.encode())
    assert parser.next_frame() == frame


@pytest.mark.parametrize(
    ("wire", "kind"),
    [
        (bytes.fromhex("02013201FFCC03"), StxChecksumError),
        (bytes.fromhex("02013201FFCD04"), StxFramingError),
        (bytes.fromhex("020132FB") + bytes(260), StxFramingError),
    ],
)
def test_stx_broken_frames(wire: bytes, kind: type[StxFrameError]) -> None:
    parser = StxParser()
    parser.receive_data(wire)
    with pytest.raises(kind):
        parser.next_frame()


def test_stx_truncated() -> None:
    parser = StxParser()
    parser.receive_data(StxFrame(1, 0x31, b"hello").encode()[:6])
    assert parser.next_frame() is None
    with pytest.raises(StxTruncated):
        parser.end_of_data()


stx_frames = st.builds(StxFrame, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=250))


def stx_outcomes(chunks: list[bytes]) -> list[object]:
    parser = StxParser()
    out: list[object] = []
    for chunk in chunks:
        parser.receive_data(chunk)
        while True:
            try:
                frame = parser.next_frame()
            except StxFrameError as err:
                out.append(type(err))
                continue
            if frame is None:
                break
            out.append(frame)
    try:
        parser.end_of_data()
    except StxFrameError as err:
        out.append(type(err))
    return out


@settings(max_examples=300)
@given(st.binary(max_size=500))
def test_stx_arbitrary_bytes_only_raise_frame_errors(data: bytes) -> None:
    stx_outcomes([data])


@given(stx_frames)
def test_stx_round_trip(frame: StxFrame) -> None:
    assert stx_outcomes([frame.encode()]) == [frame]


@settings(max_examples=200)
@given(st.lists(stx_frames, min_size=1, max_size=4), st.data())
def test_stx_split_points(frames: list[StxFrame], data: st.DataObject) -> None:
    junk = bytes([0x55, 0x03])  # no STX: plain line noise
    wire = b"".join(junk + f.encode() for f in frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    chunks = [wire[a:b] for a, b in itertools.pairwise([0, *cuts, len(wire)])]
    assert stx_outcomes(chunks) == frames


# -- LED protocol + emulator ----------------------------------------------------------------------------


def talk(emulator: LedDisplayEmulator, frame: StxFrame) -> StxFrame | None:
    replies = emulator.receive(frame.encode())
    if not replies:
        return None
    parser = StxParser()
    parser.receive_data(b"".join(chunk for _, chunk in replies))
    return parser.next_frame()


def test_show_encodes_gb18030() -> None:
    frame = p.show(3, 1, "请A001号到5号窗口", p.Effect.SCROLL)
    assert frame.payload[:2] == b"\x01\x01"
    assert frame.payload[2:].decode("gb18030") == "请A001号到5号窗口"


def test_text_that_cannot_be_sent() -> None:
    with pytest.raises(DisplayTextError):
        p.show(1, 0, "号" * 125)
    with pytest.raises(DisplayTextError):
        p.show(1, 0, "\ud800")
    with pytest.raises(DisplayTextError):
        p.brightness(1, 16)


def test_emulator_keeps_the_screen() -> None:
    emu = LedDisplayEmulator(lines=2)
    assert talk(emu, p.show(1, 0, "请A001号")) == p.ack(1, p.LedCommand.SHOW)
    assert talk(emu, p.show(1, 1, "到3号窗口")) == p.ack(1, p.LedCommand.SHOW)
    assert emu.screen == ["请A001号", "到3号窗口"]
    talk(emu, p.blink(1, 1, True))
    assert emu.blinking == [False, True]
    talk(emu, p.clear(1, 0))
    assert emu.screen == ["", "到3号窗口"]
    talk(emu, p.clear(1))
    assert emu.screen == ["", ""]
    assert emu.blinking == [False, False]
    talk(emu, p.brightness(1, 3))
    reply = talk(emu, p.status(1))
    assert reply is not None
    assert p.DisplayStatus.decode(reply.payload[1:]) == p.DisplayStatus(2, 16, 3, p.FaultFlag.NONE)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (p.show(1, 2, "x"), p.NakReason.BAD_PARAMETER),
        (p.show(1, 0, "䶮"), p.NakReason.UNSUPPORTED_CHARACTER),  # not in the GB 2312 font
        (StxFrame(1, 0x39), p.NakReason.UNKNOWN_COMMAND),
        (StxFrame(1, p.LedCommand.BRIGHTNESS, b"\x20"), p.NakReason.BAD_PARAMETER),
    ],
)
def test_emulator_naks(frame: StxFrame, reason: p.NakReason) -> None:
    emu = LedDisplayEmulator()
    assert talk(emu, frame) == p.nak(1, frame.cmd, reason)
    assert emu.screen == ["", ""]


def test_emulator_answers_checksum_errors_and_ignores_other_addresses() -> None:
    emu = LedDisplayEmulator(address=4)
    wire = bytearray(p.show(4, 0, "x").encode())
    wire[-2] ^= 1
    replies = emu.receive(bytes(wire))
    assert replies[0][1] == p.nak(4, 0, p.NakReason.CHECKSUM).encode()
    assert talk(emu, p.show(5, 0, "x")) is None
    assert talk(emu, p.show(0xFF, 0, "全体")) is None  # broadcast: obeyed, not answered
    assert emu.screen[0] == "全体"


def test_emulator_faults() -> None:
    emu = LedDisplayEmulator(drop_next=1)
    assert talk(emu, p.status(1)) is None
    assert talk(emu, p.status(1)) is not None
    emu.nak_reason, emu.nak_count = p.NakReason.BUSY, 1
    assert talk(emu, p.status(1)) == p.nak(1, p.LedCommand.STATUS, p.NakReason.BUSY)
    assert talk(emu, p.status(1)) is not None
    emu.absent = True
    assert talk(emu, p.status(1)) is None


def test_answers_matches_replies_to_requests() -> None:
    req = p.show(2, 0, "x")
    assert p.answers(req, p.ack(2, p.LedCommand.SHOW))
    assert not p.answers(req, p.ack(2, p.LedCommand.CLEAR))
    assert not p.answers(req, p.ack(3, p.LedCommand.SHOW))
    assert p.answers(req, p.nak(2, 0, p.NakReason.CHECKSUM))
