"""A ticket as the screen and the printer show it, built from the hall's TicketView."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hall_protocol.tickets import TicketView
from kiosk.i18n import Bilingual, Lang, Text
from kiosk.viewmodels.printing import LineSize, Receipt, ReceiptLine


@dataclass(frozen=True, slots=True)
class TicketDisplay:
    ticket_id: str
    number: str
    service: Bilingual
    where: Text  # 请到 A区 等候叫号 / 请到 1号窗口 办理
    position: Text | None  # None when not waiting
    wait: Text | None
    qr_url: str  # the phone status page; empty when the hall gave none (offline)
    provisional: bool
    steps: int  # services in this visit (一件事); 1 for a single service
    view: TicketView | None = None  # the hall's own record, so a ticket printer can use its ticket layout

    @property
    def provisional_notice(self) -> Text | None:
        return Text("ticket.provisional") if self.provisional else None

    def lines(self) -> list[Text | Bilingual | str]:
        out: list[Text | Bilingual | str] = [self.service, self.where]
        if self.position is not None:
            out.append(self.position)
        if self.wait is not None:
            out.append(self.wait)
        if self.steps > 1:
            out.append(Text("ticket.steps", count=self.steps))
        return out

    def receipt(self, lang: Lang, hall_name: Bilingual) -> Receipt:
        def r(v: Text | Bilingual | str) -> str:
            return v if isinstance(v, str) else v.render(lang)

        lines = [ReceiptLine(hall_name.render(lang), LineSize.LARGE, center=True)]
        if self.provisional:
            lines.append(ReceiptLine(Text("ticket.provisional").render(lang)))
        lines.append(ReceiptLine(Text("ticket.your_number").render(lang), center=True))
        lines.append(ReceiptLine(self.number, LineSize.HUGE, center=True))
        lines += [ReceiptLine(r(v)) for v in self.lines()]
        if self.qr_url:
            lines.append(ReceiptLine(Text("ticket.qr_hint").render(lang)))
        return Receipt(lines=tuple(lines), qr=self.qr_url or None, ticket=self.view)


def wait_text(view: TicketView) -> Text | None:
    if view.position <= 0:
        return None
    low, high = view.est_wait_low_s, view.est_wait_high_s
    if high <= 0:
        if view.est_wait_s <= 0:
            return Text("ticket.wait.none")  # not "0 分钟"
        minutes = max(1, round(view.est_wait_s / 60))
        return Text("ticket.wait.about", minutes=minutes)
    lo_min, hi_min = math.floor(low / 60), math.ceil(high / 60)
    if hi_min <= 2:
        return Text("ticket.wait.soon")
    return Text("ticket.wait.range", low=max(lo_min, 1), high=max(hi_min, lo_min + 1))


def position_text(view: TicketView) -> Text | None:
    if view.position <= 0:
        return None
    if view.position == 1:
        return Text("ticket.position.next")
    return Text("ticket.position.ahead", ahead=view.position - 1)


def display_for(view: TicketView) -> TicketDisplay:
    if view.window_name:
        where = Text("ticket.where.window", window=view.window_name)
    else:
        zone = Bilingual(view.zone_name_zh or view.zone, view.zone_name_en or view.zone_name_zh or view.zone)
        where = Text("ticket.where.zone", zone=zone)
    return TicketDisplay(
        ticket_id=view.ticket_id,
        number=view.number,
        service=Bilingual(view.service_name_zh, view.service_name_en),
        where=where,
        position=position_text(view),
        wait=wait_text(view),
        qr_url=view.status_url,
        provisional=view.provisional,
        steps=max(1, len(view.steps)),
        view=view,
    )
