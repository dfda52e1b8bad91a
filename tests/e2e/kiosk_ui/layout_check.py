"""Layout checks for the device UIs: every primary element on screen, every touch target big enough.

``collect`` runs inside the UI process (the harness's ``geometry`` op) and describes every widget that has an
``ov_id``; ``layout_problems`` / ``assert_layout`` judge that description on the test's side.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

EPS = 1.0  # px: rounding at the window's edge is not "off-screen"


def collect() -> dict[str, Any]:
    """Window-coordinate boxes of every widget with an ``ov_id``, with what clips them (scroll views)."""
    from kivy.core.window import Window
    from kivy.metrics import dp
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.stencilview import StencilView

    from tests.e2e.kiosk_ui import driving

    widgets = []
    for root in Window.children:
        for w in driving.walk(root):
            ov_id = getattr(w, "ov_id", "")
            if not ov_id or w.get_root_window() is None:
                continue
            x0, y0 = w.to_window(w.x, w.y)
            x1, y1 = w.to_window(w.right, w.top)
            clip = [0.0, 0.0, float(Window.width), float(Window.height)]
            opacity = float(w.opacity)
            p = w.parent
            while p is not None and p.parent is not p:
                opacity *= float(getattr(p, "opacity", 1.0))
                if isinstance(p, StencilView):
                    a, b = p.to_window(p.x, p.y), p.to_window(p.right, p.top)
                    clip = [max(clip[0], a[0]), max(clip[1], a[1]), min(clip[2], b[0]), min(clip[3], b[1])]
                p = p.parent
            widgets.append({
                "id": str(ov_id), "box": [x0, y0, x1, y1], "clip": clip, "opacity": opacity,
                "touch": isinstance(w, ButtonBehavior), "disabled": bool(w.disabled),
                "text": str(getattr(w, "text", "")), "font": float(getattr(w, "font_size", 0) or 0),
            })
    return {"window": [Window.width, Window.height], "dp": float(dp(1)), "widgets": widgets}


def _inside(box: list[float], area: list[float]) -> bool:
    return (box[0] >= area[0] - EPS and box[1] >= area[1] - EPS and box[2] <= area[2] + EPS
            and box[3] <= area[3] + EPS)


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > EPS and min(a[3], b[3]) - max(a[1], b[1]) > EPS


def layout_problems(geo: dict[str, Any], *, primary: Iterable[str], min_target_dp: float,
                    apart: Iterable[str] = ()) -> list[str]:
    """What is wrong with the screen ``geo`` describes:

    - a ``primary`` element (an ov_id, or a prefix ending in ``*``) missing, hidden or not wholly on screen;
    - a touch target (enabled, visible) smaller than ``min_target_dp`` either way;
    - a text label narrower than two of its characters (Chinese would break character by character);
    - two of the ``apart`` elements (ids or prefixes) overlapping each other.
    """
    dp = geo["dp"]
    widgets: list[dict[str, Any]] = geo["widgets"]
    window = [0.0, 0.0, float(geo["window"][0]), float(geo["window"][1])]
    problems: list[str] = []

    def matching(pattern: str) -> list[dict[str, Any]]:
        if pattern.endswith("*"):
            return [w for w in widgets if w["id"].startswith(pattern[:-1])]
        return [w for w in widgets if w["id"] == pattern]

    for pattern in primary:
        found = matching(pattern)
        if not found:
            problems.append(f"{pattern}: not on screen at all")
        for w in found:
            box = w["box"]
            if w["opacity"] <= 0.01 or box[2] - box[0] < EPS or box[3] - box[1] < EPS:
                problems.append(f"{w['id']}: hidden")
            elif not _inside(box, window) or not _inside(box, w["clip"]):
                problems.append(f"{w['id']}: off-screen or clipped, at {[round(v) for v in box]} "
                                f"(window {geo['window']})")
    for w in widgets:
        box = w["box"]
        if w["touch"] and not w["disabled"] and w["opacity"] > 0.01:
            wdp, hdp = (box[2] - box[0]) / dp, (box[3] - box[1]) / dp
            if min(wdp, hdp) < min_target_dp - 0.5:
                problems.append(f"{w['id']}: touch target {wdp:.0f}×{hdp:.0f} dp, under {min_target_dp:g} dp")
        if len(w["text"]) > 2 and w["font"] and box[2] - box[0] < 2 * w["font"] and "\n" not in w["text"]:
            problems.append(f"{w['id']}: {box[2] - box[0]:.0f} px wide for {w['font']:.0f} px text "
                            f"({w['text'][:20]!r}): breaks character by character")
    spread = [w for pattern in apart for w in matching(pattern) if w["opacity"] > 0.01]
    for i, a in enumerate(spread):
        for b in spread[i + 1:]:
            if a["id"] != b["id"] and _overlap(a["box"], b["box"]):
                problems.append(f"{a['id']} overlaps {b['id']}")
    return problems


def assert_layout(geo: dict[str, Any], *, primary: Iterable[str], min_target_dp: float,
                  apart: Iterable[str] = ()) -> None:
    problems = layout_problems(geo, primary=primary, min_target_dp=min_target_dp, apart=apart)
    assert not problems, "layout problems:\n  " + "\n  ".join(problems)
