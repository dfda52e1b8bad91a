"""The hall screen App: renders its HallBoard; nobody touches it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp, sp
from kivy.properties import ColorProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.utils import escape_markup

from kiosk.agent_client import HallEvent, LinkState
from kiosk.announce import Announcer, call_lines
from kiosk.apps.base import COMMON_KV, load_kv
from kiosk.apps.board_app import BoardApp, set_banner
from kiosk.apps.board_feed import FeedStatus
from kiosk.apps.board_layout import HallLayout, fit_lines_sp, fit_sp, hall_layout, short_name, text_em
from kiosk.apps.build import keep_together
from kiosk.apps.hall_screen.board import CallRow, HallBoard, QueueRow
from kiosk.apps.widgets import CLEAR, STYLE, OvLabel
from kiosk.i18n import Text, t

KV = Path(__file__).resolve().with_name("hall_screen.kv")


class HallScreenRoot(BoxLayout):  # type: ignore[misc]
    pass


class HallRow(BoxLayout):  # type: ignore[misc]
    """One row of the calls or queues table, on an optional background colour."""

    bg_rgba = ColorProperty(CLEAR)


def cell(text: str, size_sp: float, *, fg: str = "text", bg: str = "", bold: bool = False, halign: str = "left",
         width_dp: float | None = None, ov_id: str = "") -> OvLabel:
    w = OvLabel(text=keep_together(text), fg=fg, bg=bg, halign=halign, ov_id=ov_id)
    w.font_px = sp(size_sp)
    w.bold = bold
    w.size_hint_y = 1
    if width_dp is not None:
        w.size_hint_x = None
        w.width = dp(width_dp)
    return w


def _both(text: Text, *, sep: str = "  ") -> str:
    """Chinese, then English on the same line: nobody switches a hall screen's language."""
    return f"{text.render('zh')}{sep}{text.render('en')}"


def _title(text: Text, en_sp: float = 20) -> str:
    """Chinese, then a smaller English (Kivy markup: the catalog's sentences hold no square brackets)."""
    return f"{text.render('zh')}  [size={round(sp(en_sp))}]{text.render('en')}[/size]"


class HallScreenApp(BoardApp):
    """大厅综合屏: not touched by anyone; shows the latest calls and every service's queue."""

    title = "OneVisit 大厅综合屏"

    def __init__(self, board: HallBoard, *, announcer: Announcer | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.board = board
        self.announcer = announcer  # calls said aloud ([announce] in kiosk.toml); None: silent
        self._shown: tuple[str, FeedStatus, int] = ("", FeedStatus.WAITING, -1)  # minute, status, notice

    def build(self) -> HallScreenRoot:
        load_kv(COMMON_KV)
        load_kv(KV)
        self.root = HallScreenRoot()
        Window.bind(size=lambda *_a: self._trigger())
        Clock.schedule_interval(lambda _dt: self.tick(), 1.0)
        self.render()
        return self.root

    def board_event(self, event: HallEvent) -> bool:
        now = self.wall()
        changed = self.board.on_event(event, now)
        if changed and self.announcer is not None:
            for row in self.board.to_announce(now):
                self.announcer.announce(call_lines(row.number, row.window, row.recalled,
                                                   self.announcer.config.languages))
        return changed

    def link_changed(self, state: LinkState) -> None:
        self.board.feed.set_link(connected=state.connected, online=state.online)

    def _looks(self, now: float) -> tuple[str, FeedStatus, int]:
        notice = self.board.notice_at(now)
        return (time.strftime("%H:%M", time.localtime(now)), self.board.status(now),
                notice.index if notice is not None else -1)

    def tick(self) -> None:
        """Once a second: the clock, the link's health, the next notice, a new page of a long queue list."""
        if self.root is None:
            return
        now = self.wall()
        if self._looks(now) != self._shown or self.board.page_turned(now):
            self._trigger()

    def layout(self, now: float) -> HallLayout:
        return hall_layout(Window.width / dp(1), Window.height / dp(1), banner=self._banner(now) is not None,
                           notices=self.board.notice_at(now) is not None)

    def _banner(self, now: float) -> Text | None:
        status = self.board.status(now)
        if status is FeedStatus.OFFLINE:  # old numbers must not pass for current ones
            return Text("hall_screen.offline")
        if status is FeedStatus.WAITING:
            return Text("hall_screen.no_data")
        return None

    def render(self) -> None:
        root, b = self.root, self.board
        if root is None or self.stopped:
            return
        self.renders += 1
        ids = root.ids
        now = self.wall()
        lay = self.layout(now)
        self._shown = self._looks(now)
        offline = self._shown[1] is FeedStatus.OFFLINE
        ids.clock.text = self._shown[0]
        ids.header.height = dp(lay.header_dp)
        name = escape_markup(keep_together(b.hall_name.zh))
        if lay.landscape and b.hall_name.en:  # a portrait screen has no room for both
            name = f"{name}  [size={round(sp(20))}]{escape_markup(b.hall_name.en)}[/size]"
        ids.hall_name.text = name
        set_banner(ids.status, self._banner(now), lay.banner_dp)
        ids.body.orientation = "horizontal" if lay.landscape else "vertical"
        for panel, share in ((ids.calls_panel, lay.calls_share), (ids.queues_panel, 1 - lay.calls_share)):
            panel.size_hint = (share, 1) if lay.landscape else (1, share)
        for head in (ids.calls_head, ids.queues_head):
            head.height = dp(40)
        ids.calls_title.text = _title(Text("hall_screen.before_outage" if offline else "hall_screen.calls_title"))
        ids.queues_title.text = _title(Text("hall_screen.queues_title"))
        self._render_calls(ids.calls, lay, offline=offline)
        self._render_queues(ids.queues, lay, now)
        self._render_notice(lay, now)

    def _render_notice(self, lay: HallLayout, now: float) -> None:
        ids = self.root.ids
        notice = self.board.notice_at(now)
        ids.notice_bar.height = dp(lay.notice_dp)
        ids.notice_bar.opacity = 1 if notice is not None else 0
        if notice is None:
            ids.notice_tag.text = ids.notice.text = ""
            return
        ids.notice_tag.text = _both(Text("hall_screen.notice"), sep=" ")
        text = escape_markup(keep_together(notice.text.zh))
        if notice.text.en:
            text += f"   [size={round(sp(20))}]{escape_markup(notice.text.en)}[/size]"
        if notice.count > 1:
            text += f"   [size={round(sp(18))}]{notice.index + 1}/{notice.count}[/size]"
        ids.notice.text = text

    def _panel_width_dp(self, lay: HallLayout, share: float) -> float:
        width = float(Window.width / dp(1)) - 24
        return (width - 20) * share if lay.landscape else width

    def _render_calls(self, box: Any, lay: HallLayout, *, offline: bool) -> None:
        box.clear_widgets()
        calls = self.board.calls[:lay.call_rows]
        if not calls:
            box.add_widget(cell(t("hall_screen.no_calls", "zh"), lay.window_sp, fg="text_muted", ov_id="hall.no_calls"))
            return
        number_w = max(text_em(c.number) for c in calls) * lay.number_sp + 4
        name_w = max((text_em(c.masked_name) for c in calls), default=0.0) * lay.name_sp + 8
        recall_w = 34.0 if any(c.recalled for c in calls) else 0.0
        window_w = self._panel_width_dp(lay, lay.calls_share) - number_w - name_w - recall_w - 24 - 12 * 3
        for n, c in enumerate(calls):
            box.add_widget(self._call_row(c, lay, newest=n == 0 and not offline, muted=offline,
                                          widths=(number_w, recall_w, window_w, name_w)))
        box.add_widget(BoxLayout())  # the rows keep their height; the rest stays empty

    def _call_row(self, c: CallRow, lay: HallLayout, *, newest: bool, muted: bool,
                  widths: tuple[float, float, float, float]) -> HallRow:
        number_w, recall_w, window_w, name_w = widths
        row = HallRow(height=dp(lay.call_row_dp))
        if newest:
            row.bg_rgba = STYLE.colours["surface"]
        row.add_widget(cell(c.number, lay.number_sp, fg="text_muted" if muted else "accent", bold=True,
                            width_dp=number_w, ov_id=f"hall.call.{c.number}"))
        if recall_w:
            # written top to bottom, as Chinese may be: two characters in a narrow column
            recall = "\n".join(t("hall_screen.recall", "zh")) if c.recalled else ""
            tag = cell(recall, 22, fg="warning_text", bg="warning_bg" if c.recalled else "", width_dp=recall_w,
                       halign="center")
            tag.line_height = 1.0
            row.add_widget(tag)
        window_sp = fit_lines_sp(c.window.zh, window_w, lay.call_row_dp - 6, largest=lay.window_sp, smallest=22)
        fg = "text_muted" if muted else "text"
        row.add_widget(cell(c.window.zh, window_sp, fg=fg, bold=True, ov_id=f"hall.window.{c.number}"))
        row.add_widget(cell(c.masked_name, lay.name_sp, fg=fg, width_dp=name_w, halign="right",
                            ov_id=f"hall.name.{c.number}"))
        return row

    def _render_queues(self, box: Any, lay: HallLayout, now: float) -> None:
        box.clear_widgets()
        width = self._panel_width_dp(lay, 1 - lay.calls_share) - 24
        count_w, wait_w = 2.0 * lay.queue_sp, 4.2 * lay.queue_sp
        name_w = width - count_w - wait_w - 24
        head = HallRow(height=dp(lay.queue_row_dp))
        for key, w, align in (("hall_screen.col_service", None, "left"), ("hall_screen.col_waiting", count_w, "right"),
                              ("hall_screen.col_wait", wait_w, "right")):
            head.add_widget(cell(t(key, "zh"), 20, fg="text_muted", width_dp=w, halign=align))
        box.add_widget(head)
        rows, page, pages = self.board.queue_page(lay.queue_rows, now)
        for n, q in enumerate(rows):
            box.add_widget(self._queue_row(q, lay, name_w, (count_w, wait_w), shaded=n % 2 == 0))
        total = t("hall_screen.waiting_total", "zh", count=self.board.waiting_total)
        if pages > 1:
            total = f"{total}  ·  {t('common.page', 'zh', page=page, pages=pages)}"
        foot = HallRow(height=dp(lay.queue_row_dp))
        foot.add_widget(cell(total, 20, fg="text_muted", halign="right", ov_id="hall.waiting_total"))
        box.add_widget(foot)
        box.add_widget(BoxLayout())

    def _queue_row(self, q: QueueRow, lay: HallLayout, name_w: float, widths: tuple[float, float],
                   *, shaded: bool) -> HallRow:
        count_w, wait_w = widths
        if not q.open:
            wait = t("hall_screen.closed", "zh")
        elif q.waiting == 0:
            wait = t("hall_screen.no_wait", "zh")
        else:
            wait = t("hall_screen.wait_min", "zh", minutes=q.wait_min)
        fg = "text_muted" if not q.open else "text"
        row = HallRow(height=dp(lay.queue_row_dp))
        if shaded:
            row.bg_rgba = STYLE.colours["surface"]
        name = short_name(q.name.zh)
        label = cell(name, fit_sp(name, name_w, largest=lay.queue_sp, smallest=18), fg=fg, ov_id=f"hall.queue.{q.code}")
        label.shorten = True
        row.add_widget(label)
        row.add_widget(cell(str(q.waiting), lay.queue_sp, fg=fg, bold=True, width_dp=count_w, halign="right"))
        row.add_widget(cell(wait, lay.queue_sp * 0.9, fg=fg, width_dp=wait_w, halign="right"))
        return row
