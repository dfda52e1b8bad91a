"""The guide screen: one question at a time, back, then the checklist to print or take by QR."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from drivers.errors import DriverError
from kiosk.catalog import Entry
from kiosk.guide import Checklist, Guide, GuideSession
from kiosk.i18n import Bilingual, Lang, Text
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import printer_notice
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.paging import Pager
from kiosk.viewmodels.printing import LineSize, PrintProblem, Receipt, ReceiptLine, classify_print_failure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OptionView:
    id: str
    label: Bilingual


class GuideViewModel(Observable):
    def __init__(self, ctx: KioskContext, guides: Mapping[str, Guide], *, options_per_page: int = 6) -> None:
        super().__init__()
        self.ctx = ctx
        self.guides = guides
        self.entry: Entry | None = None
        self.session: GuideSession | None = None
        self.options: Pager[OptionView] = Pager((), options_per_page)
        self.message: Text | None = None
        self.printed = False

    # what the screen shows -------------------------------------------------------------------------

    @property
    def title(self) -> Text | None:
        return Text("guide.title", name=self.entry.name) if self.entry else None

    @property
    def question(self) -> Bilingual | None:
        q = self.session.current if self.session else None
        return Bilingual(q.text_zh, q.text_en) if q else None

    @property
    def help(self) -> Bilingual | None:
        q = self.session.current if self.session else None
        return Bilingual(q.help_zh, q.help_en) if q and q.help_zh else None

    @property
    def progress(self) -> Text | None:
        """第 n 题 / 共 N 题: N counts the longest way on from here (answers can shorten it)."""
        s = self.session
        if s is None or s.current is None:
            return None
        return Text("guide.progress", n=s.depth + 1, total=s.depth + _longest(s.guide, s.current.id))

    @property
    def can_go_back(self) -> bool:
        return bool(self.session and self.session.can_go_back)

    @property
    def done(self) -> bool:
        return bool(self.session and self.session.done)

    @property
    def checklist(self) -> Checklist | None:
        return self.session.checklist() if self.session and self.session.done else None

    @property
    def checklist_title(self) -> Text | None:
        c = self.checklist
        return Text("guide.checklist.title", count=len(c.items)) if c else None

    @property
    def actions(self) -> tuple[tuple[str, Text], ...]:
        """Buttons under the checklist."""
        if not self.done:
            return ()
        return (
            ("print", Text("guide.checklist.print")),
            ("qr", Text("guide.checklist.qr")),
            ("ticket", Text("guide.checklist.take_ticket")),
            ("restart", Text("guide.restart")),
        )

    def qr_text(self, lang: Lang) -> str | None:
        """The checklist as plain text in a QR code: the phone shows it without any server or personal data."""
        c = self.checklist
        if c is None:
            return None
        return c.to_text(lang) + "\n" + Text("guide.checklist.footer").render(lang)

    # what the citizen does ---------------------------------------------------------------------------

    def start(self, entry: Entry) -> None:
        if entry.guide is None:
            raise ValueError(f"{entry.code} has no guide")
        self.entry = entry
        self.session = GuideSession(self.guides[entry.guide])
        self.printed = False
        self.message = None
        self._show_options()

    def choose(self, option_id: str) -> None:
        assert self.session is not None, "start() first"
        self.session.answer(option_id)
        self._show_options()

    def back(self) -> bool:
        """One answer back; False when already at the first question (the screen leaves the guide)."""
        if self.session is None or not self.session.can_go_back:
            return False
        self.session.back()
        self.printed = False
        self._show_options()
        return True

    def restart(self) -> None:
        if self.session is not None:
            self.session.restart()
            self.printed = False
            self._show_options()

    async def print_checklist(self) -> bool:
        c = self.checklist
        printer = self.ctx.printer
        if c is None or printer is None:
            return False
        lang = self.ctx.lang
        lines = [ReceiptLine(self.ctx.hall_name.render(lang), LineSize.LARGE, center=True),
                 ReceiptLine(c.title.render(lang), LineSize.LARGE)]
        lines += [ReceiptLine(line) for line in c.to_text(lang).splitlines()[1:]]
        lines.append(ReceiptLine(Text("guide.checklist.footer").render(lang)))
        try:
            await printer.print_receipt(Receipt(lines=tuple(lines), qr=self.qr_text(lang)))
        except DriverError as err:
            log.warning("checklist not printed: %s", err)
            problem = await classify_print_failure(printer, err)
            self.ctx.faults.show(printer_notice(problem is PrintProblem.PAPER_OUT, self.ctx.nearest_window(None)))
            return False
        self.printed = True
        self.message = Text("guide.checklist.printed")
        self._notify("printed", "message")
        return True

    def reset(self) -> None:
        self.entry = None
        self.session = None
        self.printed = False
        self.message = None
        self.options.set_items(())
        self._notify("question", "options", "checklist", "message")

    def _show_options(self) -> None:
        q = self.session.current if self.session else None
        self.options.set_items([OptionView(o.id, Bilingual(o.label_zh, o.label_en)) for o in q.options] if q else [])
        self.message = None
        self._notify("question", "options", "checklist", "message")


def _longest(guide: Guide, question_id: str) -> int:
    """Questions on the longest path from this one to the end (guides are checked to have no cycles)."""
    q = guide.question(question_id)
    return 1 + max((_longest(guide, o.next) for o in q.options if o.next is not None), default=0)
