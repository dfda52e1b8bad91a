"""Colours, elder mode (长辈版) scaling and the WCAG contrast check every screen's colours must pass."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

MIN_CONTRAST: Final = 4.5  # WCAG 2.x AA for body text
MIN_NON_TEXT_CONTRAST: Final = 3.0  # WCAG 2.1 1.4.11: the boundary of a control against what is around it
ELDER_MIN_TEXT_SCALE: Final = 1.5
ELDER_MIN_TARGET_DP: Final = 60


def parse_hex(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"colour {colour!r}: expected #RRGGBB")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = parse_hex(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05) with L1 the lighter: 1 (same) … 21 (black on white)."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True, slots=True)
class Scale:
    """Sizes the screens use. Elder mode: bigger text and targets, fewer items per page."""

    text: float  # multiplier on the base font sizes
    body_sp: float  # body text size
    title_sp: float
    number_sp: float  # the ticket number
    min_target_dp: int  # smallest touch target
    items_per_page: int  # list / grid items on one page
    options_per_page: int  # guide answers shown at once


NORMAL_SCALE: Final = Scale(text=1.0, body_sp=22, title_sp=32, number_sp=96, min_target_dp=48,
                            items_per_page=8, options_per_page=6)
ELDER_SCALE: Final = Scale(text=1.5, body_sp=33, title_sp=44, number_sp=128, min_target_dp=72,
                           items_per_page=4, options_per_page=3)


# Colour roles. A screen may use only these, and only in the pairs listed in SCREEN_PAIRS.
_NORMAL_COLOURS = {
    "background": "#FFFFFF",
    "surface": "#F2F5F9",
    "text": "#1A1A1A",
    "text_muted": "#4D5561",
    "primary": "#0B5CAD",  # 政务蓝
    "on_primary": "#FFFFFF",
    "accent": "#B3261E",  # the ticket number
    "warning_bg": "#FFF4D6",
    "warning_text": "#6B4500",
    "error_bg": "#FDECEA",
    "error_text": "#8C1D18",
    "provisional_bg": "#6B4500",
    "on_provisional": "#FFFFFF",
    "demo_bg": "#8C1D18",
    "on_demo": "#FFFFFF",
    "disabled_bg": "#E3E6EA",
    "disabled_text": "#545B66",
    "focus": "#0B5CAD",
    "tile_border": "#768190",  # the edge of a surface tile: 3.9:1 on the background (WCAG 1.4.11 asks 3:1)
}
_ELDER_COLOURS = {
    **_NORMAL_COLOURS,
    "text": "#000000",
    "text_muted": "#333333",
    "primary": "#003F87",
    "focus": "#003F87",
    "disabled_text": "#3D434B",
}

# (foreground, background) pairs per screen: the contrast test checks every one in both themes.
_COMMON = (
    ("text", "background"),
    ("text_muted", "background"),
    ("text", "surface"),
    ("text_muted", "surface"),
    ("on_primary", "primary"),
    ("primary", "background"),
    ("primary", "surface"),
    ("disabled_text", "disabled_bg"),
    ("on_provisional", "provisional_bg"),
    ("warning_text", "warning_bg"),
    ("error_text", "error_bg"),
    ("focus", "background"),
)
SCREEN_PAIRS: Final[MappingProxyType[str, tuple[tuple[str, str], ...]]] = MappingProxyType({
    "attract": (*_COMMON, ("on_primary", "primary")),
    "identify": (*_COMMON, ("error_text", "error_bg")),
    "finder": _COMMON,
    "guide": _COMMON,
    "ticket": (*_COMMON, ("accent", "background"), ("accent", "surface")),
    "selfprint": (*_COMMON, ("on_demo", "demo_bg")),
    "progress": (*_COMMON, ("on_demo", "demo_bg")),
    "rating": _COMMON,
    "fault": (*_COMMON, ("accent", "background")),
    "idle_warning": (("warning_text", "warning_bg"), ("on_primary", "primary")),
})


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    colours: MappingProxyType[str, str]
    scale: Scale

    def colour(self, role: str) -> str:
        return self.colours[role]

    def rgba(self, role: str) -> tuple[float, float, float, float]:
        """Kivy's colour form."""
        r, g, b = parse_hex(self.colours[role])
        return r / 255, g / 255, b / 255, 1.0

    def sp(self, base_sp: float) -> float:
        return base_sp * self.scale.text

    def pairs(self, screen: str) -> tuple[tuple[str, str], ...]:
        return SCREEN_PAIRS[screen]


NORMAL_THEME: Final = Theme("normal", MappingProxyType(_NORMAL_COLOURS), NORMAL_SCALE)
ELDER_THEME: Final = Theme("elder", MappingProxyType(_ELDER_COLOURS), ELDER_SCALE)
THEMES: Final = (NORMAL_THEME, ELDER_THEME)


def theme_for(elder: bool) -> Theme:
    return ELDER_THEME if elder else NORMAL_THEME
