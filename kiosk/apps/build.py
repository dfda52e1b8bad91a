"""Small constructors for the widgets the screens put together at run time (their look is in common.kv)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.apps.widgets import OvButton, OvLabel, Panel, QrImage


def keep_together(text: str) -> str:
    """Chinese wraps between any two characters, but Kivy prefers a space: "25 秒后…" would leave "25"
    alone on its line. Spaces in Chinese text become no-break spaces; English keeps its spaces."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text.replace(" ", "\u00a0")
    return text


def label(text: str, *, kind: str = "body", fg: str = "text", bg: str = "", halign: str = "left",
          ov_id: str = "", bold: bool | None = None) -> OvLabel:
    w = OvLabel(text=keep_together(text), kind=kind, fg=fg, bg=bg, halign=halign, ov_id=ov_id)
    if bg:
        w.padding = (dp(12), dp(8))
    if bold is not None:
        w.bold = bold
    if kind == "number":  # digits have no descenders: the font's line box would leave a band under them
        w.line_height = 0.85
    return w


def button(text: str, action: Callable[[], Any], *, ov_id: str, role: str = "primary", kind: str = "body",
           selected: bool = False, enabled: bool = True, halign: str = "center") -> OvButton:
    w = OvButton(text=keep_together(text), ov_id=ov_id, role=role, kind=kind, selected=selected, disabled=not enabled,
                 halign=halign)
    w.bind(on_release=lambda *_a: action())
    return w


def row(widgets: Sequence[Widget], *, spacing: float = 10) -> BoxLayout:
    """Side by side; the buttons in it are as tall as the tallest, so the row reads as one line."""
    box = BoxLayout(orientation="horizontal", size_hint_y=None, spacing=dp(spacing))
    box.bind(minimum_height=box.setter("height"))
    buttons = [w for w in widgets if isinstance(w, OvButton)]

    def match(*_args: Any) -> None:
        tallest = max(b.natural_height for b in buttons)
        for b in buttons:
            b.match_height = tallest

    for w in widgets:
        box.add_widget(w)
    for b in buttons:
        b.bind(natural_height=match)
    if buttons:
        match()
    return box


def grid(widgets: Sequence[Widget], cols: int, *, spacing: float = 10) -> GridLayout:
    g = GridLayout(cols=cols, size_hint_y=None, spacing=dp(spacing))
    g.bind(minimum_height=g.setter("height"))
    for w in widgets:
        g.add_widget(w)
    return g


def panel(widgets: Sequence[Widget], *, bg: str = "surface", ov_id: str = "") -> Panel:
    p = Panel(bg=bg, ov_id=ov_id)
    for w in widgets:
        p.add_widget(w)
    return p


def qr(payload: str, *, ov_id: str, size_dp: float = 220) -> BoxLayout:
    """A QR code centred on its own row."""
    image = QrImage(payload=payload, ov_id=ov_id)
    image.size = (dp(size_dp), dp(size_dp))  # after the class's rule in common.kv, which sets a default size
    box = BoxLayout(size_hint_y=None, height=dp(size_dp))
    box.add_widget(Widget())
    box.add_widget(image)
    box.add_widget(Widget())
    return box
