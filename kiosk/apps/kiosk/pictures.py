"""Pictures drawn with Kivy canvas instructions (the project's own vector art): the hall's emblem, where on the
kiosk a reader is."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Canvas, Color, Ellipse, Line, Rectangle, RoundedRectangle, Triangle
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.apps.kiosk.icons import icon_for
from kiosk.apps.widgets import STYLE, OvButton

# where each configurable position sits on the kiosk's front, as fractions of the drawing (x, y from bottom)
SPOTS: dict[str, tuple[float, float]] = {
    "below-left": (0.3, 0.16), "below-centre": (0.5, 0.16), "below-right": (0.7, 0.16), "right-side": (0.9, 0.5),
}


class DevicePicture(Widget):  # type: ignore[misc]
    """The kiosk seen from the front, its screen, and the reader at ``position`` marked in the accent colour;
    with ``card``, an ID card beside the kiosk and an arrow from it to the reader (what goes where)."""

    def __init__(self, position: str, *, ov_id: str = "", card: bool = False, height_dp: float = 220,
                 **kw: Any) -> None:
        super().__init__(size_hint_y=None, height=dp(height_dp), **kw)
        self.ov_id = ov_id
        self.card = card
        self.position = position if position in SPOTS else "below-right"
        self.bind(pos=self._draw, size=self._draw)
        self._draw()

    def _draw(self, *_args: Any) -> None:
        c = STYLE.colours
        w, h = dp(150), self.height - dp(10)
        # not center_x: Kivy updates that alias after the size observers run, so it would be the old centre
        x0, y0 = self.x + (self.width - w) / 2, self.y + dp(5)
        fx, fy = SPOTS[self.position]
        self.canvas.clear()
        with self.canvas:
            Color(*c["surface"])
            RoundedRectangle(pos=(x0, y0), size=(w, h), radius=[dp(12)])
            Color(*c["text_muted"])
            Line(rounded_rectangle=(x0, y0, w, h, dp(12)), width=dp(1.5))
            Color(*c["primary"])  # the screen
            Rectangle(pos=(x0 + w * 0.12, y0 + h * 0.34), size=(w * 0.76, h * 0.58))
            Color(*c["accent"])  # the reader, with a ring around it
            r = dp(11)
            cx, cy = x0 + w * fx, y0 + h * fy
            Ellipse(pos=(cx - r, cy - r), size=(2 * r, 2 * r))
            Line(circle=(cx, cy, r * 2), width=dp(2))
            if self.card:
                self._draw_card(x0, w, cx, cy, r)

    def _draw_card(self, x0: float, w: float, cx: float, cy: float, r: float) -> None:
        """The card outside the kiosk, on the reader's side, level with it: nothing covers the screen."""
        c = STYLE.colours
        cw, ch = dp(84), dp(54)
        left = cx <= x0 + w / 2
        gap = dp(26)
        card_x = x0 - gap - cw if left else x0 + w + gap
        card_y = cy - ch / 2
        Color(*c["surface"])
        RoundedRectangle(pos=(card_x, card_y), size=(cw, ch), radius=[dp(6)])
        Color(*c["primary"])
        Line(rounded_rectangle=(card_x, card_y, cw, ch, dp(6)), width=dp(1.5))
        Rectangle(pos=(card_x + dp(8), card_y + ch - dp(22)), size=(dp(18), dp(14)))  # the photo
        for i in range(3):  # lines of print
            Rectangle(pos=(card_x + dp(32), card_y + ch - dp(14) - i * dp(12)), size=(cw - dp(42), dp(3)))
        Color(*c["accent"])  # the arrow, from the card to the ring around the reader
        start = card_x + cw + dp(4) if left else card_x - dp(4)
        end = cx - r * 2 - dp(4) if left else cx + r * 2 + dp(4)
        head = dp(8) if left else -dp(8)
        Line(points=[start, cy, end, cy], width=dp(2))
        Line(points=[end - head, cy + dp(7), end, cy, end - head, cy - dp(7)], width=dp(2))


class HallEmblem(Widget):  # type: ignore[misc]
    """The hall's mark beside its name: a round seal around a stylised service hall (a roof with upturned
    eaves over four columns on two steps). The project's own drawing, deliberately not the national emblem,
    which a self-service terminal has no right to show. Drawn in the header's text colour."""

    ov_id = StringProperty("")

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.bind(pos=self._draw, size=self._draw)
        self._draw()

    def restyle(self) -> None:  # the theme changed (elder mode)
        self._draw()

    def _draw(self, *_args: Any) -> None:
        r = min(self.width, self.height) / 2
        cx, cy = self.x + self.width / 2, self.y + self.height / 2  # not self.center: stale in a size observer
        line = max(dp(1.2), r * 0.07)
        self.canvas.clear()
        with self.canvas:
            Color(*STYLE.colours["on_primary"])
            Line(circle=(cx, cy, r - line / 2), width=line)
            Line(circle=(cx, cy, r * 0.8), width=max(dp(0.8), line / 2))
            # the roof: a low gable whose eaves turn up at both ends
            eave, ridge = cy + r * 0.14, cy + r * 0.5
            Triangle(points=[cx - r * 0.5, eave, cx + r * 0.5, eave, cx, ridge])
            Line(points=[cx - r * 0.62, eave + r * 0.1, cx - r * 0.5, eave, cx + r * 0.5, eave,
                         cx + r * 0.62, eave + r * 0.1], width=line / 2, joint="round", cap="round")
            Rectangle(pos=(cx - r * 0.44, cy + r * 0.04), size=(r * 0.88, r * 0.07))  # the beam
            col_w, col_h = r * 0.09, r * 0.36
            for fx in (-0.34, -0.12, 0.12, 0.34):
                Rectangle(pos=(cx + r * fx - col_w / 2, cy - r * 0.32), size=(col_w, col_h))
            Rectangle(pos=(cx - r * 0.46, cy - r * 0.42), size=(r * 0.92, r * 0.08))  # two steps
            Rectangle(pos=(cx - r * 0.56, cy - r * 0.53), size=(r * 1.12, r * 0.08))


class IconTile(OvButton):
    """A finder tile: the group's icon above its name (or left of it, ``icon_left``: a one-column list in
    elder mode, where height is scarce), both in the tile's text colour. kiosk.kv gives the text a padding
    the icon is drawn in, so the tile stays a whole touch target in every mode."""

    icon = StringProperty("")
    icon_px = NumericProperty(36)
    icon_left = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        self._icon = Canvas()
        super().__init__(**kw)
        self.canvas.after.add(self._icon)
        for name in ("pos", "size", "texture_size", "fg_rgba", "icon", "icon_px", "icon_left"):
            self.fbind(name, self._draw_icon)
        self.fbind("padding", self._rewrap)
        self._draw_icon()

    def _room(self) -> float:
        left, _top, right, _bottom = self.padding
        return float(super()._room() - left - right)

    def _draw_icon(self, *_args: Any) -> None:
        s = self.icon_px
        tw, th = self.texture_size  # the text's texture is centred on the tile; its padding holds the icon
        cx, cy = self.x + self.width / 2, self.y + self.height / 2  # not self.center: stale in a size observer
        if self.icon_left:
            x, y = cx - tw / 2, cy - s / 2
        else:
            x, y = cx - s / 2, cy + th / 2 - s
        self._icon.clear()
        with self._icon:
            Color(*self.fg_rgba)
            icon_for(self.icon)(x, y, s)
