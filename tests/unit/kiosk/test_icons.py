"""The finder's group icons: one of its own for every group of the demo catalog, a plain mark for the rest."""

from __future__ import annotations

from kivy.graphics import Canvas, Color, Ellipse, Line, Rectangle

from kiosk.apps.kiosk.icons import ICONS, icon_for, plain
from kiosk.catalog import Catalog, ThemeKind


def test_every_demo_group_has_an_icon_of_its_own(catalog: Catalog) -> None:
    groups = [g.id for kind in (ThemeKind.LIFE, ThemeKind.BUSINESS) for g in catalog.themes_of(kind)]
    assert len(groups) >= 12
    assert [g for g in groups if g not in ICONS] == []
    assert len({ICONS[g] for g in groups}) == len(set(groups)), "two groups look alike"


def test_an_unknown_group_gets_the_plain_mark() -> None:
    assert icon_for("no-such-group") is plain
    assert icon_for("") is plain  # what the finder gives a department's tile


def test_every_icon_draws_inside_its_square_in_the_colour_it_is_given() -> None:
    for name, draw in [*ICONS.items(), ("plain", plain)]:
        canvas = Canvas()
        with canvas:
            Color(0.1, 0.2, 0.3, 1)
            draw(100.0, 200.0, 40.0)
        drawn = canvas.children[1:]
        assert not any(isinstance(i, Color) for i in drawn), f"{name} must keep the tile's text colour"
        shapes = [i for i in drawn if isinstance(i, Line | Rectangle | Ellipse)]
        assert shapes, name
        for shape in shapes:
            if isinstance(shape, Line) and shape.circle:
                cx, cy, r = shape.circle[:3]
                xs, ys = [cx - r, cx + r], [cy - r, cy + r]
            elif isinstance(shape, Line) and shape.ellipse:
                x, y, w, h = shape.ellipse[:4]
                xs, ys = [x, x + w], [y, y + h]
            elif isinstance(shape, Line):
                xs, ys = list(shape.points[0::2]), list(shape.points[1::2])
            else:
                (x, y), (w, h) = shape.pos, shape.size
                xs, ys = [x, x + w], [y, y + h]
            assert all(99 <= x <= 141 for x in xs), (name, shape)
            assert all(199 <= y <= 241 for y in ys), (name, shape)


def test_every_shortcut_of_the_demo_catalog_has_a_drawing_of_its_own(catalog: Catalog) -> None:
    assert catalog.shortcuts
    drawings = [icon_for(e.icon) for e in catalog.shortcuts]
    assert plain not in drawings
    assert len(set(drawings)) == len(drawings), "two shortcuts look alike"
