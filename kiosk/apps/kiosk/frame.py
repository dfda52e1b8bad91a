"""Changes to the kiosk's frame that are not a redraw of the screen: the navigation bar in or out of the
widget tree, the theme for widgets that are out of it, the next attract slide, the header's clock, the fault
notice's contents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kiosk.apps.build import keep_together, label, qr
from kiosk.apps.kiosk import screens
from kiosk.i18n import Lang
from kiosk.viewmodels.clock import ClockView
from kiosk.viewmodels.fault import FaultNotice
from kiosk.viewmodels.kiosk import KioskViewModel, Screen


def place(bar: Any, parent: Any, visible: bool) -> None:
    """On the start screen the navigation bar is out of the widget tree: hidden but present, its buttons would
    still take the touches meant for what is drawn over them."""
    if visible and bar.parent is None:
        parent.add_widget(bar)  # index 0: the bottom of the vertical frame
    elif not visible and bar.parent is not None:
        bar.parent.remove_widget(bar)


def restyle_detached(tops: Iterable[Any]) -> None:
    """A new theme (elder mode) for widgets not on the Window now (the app's theme change walks only those
    that are): the navigation bar and the overlays take it before they are shown."""
    for top in tops:
        if top is None or top.parent is not None:
            continue
        for widget in top.walk(restrict=False):
            restyle = getattr(widget, "restyle", None)
            if restyle is not None:
                restyle()


def swap_slide(content: Any, vm: KioskViewModel) -> bool:
    """The next attract slide replaces only the slide's own widgets: the buttons stay the same widgets, so a
    finger on one as the slides rotate keeps its tap. False when there is no slide on screen to update."""
    if vm.screen is not Screen.ATTRACT:
        return False
    found = [w for w in content.children if getattr(w, "ov_id", "") == "attract.slide"]
    if not found:
        return False
    found[0].clear_widgets()
    for widget in screens.slide_contents(vm, vm.lang):
        found[0].add_widget(widget)
    return True


def show_clock(ids: Any, view: ClockView, lang: Lang, shown: tuple[ClockView, str] | None) -> tuple[ClockView, str]:
    """The header's time and date: only the two labels change, and only when the minute (or the language) does;
    a redraw of the screen for it would replace the buttons under a citizen's finger. Returns what is shown."""
    if (view, lang) != shown:
        ids.clock.text = view.time
        ids.date.text = view.date.render(lang)
    return view, lang


def fill_fault_notice(ids: Any, notice: FaultNotice, lang: Lang) -> None:
    """The fault overlay's words, and the ticket's number and code when the fault kept a ticket from printing."""
    ids.title.text = keep_together(notice.title.render(lang))
    ids.message.text = keep_together(notice.message.render(lang)) if notice.message else ""
    ids.next_step.text = keep_together(notice.next_step.render(lang))
    ids.ticket_box.clear_widgets()
    if notice.ticket is not None:
        ids.ticket_box.add_widget(label(notice.ticket.number, kind="number", fg="accent", halign="center",
                                        ov_id="fault.number"))
        if notice.qr:
            ids.ticket_box.add_widget(qr(notice.qr, ov_id="fault.qr", size_dp=200))

