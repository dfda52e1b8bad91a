"""Ticket and receipt layout: everything is drawn with Pillow into one 1-bit image, CJK included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import segno
from PIL import Image, ImageDraw, ImageFont

from hall_protocol.tickets import TicketView

FONT_DIR = "/usr/share/fonts/opentype/noto"
FONT_REGULAR = f"{FONT_DIR}/NotoSansCJK-Regular.ttc"
FONT_BOLD = f"{FONT_DIR}/NotoSansCJK-Bold.ttc"
_SC_INDEX = 2  # the Simplified Chinese face inside the Noto CJK collections
HALL_TZ = ZoneInfo("Asia/Shanghai")

BLACK = 0
WHITE = 255
MARGIN = 16


class LayoutError(ValueError):
    """The content does not fit on a ticket (e.g. a number too long to print at any readable size)."""


@dataclass(frozen=True, slots=True)
class TicketPrint:
    """What goes on a queue ticket. No personal data: a ticket is left lying around."""

    hall_name: str
    number: str  # "A1203"
    service_name_zh: str
    service_name_en: str
    issued_at: datetime  # aware, in the hall's time zone
    zone_hint_zh: str = ""  # "请到二楼B区 3号窗口等候"
    zone_hint_en: str = ""
    position: int = 0  # people ahead + 1; 0 = unknown
    wait_low_min: int = 0
    wait_high_min: int = 0
    provisional: bool = False
    qr_url: str = ""
    footer_zh: str = "请留意叫号屏幕和短信通知，过号请重新取号。"
    footer_en: str = "Watch the screens or your SMS for your call."

    @classmethod
    def from_view(cls, view: TicketView, *, hall_name: str, tz: tzinfo = HALL_TZ) -> TicketPrint:
        zone_zh = " ".join(p for p in (view.zone_name_zh, view.window_name or "") if p)
        zone_en = " ".join(p for p in (view.zone_name_en, view.window_name or "") if p)
        return cls(
            hall_name=hall_name,
            number=view.number,
            service_name_zh=view.service_name_zh,
            service_name_en=view.service_name_en,
            issued_at=datetime.fromtimestamp(view.issued_at, tz),
            zone_hint_zh=f"请到 {zone_zh} 等候" if zone_zh else "",
            zone_hint_en=f"Please wait at {zone_en}" if zone_en else "",
            position=view.position,
            wait_low_min=round(view.est_wait_low_s / 60),
            wait_high_min=round(view.est_wait_high_s / 60),
            provisional=view.provisional,
            qr_url=view.status_url,
        )


@lru_cache(maxsize=64)
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_BOLD if bold else FONT_REGULAR, size, index=_SC_INDEX)


class _Canvas:
    """A growing column of lines; the image is cropped to what was drawn."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.image = Image.new("L", (width, 4000), WHITE)
        self.draw = ImageDraw.Draw(self.image)
        self.y = MARGIN

    def text(self, text: str, size: int, *, bold: bool = False, align: str = "center",
             fill: int = BLACK, gap: int = 6) -> None:
        for line in wrap(text, font(size, bold=bold), self.width - 2 * MARGIN):
            f = font(size, bold=bold)
            left, _, right, _ = self.draw.textbbox((0, 0), line, font=f)
            x = MARGIN if align == "left" else (self.width - (right - left)) // 2 - left
            # line height from the font, not the glyphs, so lines of digits and of CJK sit evenly
            ascent, descent = f.getmetrics()
            self.draw.text((x, self.y), line, font=f, fill=fill)
            self.y += ascent + descent + gap

    def fitted(self, text: str, size: int, *, bold: bool = False, min_size: int = 20, gap: int = 6) -> None:
        """One line if it fits at any size down to ``min_size``; wrapped only beyond that."""
        while size > min_size and font(size, bold=bold).getlength(text) > self.width - 2 * MARGIN:
            size -= 1
        self.text(text, size, bold=bold, gap=gap)

    def big_number(self, number: str) -> None:
        """As large as fits the paper width, up to a height that still leaves room for the rest."""
        max_w = self.width - 2 * MARGIN
        size = 190
        while size > 40:
            left, top, right, bottom = self.draw.textbbox((0, 0), number, font=font(size, bold=True))
            if right - left <= max_w:
                break
            size -= 6
        else:
            raise LayoutError(f"ticket number {number!r} does not fit on the paper")
        f = font(size, bold=True)
        left, top, right, bottom = self.draw.textbbox((0, 0), number, font=f)
        x = (self.width - (right - left)) // 2 - left
        self.draw.text((x, self.y - top), number, font=f, fill=BLACK)
        self.y += int(bottom - top) + 14

    def rule(self, *, dashed: bool = False, thickness: int = 2) -> None:
        self.y += 6
        if dashed:
            for x in range(MARGIN, self.width - MARGIN, 16):
                self.draw.rectangle((x, self.y, x + 8, self.y + thickness - 1), fill=BLACK)
        else:
            self.draw.rectangle((MARGIN, self.y, self.width - MARGIN, self.y + thickness - 1), fill=BLACK)
        self.y += thickness + 10

    def banner(self, zh: str, en: str, note_zh: str, note_en: str) -> None:
        """White on black, so a provisional ticket cannot be mistaken for a normal one."""
        top = self.y
        f_zh, f_en, f_note = font(44, bold=True), font(26, bold=True), font(20)
        heights = [sum(f_zh.getmetrics()), sum(f_en.getmetrics())]
        inner = self.width - 4 * MARGIN
        notes = [*wrap(note_zh, f_note, inner), *wrap(note_en, f_note, inner)]
        note_h = sum(f_note.getmetrics()) * len(notes)
        bottom = top + 12 + sum(heights) + 6 + note_h + 12
        self.draw.rounded_rectangle((MARGIN, top, self.width - MARGIN, bottom), radius=12, fill=BLACK)
        y = top + 10
        for text, f in ((zh, f_zh), (en, f_en), *((n, f_note) for n in notes)):
            left, _, right, _ = self.draw.textbbox((0, 0), text, font=f)
            self.draw.text(((self.width - (right - left)) // 2 - left, y), text, font=f, fill=WHITE)
            y += sum(f.getmetrics()) + (6 if f is f_en else 0)
        self.y = bottom + 14

    def qr(self, url: str, caption_zh: str, caption_en: str) -> None:
        qr_img = qr_image(url)
        self.image.paste(qr_img, ((self.width - qr_img.width) // 2, self.y))
        self.y += qr_img.height + 2
        self.text(caption_zh, 22, gap=2)
        self.text(caption_en, 18)

    def space(self, dy: int) -> None:
        self.y += dy

    def finish(self) -> Image.Image:
        self.y += MARGIN
        if self.y > self.image.height:
            raise LayoutError("content longer than a ticket may be")
        cropped = self.image.crop((0, 0, self.width, self.y))
        return cropped.point(lambda v: 255 if v >= 160 else 0, "1")


def qr_image(url: str, *, target_px: int = 240) -> Image.Image:
    """The QR code with whole-dot modules (no resampling blur on a thermal head) and a quiet zone."""
    code = segno.make(url, error="m", micro=False)
    border = 4
    size = int(code.symbol_size(scale=1, border=border)[0])
    scale = max(2, min(8, target_px // size))
    small = Image.new("L", (size, size), WHITE)
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            if dark:
                small.putpixel((x + border, y + border), BLACK)
    return small.resize((size * scale, size * scale), Image.Resampling.NEAREST)


def wrap(text: str, f: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Greedy wrapping: CJK breaks between any two characters, Latin words stay whole where they fit."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for token in _tokens(para):
            candidate = line + token
            if not line or f.getlength(candidate) <= max_width:
                line = candidate
                continue
            lines.append(line.rstrip())
            line = token.lstrip()
            while f.getlength(line) > max_width and len(line) > 1:  # one word wider than the paper
                cut_at = len(line) - 1
                while cut_at > 1 and f.getlength(line[:cut_at]) > max_width:
                    cut_at -= 1
                lines.append(line[:cut_at])
                line = line[cut_at:]
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def render_ticket(ticket: TicketPrint, *, width: int = 576) -> Image.Image:
    c = _Canvas(width)
    c.fitted(ticket.hall_name, 30, bold=True)
    c.rule()
    if ticket.provisional:
        c.banner("临时号", "PROVISIONAL",
                 "网络暂时中断，本号码由自助机发放，恢复后按实际到达顺序叫号。",
                 "Issued offline by this kiosk; you keep your place by arrival time.")
    c.text("您的号码  Your number", 22, gap=0)
    c.big_number(ticket.number)
    c.fitted(ticket.service_name_zh, 36, bold=True, min_size=26, gap=2)
    c.text(ticket.service_name_en, 22)
    if ticket.zone_hint_zh or ticket.zone_hint_en:
        c.rule(dashed=True)
        if ticket.zone_hint_zh:
            c.text(ticket.zone_hint_zh, 28, bold=True, gap=2)
        if ticket.zone_hint_en:
            c.text(ticket.zone_hint_en, 20)
    c.rule(dashed=True)
    if ticket.position > 0:
        ahead = ticket.position - 1
        c.text(f"前面还有 {ahead} 人", 28, bold=True, gap=2)
        c.text(f"{ahead} {'person' if ahead == 1 else 'people'} ahead of you", 20)
    if ticket.wait_high_min > 0:
        low, high = ticket.wait_low_min, max(ticket.wait_low_min, ticket.wait_high_min)
        span = f"{low}–{high}" if high > low else f"{high}"
        c.text(f"预计等待 {span} 分钟", 28, bold=True, gap=2)
        c.text(f"Estimated wait {span} min", 20)
    if ticket.qr_url:
        c.space(8)
        c.qr(ticket.qr_url, "微信/手机扫码查看排队进度", "Scan to follow your place in the queue")
    c.rule(dashed=True)
    c.text(f"取号时间  {ticket.issued_at:%Y-%m-%d %H:%M}", 22, gap=2)
    if ticket.footer_zh:
        c.text(ticket.footer_zh, 20, gap=2)
    if ticket.footer_en:
        c.text(ticket.footer_en, 18)
    return c.finish()


def render_receipt(title: str, lines: Sequence[str], qr_url: str | None = None, *, width: int = 576,
                   printed_at: datetime | None = None) -> Image.Image:
    """A self-service receipt or material checklist: a title, left-aligned lines, optional QR."""
    c = _Canvas(width)
    c.text(title, 34, bold=True)
    c.rule()
    for line in lines:
        c.text(line, 24, align="left", gap=4)
    if qr_url:
        c.rule(dashed=True)
        c.qr(qr_url, "扫码查看详情", "Scan for details")
    if printed_at is not None:
        c.rule(dashed=True)
        c.text(f"打印时间  {printed_at:%Y-%m-%d %H:%M}", 20)
    return c.finish()
