"""The few widgets every screen is made of: text, big buttons, panels, QR codes, an overlay scrim."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any

import segno
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.label import Label

# (background role, text role) of each button role; every pair is in the theme's contrast-tested pairs
BUTTON_ROLES: dict[str, tuple[str, str]] = {
    "primary": ("primary", "on_primary"),
    "secondary": ("background", "primary"),
    "surface": ("surface", "text"),
    "selected": ("primary", "on_primary"),
    "warning": ("warning_bg", "warning_text"),
    "disabled": ("disabled_bg", "disabled_text"),
}


class OvLabel(Label):  # type: ignore[misc]
    """Wrapping text whose size and colour come from the theme: ``kind`` (small/body/large/title/number)
    and ``fg`` (a colour role); ``bg`` paints a background role behind it when set."""

    fg = StringProperty("text")
    kind = StringProperty("body")
    bg = StringProperty("")
    ov_id = StringProperty("")


class OvButton(ButtonBehavior, Label):  # type: ignore[misc]
    """A large touch target; never smaller than the theme's minimum (48 dp, 72 dp in elder mode)."""

    ov_id = StringProperty("")
    role = StringProperty("primary")
    kind = StringProperty("body")
    selected = BooleanProperty(False)
    bg_role = StringProperty("primary")
    fg_role = StringProperty("on_primary")

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.bind(role=self._restyle, disabled=self._restyle, selected=self._restyle)
        self._restyle()

    def _restyle(self, *_args: Any) -> None:
        role = "disabled" if self.disabled else ("selected" if self.selected else self.role)
        self.bg_role, self.fg_role = BUTTON_ROLES.get(role, BUTTON_ROLES["primary"])


class Panel(BoxLayout):  # type: ignore[misc]
    """A vertical box on a background colour role."""

    bg = StringProperty("surface")
    ov_id = StringProperty("")


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
