"""The few widgets every screen is made of: text, big buttons, panels, QR codes, an overlay scrim."""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import segno
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from kiosk.linebreak import break_lines, widest_unit
from kiosk.viewmodels.theme import Theme, theme_for

RGBA = tuple[float, float, float, float]
CLEAR: RGBA = (0.0, 0.0, 0.0, 0.0)


def theme_sizes(theme: Theme) -> dict[str, float]:
    s = theme.scale
    return {
        "small": round(s.body_sp * 0.8, 1),
        "body": s.body_sp,
        "large": round(s.body_sp * 1.3, 1),
        "title": s.title_sp,
        "number": s.number_sp,
        "bar": round(s.body_sp * 0.9, 1),
    }


def theme_colours(theme: Theme) -> dict[str, RGBA]:
    return {role: theme.rgba(role) for role in theme.colours}


class Style:
    """The theme the widgets draw with. Widgets read it when they are made or restyled; they do not bind
    to the App's properties, because every binding to a long-lived object would keep a discarded widget's
    callback alive — thousands of sessions later, that is a leak."""

    def __init__(self) -> None:
        self.set(theme_for(False))

    def set(self, theme: Theme) -> None:
        self.colours = theme_colours(theme)
        self.sizes = theme_sizes(theme)
        self.target_dp = float(theme.scale.min_target_dp)


STYLE = Style()


# (background role, text role) of each button role; every pair is in the theme's contrast-tested pairs
BUTTON_ROLES: dict[str, tuple[str, str]] = {
    "primary": ("primary", "on_primary"),
    "secondary": ("background", "primary"),
    "surface": ("surface", "text"),
    "selected": ("primary", "on_primary"),
    "warning": ("warning_bg", "warning_text"),
    "disabled": ("disabled_bg", "disabled_text"),
}


_CHAR_WIDTHS: dict[tuple[str, float, bool], dict[str, float]] = {}
_SAFETY = 0.97  # the sum of glyph widths ignores kerning; a little room keeps Kivy from breaking again


def _measure(font_name: str, size: float, bold: bool) -> Callable[[str], float]:
    """The width of a text in a font, as the sum of its characters' widths (each measured once)."""
    from kivy.core.text import Label as CoreLabel

    widths = _CHAR_WIDTHS.setdefault((font_name, round(size, 1), bold), {})
    core: list[Any] = []

    def char(ch: str) -> float:
        w = widths.get(ch)
        if w is None:
            if not core:
                core.append(CoreLabel(font_name=font_name, font_size=size, bold=bold))
            w = widths[ch] = float(core[0].get_extents(ch)[0])
        return w

    return lambda text: sum(char(ch) for ch in text)


class Wrapping:
    """Lines broken by ``kiosk.linebreak`` (no punctuation at a line's start, no lone last character, no
    English word cut in two) instead of where Kivy's text reaches the edge. ``raw_text`` is the text as
    given; ``text`` holds it with the chosen line breaks. On a button, a word too wide for the line shrinks
    the font."""

    _shrinks = False

    def _wrap_setup(self: Any) -> None:
        self._raw = self.text
        self._shown = None
        for name in ("text", "width", "font_px", "font_size", "bold", "wraps"):
            self.fbind(name, self._rewrap)
        self._rewrap()

    @property
    def raw_text(self: Any) -> str:
        return str(self._raw)

    def _room(self: Any) -> float:
        left, _top, right, _bottom = self.padding
        return float(self.width - left - right)

    def _rewrap(self: Any, *_args: Any) -> None:
        if self.text != self._shown:
            self._raw = self.text
        raw = self._raw
        if not self.wraps:  # sized to its text (a number, a masked name): breaking it to a width would be circular
            self._shown = raw
            if self.text != raw:
                self.text = raw
            return
        room = self._room() * _SAFETY
        if not raw or room <= 0:
            return
        size = float(self.font_size)
        if self._shrinks:  # a button's word must fit its width; a label keeps the size its screen gave it
            base = float(self.font_px)
            widest = widest_unit(raw, _measure(self.font_name, base, self.bold))
            size = max(base * 0.6, base * room / widest) if widest > room else base
            if abs(self.font_size - size) > 0.01:
                self.font_size = size
        shown = "\n".join(break_lines(raw, room, _measure(self.font_name, size, self.bold)))
        self._shown = shown
        if shown != self.text:
            self.text = shown


class OvLabel(Wrapping, Label):  # type: ignore[misc]
    """Wrapping text whose size and colour come from the theme: ``kind`` (small/body/large/title/number)
    and ``fg`` (a colour role); ``bg`` paints a background role behind it when set."""

    fg = StringProperty("text")
    kind = StringProperty("body")
    bg = StringProperty("")
    ov_id = StringProperty("")
    fg_rgba = ColorProperty((0, 0, 0, 1))
    bg_rgba = ColorProperty(CLEAR)
    font_px = NumericProperty(22)
    wraps = BooleanProperty(True)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        for name in ("fg", "kind", "bg"):
            self.fbind(name, self.restyle)
        self.restyle()
        self._wrap_setup()

    def restyle(self, *_args: Any) -> None:
        self.fg_rgba = STYLE.colours[self.fg]
        self.bg_rgba = STYLE.colours[self.bg] if self.bg else CLEAR
        self.font_px = sp(STYLE.sizes[self.kind])


class OvButton(Wrapping, ButtonBehavior, Label):  # type: ignore[misc]
    """A large touch target; never smaller than the theme's minimum (48 dp, 72 dp in elder mode)."""

    ov_id = StringProperty("")
    role = StringProperty("primary")
    kind = StringProperty("body")
    selected = BooleanProperty(False)
    wraps = BooleanProperty(True)
    bg_role = StringProperty("primary")
    fg_role = StringProperty("on_primary")
    fg_rgba = ColorProperty((1, 1, 1, 1))
    bg_rgba = ColorProperty((0, 0, 0, 1))
    border_rgba = ColorProperty(CLEAR)
    font_px = NumericProperty(22)
    min_height = NumericProperty(48)
    natural_height = NumericProperty(48)  # what its text needs (set by common.kv)
    match_height = NumericProperty(0)  # a row of buttons makes them all as tall as its tallest

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        for name in ("role", "disabled", "selected", "kind"):
            self.fbind(name, self.restyle)
        self.restyle()
        self._wrap_setup()

    _shrinks = True

    def _room(self) -> float:
        return float(self.width - dp(20))  # its text_size in common.kv

    def restyle(self, *_args: Any) -> None:
        role = "disabled" if self.disabled else ("selected" if self.selected else self.role)
        self.bg_role, self.fg_role = BUTTON_ROLES.get(role, BUTTON_ROLES["primary"])
        self.bg_rgba = STYLE.colours[self.bg_role]
        self.fg_rgba = STYLE.colours[self.fg_role]
        # a tile on the surface colour is 1.08:1 against the page: its edge is drawn so it reads as a button
        self.border_rgba = (STYLE.colours["primary"] if self.bg_role == "background"
                            else STYLE.colours["tile_border"] if self.bg_role == "surface" else CLEAR)
        self.font_px = sp(STYLE.sizes[self.kind])
        self.min_height = dp(STYLE.target_dp)


class Panel(BoxLayout):  # type: ignore[misc]
    """A vertical box on a background colour role."""

    bg = StringProperty("surface")
    ov_id = StringProperty("")
    bg_rgba = ColorProperty(CLEAR)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.fbind("bg", self.restyle)
        self.restyle()

    def restyle(self, *_args: Any) -> None:
        self.bg_rgba = STYLE.colours[self.bg]


class OvScrollView(ScrollView):  # type: ignore[misc]
    """Kivy's ScrollView binds its bar colour again on every scroll update and unbinds it only once, 0.5 s
    later: content that changes often (a screen re-rendered after every touch) piles up bindings for
    ever. Unbinding first keeps exactly one."""

    def update_from_scroll(self, *args: Any) -> None:
        self.funbind("bar_color", self._change_bar_color)
        super().update_from_scroll(*args)


class Scrim(FloatLayout):  # type: ignore[misc]
    """A full-screen layer that takes every touch, so nothing under an overlay can be pressed."""

    ov_id = StringProperty("")

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        super().on_touch_up(touch)
        return True


_QR_CACHE: OrderedDict[str, Texture] = OrderedDict()
_QR_CACHE_SIZE = 6


def qr_texture(payload: str) -> Texture:
    """A QR code as a texture; the last few are kept, so re-rendering a screen makes no new textures."""
    cached = _QR_CACHE.get(payload)
    if cached is not None:
        _QR_CACHE.move_to_end(payload)
        return cached
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=8, border=2)
    buf.seek(0)
    texture: Texture = CoreImage(buf, ext="png").texture
    texture.mag_filter = "nearest"
    _QR_CACHE[payload] = texture
    while len(_QR_CACHE) > _QR_CACHE_SIZE:
        _QR_CACHE.popitem(last=False)
    return texture


def forget_qr_codes() -> None:
    """At a session wipe: a checklist or ticket QR must not stay in memory for the next citizen."""
    _QR_CACHE.clear()


class QrImage(Image):  # type: ignore[misc]
    payload = StringProperty("")
    ov_id = StringProperty("")

    def on_payload(self, _instance: Any, value: str) -> None:
        self.texture = qr_texture(value) if value else None
