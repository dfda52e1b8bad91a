from __future__ import annotations

import pytest

from kiosk.viewmodels.theme import (
    ELDER_MIN_TARGET_DP,
    ELDER_MIN_TEXT_SCALE,
    ELDER_THEME,
    MIN_CONTRAST,
    NORMAL_THEME,
    SCREEN_PAIRS,
    THEMES,
    contrast_ratio,
    relative_luminance,
)


def test_contrast_reference_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast_ratio("#FFFFFF", "#777777") == contrast_ratio("#777777", "#FFFFFF")
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="RRGGBB"):
        relative_luminance("#FFF")


@pytest.mark.parametrize("theme", THEMES, ids=lambda th: th.name)
@pytest.mark.parametrize("screen", sorted(SCREEN_PAIRS))
def test_every_screen_colour_pair_is_readable(theme: object, screen: str) -> None:
    from kiosk.viewmodels.theme import Theme

    assert isinstance(theme, Theme)
    for fg, bg in theme.pairs(screen):
        ratio = contrast_ratio(theme.colour(fg), theme.colour(bg))
        assert ratio >= MIN_CONTRAST, f"{theme.name}/{screen}: {fg} on {bg} is {ratio:.2f}:1"


def test_every_screen_is_covered() -> None:
    from kiosk.viewmodels.kiosk import Screen

    assert {s.value for s in Screen} <= set(SCREEN_PAIRS)


def test_elder_mode_is_bigger_with_fewer_items() -> None:
    n, e = NORMAL_THEME.scale, ELDER_THEME.scale
    assert e.text >= ELDER_MIN_TEXT_SCALE * n.text
    assert e.body_sp >= 1.5 * n.body_sp
    assert e.title_sp > n.title_sp
    assert e.min_target_dp >= ELDER_MIN_TARGET_DP
    assert e.items_per_page < n.items_per_page
    assert e.options_per_page < n.options_per_page
    assert NORMAL_THEME.rgba("background") == (1.0, 1.0, 1.0, 1.0)
    assert ELDER_THEME.sp(20) == pytest.approx(30)
