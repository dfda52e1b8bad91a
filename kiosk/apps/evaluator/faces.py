"""The evaluator's five choices: a face drawn with Kivy's canvas and its word, all five in one style.

Neutral by design (好差评 must not nudge): the same outline, colours and size for every level, only the mouth
differs; the chosen one fills in and carries a check mark.
"""

from __future__ import annotations

from typing import Any, Final

from kivy.graphics import Color, Ellipse, Line, RoundedRectangle
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.apps.widgets import CLEAR, STYLE

# how much each level's mouth bends: up (a smile) for the good ones, down for the poor ones
MOUTH_BEND: Final = {5: 1.0, 4: 0.5, 3: 0.0, 2: -0.5, 1: -1.0}


def mouth_points(cx: float, cy: float, r: float, bend: float, steps: int = 12) -> list[float]:
    """A parabola across the lower face: its ends at the same height for every level, its middle lower
    (a smile) or higher (a frown) by ``bend``."""
    points: list[float] = []
    half_w, depth, base = r * 0.42, r * 0.24, cy - r * 0.32
    for i in range(steps + 1):
        u = -1 + 2 * i / steps
        points += [cx + u * half_w, base + depth * bend * 0.5 - depth * bend * (1 - u * u)]
    return points


class RatingFace(Widget):  # type: ignore[misc]
    """A round face for a level 1–5, drawn as vector shapes in ``ink``."""

    level = NumericProperty(3)
    ink = ColorProperty((0, 0, 0, 1))

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        for name in ("pos", "size", "level", "ink"):
            self.fbind(name, self._draw)
        self._draw()

    def _draw(self, *_args: Any) -> None:
        self.canvas.clear()
        r = min(self.width, self.height) / 2 - dp(2)
        if r <= 0:
            return
        cx, cy = self.center
        stroke = max(dp(1.5), r * 0.08)
        eye = r * 0.16
        with self.canvas:
            Color(*self.ink)
            Line(circle=(cx, cy, r), width=stroke)
            for side in (-1, 1):
                Ellipse(pos=(cx + side * r * 0.36 - eye / 2, cy + r * 0.18 - eye / 2), size=(eye, eye))
            Line(points=mouth_points(cx, cy, r, MOUTH_BEND.get(int(self.level), 0.0)), width=stroke, cap="round",
                 joint="round")


class RatingChoice(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """One of the five choices: a face and its word, over it (a row of choices) or beside it (a column on a
    portrait pad). The face takes what its box leaves."""

    ov_id = StringProperty("")
    level = NumericProperty(3)
    text = StringProperty("")
    selected = BooleanProperty(False)
    bg_rgba = ColorProperty(CLEAR)
    fg_rgba = ColorProperty((0, 0, 0, 1))
    border_rgba = ColorProperty(CLEAR)

    def __init__(self, *, level: int, text: str, word_px: float, word_lines: int = 1, beside: bool = False,
                 **kw: Any) -> None:
        super().__init__(level=level, text=text, **kw)
        self.beside = beside
        self.word_h = word_px * 1.45 * word_lines  # no lines: a face alone
        self.face = RatingFace(level=level, size_hint=(None, None))
        self.holder = AnchorLayout(anchor_x="center", anchor_y="center")
        self.holder.add_widget(self.face)
        self.word = Label(text=text, font_size=word_px, bold=True, valign="middle")
        self.word.bind(size=lambda w, size: setattr(w, "text_size", size))
        self.add_widget(self.holder)
        self.add_widget(self.word)
        self._beside: bool | None = None
        for name in ("pos", "size", "state", "selected", "disabled"):
            self.fbind(name, self.restyle)
        self.fbind("size", self._arrange)
        self.restyle()

    def _arrange(self, *_args: Any) -> None:
        beside = self.beside
        if beside != self._beside:
            self._beside = beside
            self.orientation = "horizontal" if beside else "vertical"
            self.padding = (dp(14), dp(6)) if beside else (dp(8), dp(12), dp(8), dp(8))
            self.spacing = dp(14) if beside else dp(6)
            self.word.halign = "left" if beside else "center"
            self.word.size_hint_y = 1 if beside else None
            self.word.height = self.word_h
        if beside:
            face = max(dp(24), min(self.height - dp(12), self.width * 0.3))
            self.holder.size_hint_x, self.holder.width = None, face
        else:
            face = max(dp(24), min(self.width * 0.62, self.height - self.word_h - dp(26 if self.text else 20)))
            self.holder.size_hint_x = 1
        self.face.size = (face, face)

    def restyle(self, *_args: Any) -> None:
        c = STYLE.colours
        if self.selected:
            self.bg_rgba, self.fg_rgba, self.border_rgba = c["primary"], c["on_primary"], c["primary"]
        else:
            self.bg_rgba, self.fg_rgba, self.border_rgba = c["background"], c["primary"], c["primary"]
        self.face.ink = self.fg_rgba
        self.word.color = self.fg_rgba
        draw_choice_frame(self, dp(14))


# the check mark on the chosen face's corner, as a polyline in a unit square
CHECK_MARK: Final = (0.22, 0.52, 0.42, 0.32, 0.78, 0.70)


def check_points(x: float, y: float, size: float) -> list[float]:
    return [v * size + (x if i % 2 == 0 else y) for i, v in enumerate(CHECK_MARK)]


def draw_choice_frame(w: RatingChoice, radius: float) -> None:
    """The rounded panel, its border and (when chosen) the check badge: redrawn on every change."""
    w.canvas.before.clear()
    with w.canvas.before:
        Color(*w.bg_rgba)
        RoundedRectangle(pos=w.pos, size=w.size, radius=[radius])
        Color(*w.border_rgba)
        Line(rounded_rectangle=(w.x + dp(1), w.y + dp(1), w.width - dp(2), w.height - dp(2), radius), width=dp(2))
        if w.state == "down":
            Color(0, 0, 0, 0.15)
            RoundedRectangle(pos=w.pos, size=w.size, radius=[radius])
    w.canvas.after.clear()
    if w.selected:
        badge = min(dp(32), w.height * 0.4)
        x, y = w.right - badge - dp(6), w.top - badge - dp(6)
        with w.canvas.after:
            Color(*w.fg_rgba)
            Ellipse(pos=(x, y), size=(badge, badge))
            Color(*w.bg_rgba)
            Line(points=check_points(x, y, badge), width=max(dp(1.5), badge * 0.09), cap="round", joint="round")
