"""Kivy's process-wide settings, applied before the first Kivy import: window, logging, fonts, input.

Kivy reads its configuration when ``kivy.core.window`` is first imported, so this module must run first.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

from kiosk.apps.board_layout import screen_density
from kiosk.config import WindowConfig

log = logging.getLogger(__name__)

CJK_FONT_CANDIDATES: Final = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
CJK_BOLD_CANDIDATES: Final = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf"),
)
FONT_NAME: Final = "OneVisitCJK"


class FontMissing(RuntimeError):
    """No CJK font: Chinese would render as boxes. Install fonts-noto-cjk."""


def find_font(candidates: tuple[Path, ...]) -> Path | None:
    return next((p for p in candidates if p.is_file()), None)


def prepare_kivy(window: WindowConfig, *, max_fps: int = 60) -> None:
    """Environment and Config for Kivy; call once, before importing any Kivy module but ``kivy.config``."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")  # Kivy logs through the logging module instead
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    # portrait screens are laid out 540 dp across (a 1080-pixel kiosk at density 2), landscape boards on
    # 960×540 dp (a 1080p TV at density 2): see board_layout
    density = window.density or screen_density(window.width, window.height)
    os.environ.setdefault("KIVY_METRICS_DENSITY", str(density))
    from kivy.config import Config

    Config.set("graphics", "width", str(window.width))
    Config.set("graphics", "height", str(window.height))
    Config.set("graphics", "fullscreen", "auto" if window.fullscreen else "0")
    Config.set("graphics", "show_cursor", "1" if window.show_cursor else "0")
    Config.set("graphics", "resizable", "0" if window.fullscreen else "1")
    Config.set("graphics", "maxfps", str(max_fps))
    Config.set("kivy", "exit_on_escape", "0")  # a citizen must not close the kiosk with a keyboard
    Config.set("kivy", "keyboard_mode", "")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no red multitouch dots on a right click


def register_fonts() -> str:
    """Make the CJK font Kivy's default (every Label), so Chinese never renders as boxes."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular = find_font(CJK_FONT_CANDIDATES)
    if regular is None:
        raise FontMissing("no CJK font found; install fonts-noto-cjk (Noto Sans CJK)")
    bold = find_font(CJK_BOLD_CANDIDATES) or regular
    LabelBase.register(DEFAULT_FONT, str(regular), fn_bold=str(bold))
    LabelBase.register(FONT_NAME, str(regular), fn_bold=str(bold))
    log.info("CJK font %s", regular)
    return str(regular)
