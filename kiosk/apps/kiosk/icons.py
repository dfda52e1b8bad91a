"""Small line icons for the finder's service groups, drawn with Kivy canvas instructions (the project's own
art, no icon font or image files: they scale with elder mode and take the tile's text colour; the tile that
shows them is ``kiosk.apps.kiosk.pictures.IconTile``).

Each drawing function draws into the current canvas, in the colour already set, inside the square whose
lower-left corner is (x, y) and whose side is ``s``; ``ICONS`` maps a catalog group's id to its drawing. A
group not listed (a department, a group a hall adds to its catalog) gets ``plain``: a tile still looks like
its neighbours without a picture that would say something wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.graphics import Ellipse, Line, Rectangle
from kivy.metrics import dp

Draw = Callable[[float, float, float], None]


def _w(s: float) -> float:
    return max(float(dp(1)), s * 0.045)


def _line(x: float, y: float, s: float, *points: float, close: bool = False) -> None:
    """A polyline given in fractions of the square (0..1, y up)."""
    xy = [v * s + (y if i % 2 else x) for i, v in enumerate(points)]
    Line(points=xy, width=_w(s), close=close, joint="round", cap="round")


def _circle(x: float, y: float, s: float, cx: float, cy: float, r: float, *arc: float) -> None:
    Line(circle=(x + cx * s, y + cy * s, r * s, *arc), width=_w(s))


def _box(x: float, y: float, s: float, bx: float, by: float, bw: float, bh: float) -> None:
    _line(x, y, s, bx, by, bx + bw, by, bx + bw, by + bh, bx, by + bh, close=True)


def baby(x: float, y: float, s: float) -> None:
    """出生: a swaddled baby, its head above the blanket."""
    _circle(x, y, s, 0.5, 0.7, 0.17)
    Line(ellipse=(x + 0.24 * s, y + 0.06 * s, 0.52 * s, 0.44 * s), width=_w(s))
    _line(x, y, s, 0.3, 0.3, 0.7, 0.2)


def school(x: float, y: float, s: float) -> None:
    """入学: a mortarboard with its tassel."""
    _line(x, y, s, 0.06, 0.64, 0.5, 0.84, 0.94, 0.64, 0.5, 0.44, close=True)
    _line(x, y, s, 0.26, 0.54, 0.26, 0.3, 0.5, 0.2, 0.74, 0.3, 0.74, 0.54)
    _line(x, y, s, 0.94, 0.64, 0.94, 0.34)


def briefcase(x: float, y: float, s: float) -> None:
    """就业/失业登记: a briefcase."""
    _box(x, y, s, 0.1, 0.14, 0.8, 0.54)
    _line(x, y, s, 0.36, 0.68, 0.36, 0.82, 0.64, 0.82, 0.64, 0.68)
    _line(x, y, s, 0.1, 0.44, 0.9, 0.44)


def walking_cane(x: float, y: float, s: float) -> None:
    """退休: an older person walking with a cane."""
    _circle(x, y, s, 0.42, 0.82, 0.1)
    _line(x, y, s, 0.42, 0.7, 0.4, 0.4)
    _line(x, y, s, 0.3, 0.06, 0.4, 0.4, 0.52, 0.06)
    _line(x, y, s, 0.41, 0.6, 0.64, 0.48)
    _line(x, y, s, 0.58, 0.58, 0.64, 0.6, 0.68, 0.54, 0.68, 0.06)


def coin(x: float, y: float, s: float) -> None:
    """公积金提取: a coin marked with the yuan sign."""
    _circle(x, y, s, 0.5, 0.5, 0.4)
    _line(x, y, s, 0.36, 0.7, 0.5, 0.5, 0.64, 0.7)
    _line(x, y, s, 0.5, 0.5, 0.5, 0.26)
    _line(x, y, s, 0.38, 0.46, 0.62, 0.46)
    _line(x, y, s, 0.38, 0.36, 0.62, 0.36)


def house(x: float, y: float, s: float) -> None:
    """购房安居: a house with its door."""
    _line(x, y, s, 0.06, 0.5, 0.5, 0.88, 0.94, 0.5)
    _line(x, y, s, 0.18, 0.6, 0.18, 0.1, 0.82, 0.1, 0.82, 0.6)
    _line(x, y, s, 0.42, 0.1, 0.42, 0.36, 0.58, 0.36, 0.58, 0.1)


def card(x: float, y: float, s: float) -> None:
    """社保医保: a card with its chip and lines of print."""
    _box(x, y, s, 0.06, 0.2, 0.88, 0.6)
    Rectangle(pos=(x + 0.16 * s, y + 0.48 * s), size=(0.2 * s, 0.16 * s))
    _line(x, y, s, 0.46, 0.6, 0.82, 0.6)
    _line(x, y, s, 0.46, 0.44, 0.74, 0.44)
    _line(x, y, s, 0.16, 0.32, 0.6, 0.32)


def printer(x: float, y: float, s: float) -> None:
    """打印与查询: a printer with a sheet coming out."""
    _box(x, y, s, 0.28, 0.66, 0.44, 0.22)
    _box(x, y, s, 0.08, 0.32, 0.84, 0.34)
    _line(x, y, s, 0.28, 0.32, 0.28, 0.08, 0.72, 0.08, 0.72, 0.32)
    _line(x, y, s, 0.38, 0.22, 0.62, 0.22)
    Ellipse(pos=(x + 0.76 * s, y + 0.5 * s), size=(0.06 * s, 0.06 * s))


def shopfront(x: float, y: float, s: float) -> None:
    """企业开办: a shop under its awning."""
    _line(x, y, s, 0.06, 0.66, 0.16, 0.88, 0.84, 0.88, 0.94, 0.66, close=True)
    _line(x, y, s, 0.14, 0.66, 0.14, 0.08, 0.86, 0.08, 0.86, 0.66)
    _line(x, y, s, 0.4, 0.08, 0.4, 0.42, 0.6, 0.42, 0.6, 0.08)


def bowl(x: float, y: float, s: float) -> None:
    """开餐饮店: a bowl with chopsticks."""
    _line(x, y, s, 0.08, 0.46, 0.92, 0.46)
    _circle(x, y, s, 0.5, 0.46, 0.42, 90, 270)
    _line(x, y, s, 0.36, 0.06, 0.64, 0.06)
    _line(x, y, s, 0.5, 0.56, 0.78, 0.94)
    _line(x, y, s, 0.6, 0.54, 0.92, 0.86)


def bag(x: float, y: float, s: float) -> None:
    """开便利店: a shopping bag."""
    _box(x, y, s, 0.16, 0.06, 0.68, 0.6)
    _circle(x, y, s, 0.5, 0.66, 0.18, -90, 90)


def document(x: float, y: float, s: float) -> None:
    """证照打印与进度: a certificate with its seal."""
    _line(x, y, s, 0.18, 0.04, 0.18, 0.96, 0.64, 0.96, 0.82, 0.78, 0.82, 0.04, close=True)
    _line(x, y, s, 0.3, 0.74, 0.6, 0.74)
    _line(x, y, s, 0.3, 0.58, 0.7, 0.58)
    _circle(x, y, s, 0.56, 0.26, 0.12)


def cross(x: float, y: float, s: float) -> None:
    """医保: a medical cross."""
    _line(x, y, s, 0.38, 0.1, 0.62, 0.1, 0.62, 0.38, 0.9, 0.38, 0.9, 0.62, 0.62, 0.62, 0.62, 0.9, 0.38, 0.9,
          0.38, 0.62, 0.1, 0.62, 0.1, 0.38, 0.38, 0.38, close=True)


def magnifier(x: float, y: float, s: float) -> None:
    """进度查询: a magnifying glass."""
    _circle(x, y, s, 0.42, 0.58, 0.28)
    _line(x, y, s, 0.62, 0.38, 0.9, 0.1)


def plain(x: float, y: float, s: float) -> None:
    """Any other group (a department): a building's outline, which says "an office" and nothing more."""
    _line(x, y, s, 0.1, 0.72, 0.5, 0.92, 0.9, 0.72, close=True)
    _line(x, y, s, 0.06, 0.08, 0.94, 0.08)
    for fx in (0.22, 0.41, 0.59, 0.78):
        _line(x, y, s, fx, 0.16, fx, 0.62)


ICONS: dict[str, Draw] = {
    "birth": baby,
    "school": school,
    "jobs": briefcase,
    "retire": walking_cane,
    "fund": coin,
    "home": house,
    "cards": card,
    "self-service": printer,
    "start-up": shopfront,
    "restaurant": bowl,
    "convenience": bag,
    "business-print": document,
    # the icon names catalog.toml gives services and packages (the start screen's shortcuts)
    "card": card,
    "elder": walking_cane,
    "house-coin": coin,
    "house": house,
    "shop": shopfront,
    "baby": baby,
    "briefcase": briefcase,
    "medical": cross,
    "food": bowl,
    "printer": printer,
    "store": bag,
    "progress": magnifier,
}


def icon_for(group_id: str) -> Draw:
    return ICONS.get(group_id, plain)
