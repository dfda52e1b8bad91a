from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from drivers.receipt_printer import escpos
from drivers.receipt_printer.emulator import FEED_LINE_DOTS, EscposEmulator, Faults


def _pattern(width: int = 64, height: int = 40) -> Image.Image:
    img = Image.new("1", (width, height), 1)
    for y in range(height):
        for x in range(width):
            if (x * 7 + y * 3) % 5 == 0:
                img.putpixel((x, y), 0)
    return img


def _feed(emu: EscposEmulator, data: bytes, cuts: list[int]) -> bytes:
    out = b""
    start = 0
    for cut_at in [*sorted(cuts), len(data)]:
        for _delay, chunk in emu.receive(data[start:cut_at]):
            out += chunk
        start = cut_at
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=600), max_size=8), st.integers(min_value=1, max_value=40))
def test_ticket_survives_any_split_of_the_byte_stream(cuts: list[int], band_rows: int) -> None:
    image = _pattern()
    data = b"".join(escpos.ticket_job(image, feed=2, band_rows=band_rows))
    emu = EscposEmulator(width_dots=64)
    assert _feed(emu, data, [c for c in cuts if c < len(data)]) == b""
    assert len(emu.log.tickets) == 1
    printed = emu.log.tickets[0]
    assert printed.size == (64, 40 + 2 * FEED_LINE_DOTS)
    assert ImageChops.difference(printed.crop((0, 0, 64, 40)).convert("L"), image.convert("L")).getbbox() is None


def test_dle_eot_answers_in_order_and_between_other_commands() -> None:
    emu = EscposEmulator(faults=Faults(paper_near_end=True))
    data = escpos.initialize() + escpos.status_request(1) + escpos.status_request(4) + escpos.feed_lines(1)
    assert _feed(emu, data, [3, 4]) == bytes([0x12, 0x1E])


def test_silent_printer_answers_nothing() -> None:
    emu = EscposEmulator(faults=Faults(silent=True))
    assert emu.receive(escpos.status_request(1)) == []


def test_paper_out_mid_ticket_keeps_what_was_printed_and_discards_the_rest() -> None:
    emu = EscposEmulator(width_dots=64, faults=Faults(paper_out_after_rows=25))
    data = b"".join(escpos.ticket_job(_pattern(), band_rows=10))
    emu.receive(data)
    assert emu.log.tickets == []
    assert [t.height for t in emu.log.torn] == [25]
    assert emu.faults.paper_out
    assert emu.receive(escpos.status_request(4)) == [(0.0, bytes([0x7E]))]
    assert emu.log.discarded_bytes > 0


def test_paper_out_after_n_tickets() -> None:
    emu = EscposEmulator(width_dots=64, faults=Faults(paper_out_after_tickets=2))
    job = b"".join(escpos.ticket_job(_pattern()))
    for _ in range(3):
        emu.receive(job)
    assert len(emu.log.tickets) == 2
    emu.load_paper()
    emu.receive(job)
    assert len(emu.log.tickets) == 3


def test_cutter_jam_keeps_printer_offline_until_cleared() -> None:
    emu = EscposEmulator(width_dots=64, faults=Faults(cutter_jams=True))
    emu.receive(b"".join(escpos.ticket_job(_pattern())))
    assert emu.log.tickets == []
    assert len(emu.log.torn) == 1
    assert emu.receive(escpos.status_request(3)) == [(0.0, bytes([0x1A]))]
    emu.clear_cutter()
    assert emu.receive(escpos.status_request(3)) == [(0.0, bytes([0x12]))]


def test_unknown_bytes_are_consumed_not_fatal() -> None:
    emu = EscposEmulator()
    assert emu.receive(b"hello\x1b") == []
    assert emu.receive(b"\x40" + escpos.status_request(1)) == [(0.0, b"\x12")]
    assert emu.log.commands[-2:] == ["ESC @", "DLE EOT 1"]


def test_script_rejects_unknown_fault() -> None:
    emu = EscposEmulator()
    try:
        emu.script(paper_gone=True)
    except AttributeError:
        return
    raise AssertionError("unknown fault accepted")
