"""What the hall screen, window display and evaluator Apps share: each renders a board model fed by the hall.

They have no citizen session, only the hall's feed (through the agent); a render is coalesced to one per
frame however many events arrive.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp, sp
from kivy.utils import escape_markup

from kiosk.agent_client import HallEvent, LinkState
from kiosk.apps.base import OneVisitApp
from kiosk.apps.board_layout import banner_sp
from kiosk.i18n import Text


class BoardApp(OneVisitApp):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._trigger = Clock.create_trigger(lambda _dt: self.render(), 0)
        self.renders = 0
        self.events_seen = 0

    def on_link(self, state: LinkState) -> None:
        self.connected = state.connected
        self.online = state.online
        self.link_changed(state)
        self._trigger()

    def link_changed(self, state: LinkState) -> None:
        """A board whose model judges whether what it shows is current hears of the link here."""

    def on_hall_event(self, event: HallEvent) -> None:
        self.events_seen += 1
        if self.board_event(event):
            self._trigger()

    def board_event(self, event: HallEvent) -> bool:
        raise NotImplementedError

    def render(self) -> None:
        raise NotImplementedError


def set_banner(widget: Any, text: Text | None, height_dp: float) -> None:
    """A one-line banner across the screen: Chinese, then English smaller, as large as fits."""
    widget.height = dp(height_dp)
    if text is None:
        widget.text = ""
        return
    zh, en = text.render("zh"), text.render("en")
    size = banner_sp(zh, en, Window.width / dp(1))
    widget.font_px = sp(size)
    widget.text = f"{escape_markup(zh)}    [size={round(sp(size * 0.7))}]{escape_markup(en)}[/size]"
