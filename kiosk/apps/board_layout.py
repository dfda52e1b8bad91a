"""How the hall screen, window display and evaluator pad size themselves: no Kivy, tested without a window.

The kiosk is a portrait screen laid out 540 dp across (a 1080×1920 kiosk shows it at density 2). Boards hang
on walls as landscape TVs (1920×1080) or stand at windows as pads (1280×800, either way round): a landscape
screen is laid out on a 960×540 dp canvas, scaled by min(width / 960, height / 540), so a 1080p TV shows it at
density 2 and every size here is the same share of the screen on any TV. Sizes are in dp/sp; the layouts below
work from the window's size in dp, so a screen with another aspect ratio gets more or fewer rows, not overlap.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Final

PORTRAIT_WIDTH_DP: Final = 540
LANDSCAPE_CANVAS_DP: Final = (960, 540)
# Noto Sans CJK (the font every screen uses): a digit is 0.77 em tall, a line box 1.45 em
DIGIT_EM: Final = 0.77
LINE_EM: Final = 1.45
MIN_CALL_GLYPH_PX_1080P: Final = 120  # a called number must be read across the hall


def screen_density(width_px: int, height_px: int) -> float:
    """Pixels per dp: a portrait screen is 540 dp across, a landscape one at least 960×540 dp."""
    if width_px > height_px:
        density = min(width_px / LANDSCAPE_CANVAS_DP[0], height_px / LANDSCAPE_CANVAS_DP[1])
    else:
        density = width_px / PORTRAIT_WIDTH_DP
    return max(1.0, round(density, 2))


def text_em(text: str) -> float:
    """The width of ``text`` in em, for choosing a size that fits: a Chinese character is 1 em, other
    characters at most about 0.62 em (bold digits and capitals)."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.62 for ch in text)


def fit_sp(text: str, width_dp: float, *, largest: float, smallest: float) -> float:
    """The largest size up to ``largest`` at which ``text`` fits on one line ``width_dp`` wide (never below
    ``smallest``: a long name then wraps rather than shrinking out of reach)."""
    em = text_em(text)
    if em <= 0:
        return largest
    return max(smallest, min(largest, math.floor(width_dp / em)))


def fit_lines_sp(text: str, width_dp: float, height_dp: float, *, largest: float, smallest: float) -> float:
    """Like :func:`fit_sp`, but a name too long for one line at a readable size may take two lines of
    ``height_dp``."""
    one = fit_sp(text, width_dp, largest=largest, smallest=1)
    if one >= smallest:
        return one
    two = min(fit_sp(text, width_dp * 2 * 0.9, largest=largest, smallest=1), height_dp / (2 * LINE_EM))
    return max(smallest, one, math.floor(two))


def short_name(name: str) -> str:
    """A service's name without its parenthesis, for a row with no room for it: "出生一件事（户口、医保）"
    reads "出生一件事"."""
    for opening in ("（", "("):
        head = name.split(opening, 1)[0].strip()
        if head and head != name:
            return head
    return name


def banner_sp(zh: str, en: str, width_dp: float, *, largest: float = 30.0) -> float:
    """The size of a one-line banner, Chinese then English at 0.7 of that size: as large as fits."""
    em = text_em(zh) + 2 + 0.7 * text_em(en)
    return max(18.0, min(largest, math.floor((width_dp - 32) / em)))


def glyph_px(size_sp: float, density: float) -> float:
    """How tall a digit set at ``size_sp`` is on the screen, in pixels."""
    return size_sp * density * DIGIT_EM


@dataclass(frozen=True, slots=True)
class HallLayout:
    landscape: bool
    header_dp: float
    banner_dp: float
    notice_dp: float
    title_sp: float
    calls_share: float  # of the body's width (landscape) or height (portrait)
    call_rows: int
    call_row_dp: float
    number_sp: float  # the called number
    window_sp: float  # the window it is called to (largest; a long name is fitted to its column)
    name_sp: float  # the masked name
    queue_rows: int
    queue_row_dp: float
    queue_sp: float


def hall_layout(width_dp: float, height_dp: float, *, banner: bool, notices: bool) -> HallLayout:
    """The hall screen: the latest calls, large, and every service's queue; rows are as many as fit."""
    landscape = width_dp > height_dp
    header, title, pad = 60.0, 40.0, 10.0
    banner_dp = 56.0 if banner else 0.0
    notice_dp = 52.0 if notices else 0.0
    body = height_dp - header - banner_dp - notice_dp - 2 * pad
    if landscape:
        number_sp, window_sp, name_sp, share = 84.0, 44.0, 40.0, 0.6
        calls_h = queues_h = body - title
    else:
        number_sp, window_sp, name_sp, share = 60.0, 40.0, 36.0, 0.5
        calls_h = body * share - title
        queues_h = body * (1 - share) - title - pad
    call_row = math.ceil(number_sp * DIGIT_EM + 22)
    queue_sp = 26.0
    queue_row = math.ceil(queue_sp * LINE_EM + 6)
    return HallLayout(
        landscape=landscape, header_dp=header, banner_dp=banner_dp, notice_dp=notice_dp, title_sp=24.0,
        calls_share=share, call_rows=max(1, min(6, int(calls_h // (call_row + 2)))), call_row_dp=call_row,
        number_sp=number_sp, window_sp=window_sp, name_sp=name_sp,
        # the column heads and the total take a row each
        queue_rows=max(1, int((queues_h - 2 * (queue_row + 2)) // (queue_row + 2))), queue_row_dp=queue_row,
        queue_sp=queue_sp,
    )


@dataclass(frozen=True, slots=True)
class WindowLayout:
    landscape: bool
    header_dp: float
    window_sp: float  # the window's name, in the header
    number_sp: float
    name_sp: float  # the masked name beside (landscape) or under (portrait) the number
    message_sp: float
    message_dp: float
    footer_dp: float  # the hall's name, or its notices
    banner_dp: float


def window_layout(width_dp: float, height_dp: float, *, banner: bool, notices: bool) -> WindowLayout:
    """A window display: the window's name on top, the number as large as the screen allows."""
    landscape = width_dp > height_dp
    header, footer, message_sp = 76.0, 48.0 if notices else 40.0, 32.0
    banner_dp = 56.0 if banner else 0.0
    # Chinese, then English in a smaller size: Kivy gives a marked-up line the height of the label's own size
    message = math.ceil(2 * message_sp * LINE_EM + 12)
    free_h = height_dp - header - banner_dp - footer - message - 8
    if landscape:
        # the number and the name side by side: "A012" is 2.5 em, "张*" 1.6 em at 0.45 of the number's size
        number = min((width_dp - 80) / (2.5 + 0.45 * 1.6 + 0.3), free_h / LINE_EM, 220.0)
        name = number * 0.45
    else:  # the name under the number
        number = min((width_dp - 48) / 2.5, free_h / (LINE_EM * 1.45), 220.0)
        name = min(number * 0.45, 72.0)
    return WindowLayout(landscape=landscape, header_dp=header, window_sp=40.0, number_sp=math.floor(number),
                        name_sp=math.floor(name), message_sp=message_sp, message_dp=message, footer_dp=footer,
                        banner_dp=banner_dp)


@dataclass(frozen=True, slots=True)
class EvaluatorLayout:
    landscape: bool
    choice_cols: int  # 5: one row; 1: a column
    words: bool  # the faces carry their words
    choice_w_dp: float
    choices_max_dp: float  # the choices take the height the page leaves, up to this
    word_sp: float  # a choice's word (fitted again to the words in the language shown)
    reason_cols: int
    reason_w_dp: float


def evaluator_layout(width_dp: float, height_dp: float, *, text_scale: float, asking_reason: bool,
                     short_texts: bool = True) -> EvaluatorLayout:
    """Five equal choices: one row on a landscape pad, a column on a portrait one. While a poor rating's
    reasons are asked: a shorter column, or the five faces alone when big or English texts leave no room
    (their words were read a moment before). The choices take the height the texts and buttons leave, up
    to what looks right; each choice sizes its face to its own box."""
    landscape = width_dp > height_dp
    inner_w = width_dp - 40  # the body's padding
    words = True
    if landscape:
        cols, gap = 5, 12.0
        rows_h = (inner_w - 4 * gap) / 5 * 1.3
        # big English words under the faces leave the reasons no room: the faces alone, then
        words = not (asking_reason and text_scale > 1 and not short_texts)
    elif asking_reason and (text_scale > 1 or not short_texts):
        # a strip of the five faces, words left out: big or long reasons need the room
        cols, gap, words = 5, 10.0, False
        rows_h = 80 * text_scale
    elif asking_reason:  # a compact column
        cols, gap = 1, 8.0
        rows_h = 5 * 64 + 4 * gap
    else:
        cols, gap = 1, 8.0
        rows_h = 5 * 110 * text_scale + 4 * gap
    reason_cols = 5 if landscape else 2
    return EvaluatorLayout(
        landscape=landscape, choice_cols=cols, words=words, choice_w_dp=(inner_w - (cols - 1) * gap) / cols,
        choices_max_dp=rows_h, word_sp=(24.0 if cols == 5 else 30.0) * text_scale, reason_cols=reason_cols,
        reason_w_dp=(inner_w - (reason_cols - 1) * 10) / reason_cols,
    )


def fit_words_sp(text: str, width_dp: float, *, lines: int, largest: float, smallest: float) -> float:
    """The size at which ``text`` fits ``lines`` lines ``width_dp`` wide, wrapping only between words (a
    Chinese text has no spaces: it must fit on its lines as a whole, and Kivy then breaks it evenly)."""
    words = text.split()
    longest = max(words, key=text_em) if words else text
    by_word = fit_sp(longest, width_dp, largest=largest, smallest=smallest) if len(words) > 1 else largest
    by_text = fit_sp(text, width_dp * lines * 0.9, largest=largest, smallest=smallest)
    return min(by_word, by_text)
