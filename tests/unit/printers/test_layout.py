from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from drivers.receipt_printer.layout import LayoutError, TicketPrint, font, render_receipt, render_ticket, wrap
from hall_protocol.tickets import TicketState, TicketView
from tests.unit.printers.ticket_checks import black_fraction, decode_qr, number_band, solid_rows


def test_ticket_renders_1bit_at_paper_width_and_qr_decodes(ticket: TicketPrint, output_dir: Path) -> None:
    image = render_ticket(ticket)
    image.save(output_dir / "ticket-80mm.png")
    assert image.mode == "1"
    assert image.width == 576
    assert 600 < image.height < 2000
    assert decode_qr(image) == [ticket.qr_url]


def test_number_is_the_tallest_thing_on_the_ticket(ticket: TicketPrint) -> None:
    image = render_ticket(ticket)
    box = number_band(image)
    assert box[3] - box[1] >= 100  # "very large": about 13 mm on a 203 dpi head
    assert black_fraction(image, box) > 0.2


def test_58mm_ticket(ticket: TicketPrint, output_dir: Path) -> None:
    image = render_ticket(ticket, width=384)
    image.save(output_dir / "ticket-58mm.png")
    assert image.width == 384
    assert decode_qr(image) == [ticket.qr_url]


def test_provisional_ticket_has_a_black_banner_above_the_number(ticket: TicketPrint, output_dir: Path) -> None:
    normal = render_ticket(ticket)
    provisional = render_ticket(dataclasses.replace(ticket, provisional=True))
    provisional.save(output_dir / "ticket-provisional.png")
    assert provisional.height > normal.height + 100
    assert solid_rows(provisional, 40, 536) > 150  # the white-on-black banner
    assert solid_rows(normal, 40, 536) < 10  # only the rule under the hall name


def test_ticket_without_optional_parts(ticket: TicketPrint) -> None:
    bare = dataclasses.replace(ticket, qr_url="", zone_hint_zh="", zone_hint_en="", position=0,
                               wait_high_min=0, footer_zh="", footer_en="")
    image = render_ticket(bare)
    assert decode_qr(image) == []
    assert image.height < render_ticket(ticket).height


def test_number_too_long_for_the_paper(ticket: TicketPrint) -> None:
    with pytest.raises(LayoutError):
        render_ticket(dataclasses.replace(ticket, number="A" * 40), width=384)


def test_from_ticket_view() -> None:
    view = TicketView(ticket_id="T1", number="B007", service="re", service_name_zh="社保", service_name_en="Social",
                      state=TicketState.WAITING, zone="b", zone_name_zh="B区", zone_name_en="Zone B", position=3,
                      est_wait_low_s=600, est_wait_high_s=1200, issued_at=1_795_000_000.0, provisional=True,
                      status_url="https://x.example/t/h/T1?k=abc")
    t = TicketPrint.from_view(view, hall_name="大厅")
    assert (t.number, t.position, t.wait_low_min, t.wait_high_min, t.provisional) == ("B007", 3, 10, 20, True)
    assert t.zone_hint_zh == "请到 B区 等候"
    assert t.issued_at.utcoffset() is not None
    assert t.issued_at.utcoffset().total_seconds() == 8 * 3600
    assert decode_qr(render_ticket(t)) == [view.status_url]


def test_receipt_with_checklist_and_qr(output_dir: Path) -> None:
    lines = ["1. 身份证原件及复印件 ID card and copy", "2. 不动产权证书 Property certificate",
             "3. 买卖合同（一式三份）Sales contract, three copies, signed by both parties on every page"]
    image = render_receipt("办事材料清单 Checklist", lines, "https://hall.example.cn/m/re-01")
    image.save(output_dir / "receipt.png")
    assert image.width == 576
    assert decode_qr(image) == ["https://hall.example.cn/m/re-01"]


def test_wrap_keeps_lines_within_width_and_loses_no_characters() -> None:
    f = font(24)
    text = "请携带身份证原件 and a very-long-unbreakable-token-that-is-wider-than-the-paper-itself 到窗口办理"
    lines = wrap(text, f, 300)
    assert all(f.getlength(line) <= 300 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
