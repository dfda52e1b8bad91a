"""Every colour pair the device screens draw text with passes WCAG AA (4.5:1) in both themes."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

from kiosk.apps.widgets import BUTTON_ROLES
from kiosk.viewmodels.theme import MIN_CONTRAST, MIN_NON_TEXT_CONTRAST, THEMES, Theme, contrast_ratio

# (text, background) pairs the .kv rules and renderers use besides the buttons
LABEL_PAIRS = [
    ("text", "background"), ("text_muted", "background"), ("text", "surface"), ("text_muted", "surface"),
    ("primary", "background"), ("primary", "surface"), ("accent", "background"), ("accent", "surface"),
    ("on_primary", "primary"), ("on_provisional", "provisional_bg"), ("on_demo", "demo_bg"),
    ("error_text", "error_bg"), ("warning_text", "warning_bg"), ("primary", "warning_bg"),
]


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_buttons_and_labels_are_readable(theme: Theme) -> None:
    pairs = [(fg, bg) for bg, fg in BUTTON_ROLES.values()] + LABEL_PAIRS
    for fg, bg in pairs:
        ratio = contrast_ratio(theme.colour(fg), theme.colour(bg))
        assert ratio >= MIN_CONTRAST, f"{fg} on {bg}: {ratio:.2f}"


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_a_surface_tile_has_an_edge_that_shows(theme: Theme) -> None:
    """Surface tiles (service groups, keys) are nearly the page's colour; their border carries the contrast."""
    assert contrast_ratio(theme.colour("surface"), theme.colour("background")) < MIN_NON_TEXT_CONTRAST
    for around in ("background", "surface"):
        ratio = contrast_ratio(theme.colour("tile_border"), theme.colour(around))
        assert ratio >= MIN_NON_TEXT_CONTRAST, f"tile_border on {around}: {ratio:.2f}"
