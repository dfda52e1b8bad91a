"""How numbers and times read on the console pages: the hall's local time, minutes, shares."""

from __future__ import annotations

from datetime import datetime

from hall_controller.engine.clock import zone


def local(ts: float | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, zone(tz)).strftime(fmt)


def today(now: float, tz: str) -> str:
    return local(now, tz, "%Y-%m-%d")


def minutes(seconds: float | None) -> str:
    """``12.5`` (minutes, one decimal), or ``—`` when there is nothing to show."""
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.1f}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"
