"""The window display App: renders its WindowBoard, and shows the same on the LED display when fitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.utils import escape_markup

from kiosk.agent_client import HallEvent, LinkState
from kiosk.apps.base import COMMON_KV, load_kv
from kiosk.apps.board_app import BoardApp, set_banner
from kiosk.apps.board_feed import FeedStatus
from kiosk.apps.board_layout import WindowLayout, window_layout
from kiosk.apps.devices import DeviceHub
from kiosk.apps.window_display.board import WindowBoard, WindowPhase
from kiosk.i18n import Text, t
from kiosk.viewmodels.theme import theme_for

KV = Path(__file__).resolve().with_name("window_display.kv")
PHASE_KEYS = {
    WindowPhase.CALLING: "window_display.calling",
    WindowPhase.SERVING: "window_display.serving",
    WindowPhase.PAUSED: "window_display.paused",
    WindowPhase.CLOSED: "window_display.closed",
}


class WindowDisplayRoot(BoxLayout):  # type: ignore[misc]
    pass


class WindowDisplayApp(BoardApp):
    """窗口屏: the number called to, or served at, this window; mirrored to an LED display when fitted."""

    title = "OneVisit 窗口屏"

    def __init__(self, board: WindowBoard, *, hub: DeviceHub | None = None, hall_name: str = "", **kw: Any) -> None:
        super().__init__(**kw)
        self.board = board
        self.hub = hub
        self.hall_name = hall_name
        self._shown: tuple[FeedStatus, int] = (FeedStatus.WAITING, -1)  # link status, notice

    def build(self) -> WindowDisplayRoot:
        load_kv(COMMON_KV)
        load_kv(KV)
        self.apply_theme(theme_for(True))
        self.root = WindowDisplayRoot()
        Window.bind(size=lambda *_a: self._trigger())
        Clock.schedule_interval(lambda _dt: self.tick(), 1.0)
        self.render()
        return self.root

    def board_event(self, event: HallEvent) -> bool:
        changed = self.board.on_event(event, self.wall())
        if changed and self.hub is not None:
            self.spawn(self.hub.show_led(self.board.led_lines()), name="led")
        return changed

    def link_changed(self, state: LinkState) -> None:
        self.board.feed.set_link(connected=state.connected, online=state.online)

    def _looks(self, now: float) -> tuple[FeedStatus, int]:
        notice = self.board.notice_at(now)
        return self.board.status(now), notice.index if notice is not None else -1

    def tick(self) -> None:
        """Once a second: the link's health and the next notice."""
        if self.root is not None and self._looks(self.wall()) != self._shown:
            self._trigger()

    def layout(self, offline: bool, notices: bool) -> WindowLayout:
        return window_layout(Window.width / dp(1), Window.height / dp(1), banner=offline, notices=notices)

    def render(self) -> None:
        root, b = self.root, self.board
        if root is None or self.stopped:
            return
        self.renders += 1
        ids = root.ids
        now = self.wall()
        self._shown = self._looks(now)
        offline = self._shown[0] is FeedStatus.OFFLINE
        notice = self.board.notice_at(now)
        lay = self.layout(offline, notice is not None)
        ids.header.height = dp(lay.header_dp)
        ids.window_name.font_px = sp(lay.window_sp)
        ids.window_name.text = (f"{escape_markup(b.window_name.zh)}  "
                                f"[size={round(sp(lay.window_sp * 0.6))}]{escape_markup(b.window_name.en)}[/size]")
        if notice is not None:
            ids.footer.text = escape_markup(notice.text.zh) + (
                f"   [size={round(sp(20))}]{escape_markup(notice.text.en)}[/size]" if notice.text.en else "")
            ids.footer.fg, ids.footer.bg = "warning_text", "warning_bg"
        else:
            ids.footer.text = escape_markup(self.hall_name)
            ids.footer.fg, ids.footer.bg = "text_muted", "surface"
        ids.footer.height = dp(lay.footer_dp)
        # the number may be old: the display says so rather than pass it for current
        set_banner(ids.status, Text("window_display.offline") if offline else None, lay.banner_dp)
        showing = b.phase in (WindowPhase.CALLING, WindowPhase.SERVING) and b.number is not None
        number = b.number or ""
        key = PHASE_KEYS.get(b.phase, "window_display.idle")
        if showing:
            ids.number.text, ids.number.fg = number, "text_muted" if offline else "accent"
            ids.number.font_px = sp(lay.number_sp)
            ids.message.text = (f"{escape_markup(t(key, 'zh', number=number))}\n"
                                f"[size={round(sp(lay.message_sp * 0.7))}]{escape_markup(t(key, 'en', number=number))}"
                                "[/size]")
        else:  # no number: what the window is doing takes the middle of the screen
            ids.number.text, ids.number.fg = t(key, "zh"), "primary"
            ids.number.font_px = sp(lay.number_sp * 0.4)
            ids.message.text = escape_markup(t(key, "en"))
        ids.number.bold = True
        ids.message.font_px = sp(lay.message_sp)
        ids.message.height = dp(lay.message_dp)
        ids.name.text = b.masked_name if showing else ""
        ids.name.fg = "text_muted" if offline else "text"
        ids.name.font_px = sp(lay.name_sp)
        called = ids.called
        called.orientation = "horizontal" if lay.landscape else "vertical"
        for label in (ids.number, ids.name):
            label.texture_update()  # the box is sized from the texts now, not a frame later
        parts = [w for w in (ids.number, ids.name) if w.text]
        gap = called.spacing if len(parts) > 1 else 0
        if lay.landscape:
            called.width = sum(w.texture_size[0] for w in parts) + gap
            called.height = max((w.texture_size[1] for w in parts), default=0)
        else:
            called.width = max((w.texture_size[0] for w in parts), default=0)
            called.height = sum(w.texture_size[1] for w in parts) + gap
