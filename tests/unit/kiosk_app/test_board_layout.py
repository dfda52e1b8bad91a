"""Board sizing (no window): density per orientation, call numbers readable across a hall, rows that fit."""

from __future__ import annotations

import pytest

from kiosk.apps.board_layout import (
    LINE_EM,
    MIN_CALL_GLYPH_PX_1080P,
    fit_lines_sp,
    fit_sp,
    glyph_px,
    hall_layout,
    screen_density,
    short_name,
    text_em,
    window_layout,
)
from kiosk.apps.hall_screen.board import page_at
from tests.e2e.kiosk_ui.layout_check import layout_problems


@pytest.mark.parametrize(("size", "density"), [
    ((1080, 1920), 2.0),  # the kiosk: 540 dp across, as before
    ((540, 960), 1.0),
    ((1920, 1080), 2.0),  # a hall TV: 960×540 dp
    ((3840, 2160), 4.0),
    ((1280, 800), 1.33),  # an evaluator pad on its side: 960×600 dp
    ((800, 1280), 1.48),
    ((1366, 768), 1.42),
])
def test_density_follows_the_orientation(size: tuple[int, int], density: float) -> None:
    assert screen_density(*size) == density


def test_called_numbers_are_readable_across_the_hall_on_a_1080p_tv() -> None:
    density = screen_density(1920, 1080)
    for banner in (False, True):
        for notices in (False, True):
            lay = hall_layout(1920 / density, 1080 / density, banner=banner, notices=notices)
            assert lay.landscape
            assert glyph_px(lay.number_sp, density) >= MIN_CALL_GLYPH_PX_1080P
            used = (lay.header_dp + lay.banner_dp + lay.notice_dp + 20 + 40
                    + lay.call_rows * (lay.call_row_dp + 2))
            assert used <= 540, (banner, notices)
            assert lay.call_rows >= 3
    assert hall_layout(960, 540, banner=False, notices=False).call_rows == 4


def test_a_portrait_hall_screen_stacks_calls_over_queues() -> None:
    lay = hall_layout(540, 960, banner=False, notices=False)
    assert not lay.landscape
    assert lay.call_rows == 5
    assert lay.queue_rows >= 5


def test_the_window_number_takes_what_the_screen_leaves() -> None:
    big = window_layout(960, 540, banner=False, notices=False)
    squeezed = window_layout(960, 540, banner=True, notices=True)
    assert big.landscape
    assert big.number_sp >= 200
    assert squeezed.number_sp < big.number_sp
    for lay in (big, squeezed):
        used = lay.header_dp + lay.banner_dp + lay.footer_dp + lay.message_dp + lay.number_sp * LINE_EM
        assert used <= 540
    tall = window_layout(540, 960, banner=False, notices=False)
    assert not tall.landscape
    assert text_em("A012") * tall.number_sp <= 540


def test_fitting_text() -> None:
    assert text_em("1号窗口") == pytest.approx(3.62)
    assert fit_sp("1号窗口", 200, largest=44, smallest=20) == 44
    assert fit_sp("3号综合窗口", 120, largest=44, smallest=20) == 21
    assert fit_sp("一" * 30, 120, largest=44, smallest=20) == 20  # wraps rather than vanish
    assert fit_lines_sp("1号窗口", 200, 80, largest=44, smallest=22) == 44
    two = fit_lines_sp("一" * 10, 120, 80, largest=44, smallest=22)
    assert 22 <= two <= 80 / (2 * LINE_EM)
    assert short_name("出生一件事（户口、医保、社保卡）") == "出生一件事"
    assert short_name("企业开办") == "企业开办"
    assert short_name("（说明）") == "（说明）"


def test_long_lists_turn_their_pages_with_time() -> None:
    items = list(range(12))
    assert page_at(items, 8, 0.0) == (tuple(range(8)), 1, 2)
    assert page_at(items, 8, 10.0) == ((8, 9, 10, 11), 2, 2)
    assert page_at(items, 8, 20.0)[1] == 1
    assert page_at([], 8, 5.0) == ((), 1, 1)


def _geo(*widgets: dict[str, object]) -> dict[str, object]:
    base = {"clip": [0.0, 0.0, 1280.0, 800.0], "opacity": 1.0, "touch": False, "disabled": False, "text": "",
            "font": 0.0}
    return {"window": [1280, 800], "dp": 1.33, "widgets": [{**base, **w} for w in widgets]}


def test_the_layout_check_finds_what_a_citizen_would() -> None:
    fine = _geo({"id": "rating.level.5", "box": [10, 10, 200, 200], "touch": True})
    assert layout_problems(fine, primary=["rating.level.*"], min_target_dp=48) == []
    off = _geo({"id": "rating.level.1", "box": [1200, 10, 1400, 200], "touch": True})
    assert "off-screen" in layout_problems(off, primary=["rating.level.*"], min_target_dp=48)[0]
    assert "not on screen" in layout_problems(fine, primary=["window.number"], min_target_dp=48)[0]
    small = _geo({"id": "rating.level.3", "box": [10, 10, 200, 60], "touch": True})
    assert "touch target" in layout_problems(small, primary=[], min_target_dp=48)[0]
    assert layout_problems(small, primary=[], min_target_dp=36) == []
    clipped = _geo({"id": "x", "box": [10, 10, 200, 200], "clip": [0, 100, 1280, 800]})
    assert "clipped" in layout_problems(clipped, primary=["x"], min_target_dp=48)[0]
    narrow = _geo({"id": "t", "box": [10, 10, 60, 400], "text": "示范区政务服务中心", "font": 40.0})
    assert "character by character" in layout_problems(narrow, primary=[], min_target_dp=48)[0]
    crowded = _geo({"id": "a", "box": [0, 0, 100, 100]}, {"id": "b", "box": [50, 50, 150, 150]})
    assert layout_problems(crowded, primary=[], min_target_dp=48, apart=["a", "b"]) == ["a overlaps b"]
