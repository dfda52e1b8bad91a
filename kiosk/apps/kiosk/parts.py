"""What every kiosk screen renderer shares: the app's actions, the pinned action bar, the pager row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from kivy.uix.widget import Widget

from kiosk.apps.build import button, label, row
from kiosk.config import KioskModelConfig
from kiosk.i18n import Lang, Text
from kiosk.viewmodels.identify import IdentifyMethod
from kiosk.viewmodels.kiosk import Screen
from kiosk.viewmodels.paging import Pager

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any


class KioskActions(Protocol):
    """What a touch can ask of the app (``kiosk.apps.kiosk.app.KioskApp`` implements it)."""

    checkin_mode: bool
    qr_waiting: bool
    model: KioskModelConfig

    def act(self, fn: Callable[[], Any]) -> None: ...
    def act_async(self, make: Callable[[], Any], name: str) -> None: ...
    def go(self, screen: Screen) -> None: ...
    def go_home(self) -> None: ...
    def start(self, identify: bool) -> None: ...
    def start_checkin(self) -> None: ...
    def start_rating(self) -> None: ...
    def choose_method(self, method: IdentifyMethod) -> None: ...
    def submit_keypad(self) -> None: ...
    def choose_entry(self, code: str) -> None: ...
    def guide_action(self, action: str) -> None: ...
    def identify_for(self, screen: Screen) -> None: ...
    def checkin_by_id(self) -> None: ...
    def checkin_by_qr(self) -> None: ...
    def show_qr(self, payload: str) -> None: ...
    def type_letter(self, letter: str) -> None: ...


PINNED = "ov_pinned"


def pin(widget: Widget) -> Widget:
    """Mark a widget for the action bar under the scrolled part of the screen: a screen's main action is
    on screen without scrolling, whatever the length of what is above it."""
    setattr(widget, PINNED, True)
    return widget


def split(widgets: Iterable[Widget]) -> tuple[list[Widget], list[Widget]]:
    """(scrolled content, pinned actions) in their order."""
    content: list[Widget] = []
    actions: list[Widget] = []
    for w in widgets:
        (actions if getattr(w, PINNED, False) else content).append(w)
    return content, actions


def pager_row(pager: Pager[Any], a: KioskActions, lang: Lang, changed: Callable[[], None]) -> list[Widget]:
    if pager.pages <= 1:
        return []

    def step(forward: bool) -> None:
        def turn() -> None:
            if forward:
                pager.next()
            else:
                pager.prev()
            changed()

        a.act(turn)

    return [row([
        button(Text("common.prev_page").render(lang), lambda: step(False), ov_id="pager.prev", role="secondary",
               enabled=pager.has_prev),
        label(pager.label.render(lang), halign="center", fg="text_muted"),
        button(Text("common.next_page").render(lang), lambda: step(True), ov_id="pager.next", role="secondary",
               enabled=pager.has_next),
    ])]
