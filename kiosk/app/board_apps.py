"""The hall screen, window display and evaluator Apps: each renders its board model (``kiosk.app.boards``)."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout

from kiosk.app.agent import LinkState
from kiosk.app.base import OneVisitApp, load_kv
from kiosk.app.boards import EvaluatorBoard, HallBoard, HallFeedEvent, WindowBoard, WindowPhase
from kiosk.app.build import button, label, row
from kiosk.app.devices import DeviceHub
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.rating import RatingPhase
from kiosk.viewmodels.theme import theme_for

log = logging.getLogger(__name__)

# evaluator keypad keys (drivers.keypad.Key values) → rating level
KEY_LEVELS = {0x11: 5, 0x12: 4, 0x13: 3, 0x14: 2, 0x15: 1}


class HallScreenRoot(BoxLayout):  # type: ignore[misc]
    pass


class WindowDisplayRoot(BoxLayout):  # type: ignore[misc]
    pass


class EvaluatorRoot(BoxLayout):  # type: ignore[misc]
    pass


class _BoardApp(OneVisitApp):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._trigger = Clock.create_trigger(lambda _dt: self.render(), 0)
        self.renders = 0
        self.events_seen = 0

    def on_link(self, state: LinkState) -> None:
        self.connected = state.connected
        self.online = state.online
        self._trigger()

    def on_hall_event(self, event: HallFeedEvent) -> None:
        self.events_seen += 1
        if self.board_event(event):
            self._trigger()

    def board_event(self, event: HallFeedEvent) -> bool:
        raise NotImplementedError

    def render(self) -> None:
        raise NotImplementedError


MAX_CALL_ROWS = 6
MAX_QUEUE_ROWS = 10


def _call_row(cells: list[Any]) -> Any:
    for cell, share in zip(cells, (1.0, 1.5, 0.7), strict=True):
        cell.size_hint_x = share
    return row(cells)


def _queue_row(name: str, waiting: str, wait: str, *, header: bool = False, ov_id: str = "",
               muted: bool = False) -> Any:
    kind = "small" if header else "body"
    fg = "text_muted" if header or muted else "text"
    cells = [label(name, kind=kind, fg=fg, ov_id=ov_id), label(waiting, kind=kind, fg=fg, halign="center"),
             label(wait, kind=kind, fg=fg)]
    cells[0].size_hint_x = 2.2
    return row(cells)


class HallScreenApp(_BoardApp):
    """大厅综合屏: not touched by anyone; shows the latest calls and every service's queue."""

    title = "OneVisit 大厅综合屏"

    def __init__(self, board: HallBoard, **kw: Any) -> None:
        super().__init__(**kw)
        self.board = board

    def build(self) -> HallScreenRoot:
        load_kv("common.kv")
        load_kv("boards.kv")
        self.root = HallScreenRoot()
        Clock.schedule_interval(lambda _dt: self._clock(), 1.0)
        self.render()
        return self.root

    def board_event(self, event: HallFeedEvent) -> bool:
        return self.board.on_event(event, self.wall())

    def _clock(self) -> None:
        if self.root is not None:
            self.root.ids.clock.text = time.strftime("%H:%M", time.localtime(self.wall()))

    def render(self) -> None:
        root, b = self.root, self.board
        if root is None or self.stopped:
            return
        self.renders += 1
        ids = root.ids
        ids.hall_name.text = b.hall_name.zh
        self._clock()
        ids.calls_title.text = self.ui("calls_title", "zh")
        ids.queues_title.text = self.ui("queues_title", "zh")
        if not self.connected:
            ids.status.text = f"{self.ui('agent_down', 'zh')}  {self.ui('agent_down', 'en')}"
        elif not self.online:
            ids.status.text = f"{self.ui('hall_offline', 'zh')}  {self.ui('hall_offline', 'en')}"
        elif b.state is None:
            ids.status.text = f"{self.ui('no_data', 'zh')}  {self.ui('no_data', 'en')}"
        else:
            ids.status.text = ""
        calls = ids.calls
        calls.clear_widgets()
        calls.add_widget(_call_row([label(self.ui(k, "zh"), fg="text_muted", kind="small") for k in
                                    ("col_number", "col_window", "col_name")]))
        if not b.calls:
            calls.add_widget(label(self.ui("no_calls", "zh"), fg="text_muted", ov_id="hall.no_calls"))
        for n, c in enumerate(b.calls[:MAX_CALL_ROWS]):
            kind, fg = ("title", "accent") if n == 0 else ("large", "text")
            recall = f"（{self.ui('recall', 'zh')}）" if c.recalled else ""
            calls.add_widget(_call_row([
                label(c.number + recall, kind=kind, fg=fg, ov_id=f"hall.call.{c.number}", bold=True),
                label(c.window.zh, kind=kind, fg=fg),
                label(c.masked_name or "—", kind=kind, fg=fg),
            ]))
        queues = ids.queues
        queues.clear_widgets()
        queues.add_widget(_queue_row(self.ui("col_service", "zh"), self.ui("col_waiting", "zh"),
                                     self.ui("col_wait", "zh"), header=True))
        for q in b.queues[:MAX_QUEUE_ROWS]:
            wait = self.ui("wait_min", "zh", minutes=q.wait_min) if q.open else self.ui("closed", "zh")
            queues.add_widget(_queue_row(q.name.zh, str(q.waiting), wait, ov_id=f"hall.queue.{q.code}",
                                         muted=not q.open))
        total = b.waiting_total
        zh, en = self.ui("waiting_total", "zh", count=total), self.ui("waiting_total", "en", count=total)
        ids.footer.text = f"{zh}   {en}"


class WindowDisplayApp(_BoardApp):
    """窗口屏: the number called to, or served at, this window; mirrored to an LED display when fitted."""

    title = "OneVisit 窗口屏"

    def __init__(self, board: WindowBoard, *, hub: DeviceHub | None = None, hall_name: str = "", **kw: Any) -> None:
        super().__init__(**kw)
        self.board = board
        self.hub = hub
        self.hall_name = hall_name

    def build(self) -> WindowDisplayRoot:
        load_kv("common.kv")
        load_kv("boards.kv")
        self.apply_theme(theme_for(True))
        self.root = WindowDisplayRoot()
        self.render()
        return self.root

    def board_event(self, event: HallFeedEvent) -> bool:
        changed = self.board.on_event(event, self.wall())
        if changed and self.hub is not None:
            self.spawn(self.hub.show_led(self.board.led_lines()), name="led")
        return changed

    def render(self) -> None:
        root, b = self.root, self.board
        if root is None or self.stopped:
            return
        self.renders += 1
        ids = root.ids
        ids.window_name.text = f"{b.window_name.zh}  {b.window_name.en}"
        number = b.number or ""
        ids.number.text = number if b.phase in (WindowPhase.CALLING, WindowPhase.SERVING) else ""
        key = {
            WindowPhase.CALLING: "window_calling",
            WindowPhase.SERVING: "window_serving",
            WindowPhase.PAUSED: "window_paused",
            WindowPhase.CLOSED: "window_closed",
        }.get(b.phase, "window_idle")
        ids.message.text = f"{self.ui(key, 'zh', number=number)}\n{self.ui(key, 'en', number=number)}"
        footer = self.hall_name
        if not self.connected:
            footer = f"{self.ui('agent_down', 'zh')}"
        ids.footer.text = footer


class EvaluatorApp(_BoardApp):
    """评价器: five big buttons after a finish at its window, then thanks; the keypad's keys work too."""

    title = "OneVisit 评价器"

    def __init__(self, board: EvaluatorBoard, *, hub: DeviceHub | None = None, hall_name: Bilingual | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.board = board
        self.hub = hub
        self.hall_name = hall_name or Bilingual("")
        board.rating.changed.connect(lambda _n: self._trigger())
        board.changed.connect(lambda _n: self._trigger())

    def build(self) -> EvaluatorRoot:
        load_kv("common.kv")
        load_kv("boards.kv")
        self.apply_theme(theme_for(self.elder))
        self.root = EvaluatorRoot()
        Clock.schedule_interval(lambda _dt: self.board.tick(self.now()), 1.0)
        self.render()
        return self.root

    def board_event(self, event: HallFeedEvent) -> bool:
        return self.board.on_event(event, self.now())

    def toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self._trigger()

    def toggle_elder(self) -> None:
        self.elder = not self.elder
        self.apply_theme(theme_for(self.elder))
        self._trigger()

    def rate(self, level: int) -> None:
        self.spawn(self.board.rate(level, self.now()), name="rate")

    def on_key(self, key: Any) -> None:
        level = KEY_LEVELS.get(int(key))
        if level is not None and self.board.active:
            self.rate(level)

    def speech_text(self) -> str:
        lang = self.current_lang
        r = self.board.rating
        if r.phase is RatingPhase.NEEDS_TICKET:
            return self.ui("eval_idle", lang)
        if r.message is not None:
            return r.message.render(lang)
        return "，".join([self.ui("eval_prompt", lang, number=self.board.number or ""),
                         *(text.render(lang) for _n, text, _c in r.levels)])

    def render(self) -> None:
        root = self.root
        if root is None or self.stopped:
            return
        self.renders += 1
        lang = self.current_lang
        r = self.board.rating
        ids = root.ids
        ids.title.text = self.hall_name.render(lang)
        ids.lang_button.text = Text("common.lang_switch").render(lang)
        ids.elder_button.text = Text("common.elder_off" if self.elder else "common.elder_on").render(lang)
        ids.elder_button.selected = self.elder
        body = ids.body
        body.clear_widgets()
        if r.phase is RatingPhase.NEEDS_TICKET:
            body.add_widget(label(self.ui("eval_idle", lang), kind="title", halign="center", ov_id="eval.idle"))
            return
        if r.phase in (RatingPhase.CHOOSING, RatingPhase.SUBMITTING, RatingPhase.FAILED):
            body.add_widget(label(self.ui("eval_prompt", lang, number=self.board.number or ""), kind="title",
                                  halign="center", ov_id="eval.prompt"))
            for n, text, chosen in r.levels:
                body.add_widget(button(text.render(lang), partial(self.rate, n), ov_id=f"rating.level.{n}",
                                       role="primary" if n >= 4 else "secondary", kind="title", selected=chosen,
                                       enabled=r.phase is not RatingPhase.SUBMITTING))
        if r.message is not None:
            fg, bg = ("error_text", "error_bg") if r.phase is RatingPhase.FAILED else ("primary", "")
            body.add_widget(label(r.message.render(lang), kind="title", fg=fg, bg=bg, halign="center",
                                  ov_id="eval.message"))
