"""The hall's local calendar: which day an instant belongs to and what the wall clock shows there."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_datetime(now: float, tz: str) -> datetime:
    return datetime.fromtimestamp(now, zone(tz))


def local_date(now: float, tz: str) -> str:
    """``YYYY-MM-DD`` of ``now`` in the hall's time zone."""
    return local_datetime(now, tz).date().isoformat()


def day_bounds(day: str, tz: str) -> tuple[float, float]:
    """Epoch seconds of the local midnight starting ``day`` and of the next one (DST-aware)."""
    d = date.fromisoformat(day)
    start = datetime.combine(d, time(0, 0), zone(tz)).timestamp()
    end = datetime.combine(d + timedelta(days=1), time(0, 0), zone(tz)).timestamp()
    return start, end


def local_minutes(now: float, tz: str) -> int:
    """Minutes since local midnight as the wall clock shows them (for opening and issuing hours)."""
    dt = local_datetime(now, tz)
    return dt.hour * 60 + dt.minute


@lru_cache(maxsize=256)  # the config's few "HH:MM" strings, parsed on every issue otherwise
def clock_minutes(hhmm: str) -> int:
    hh, mm = hhmm.split(":")
    return int(hh) * 60 + int(mm)


def at_local(day: str, hhmm: str, tz: str) -> float:
    """Epoch seconds of wall-clock ``hhmm`` on local ``day``."""
    h = clock_minutes(hhmm)
    return datetime.combine(date.fromisoformat(day), time(h // 60, h % 60), zone(tz)).timestamp()
