"""The time and date in the kiosk's header, in the hall's time zone (a kiosk's system clock may be UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

from kiosk.i18n import Text

WEEKDAYS: Final = ("weekday.mon", "weekday.tue", "weekday.wed", "weekday.thu", "weekday.fri", "weekday.sat",
                   "weekday.sun")
MONTHS: Final = ("month.jan", "month.feb", "month.mar", "month.apr", "month.may", "month.jun", "month.jul",
                 "month.aug", "month.sep", "month.oct", "month.nov", "month.dec")


@dataclass(frozen=True, slots=True)
class ClockView:
    time: str  # HH:MM, the same in both languages
    date: Text


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def clock_view(ts: float, timezone: str) -> ClockView:
    """What the header shows at wall-clock time ``ts``; it changes once a minute, so the screen redraws the
    header only when it differs from what is shown."""
    local = datetime.fromtimestamp(ts, _zone(timezone))
    return ClockView(time=f"{local:%H:%M}", date=Text("common.date", month=Text(MONTHS[local.month - 1]),
                                                      day=local.day, weekday=Text(WEEKDAYS[local.weekday()])))
