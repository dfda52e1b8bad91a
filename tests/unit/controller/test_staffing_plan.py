"""The console's staffing plan from the stored history: no forecast without history of the weekday, the
forecast and advice from past days of the same weekday, the visit's time and patience measured from the
history, and today's visits and open windows per hour beside it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hall_controller.engine import events as ev
from hall_controller.history import HallHistory
from hall_controller.staffing import windows_needed
from hall_controller.staffing_plan import WEEKS, plan
from hall_protocol.hall_config import load_hall_config

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_hall_config(ROOT / "configs/demo/hall.toml")
TZ = ZoneInfo(CONFIG.hall.timezone)
MONDAY = datetime(2025, 3, 10, tzinfo=TZ)  # a Monday


def _at(day: int, hour: int, minute: int = 0) -> float:
    """Epoch seconds ``day`` days after MONDAY (negative: before) at hour:minute, hall time."""
    return MONDAY.timestamp() + day * 86400 + hour * 3600 + minute * 60


def _visits(day: int, hour: int, n: int, *, service: str = "SB-CARD", served_s: float = 600.0,
            no_shows: int = 0) -> list[ev.Event]:
    out: list[ev.Event] = []
    for i in range(n):
        at = _at(day, hour, i * 60 // n)
        tid = f"{day}-{hour}-{i}"
        out.append(ev.TicketIssued(request_id=tid, at=at, ticket_id=tid, number=f"A{i:03d}", prefix="A", seq=i,
                                   service=service, steps=(service,), priority="normal", arrival=at, order_time=at,
                                   deadline=at + 5400))
        out.append(ev.TicketCalled(request_id=f"c{tid}", at=at + 300, ticket_id=tid, number=f"A{i:03d}",
                                   service=service, window_id="W1", window_name="1号窗口", zone="A",
                                   call_id=f"{tid}:1"))
        if i < no_shows:
            out.append(ev.TicketNoShow(request_id=f"n{tid}", at=at + 500, ticket_id=tid, window_id="W1",
                                       recycled=False))
        else:
            out.append(ev.StepFinished(request_id=f"f{tid}", at=at + 300 + served_s, ticket_id=tid, window_id="W1",
                                       service=service, duration_s=served_s))
    return out


def _history(*batches: list[ev.Event]) -> HallHistory:
    h = HallHistory()
    h.feed(sorted((e for b in batches for e in b), key=lambda e: e.at))
    return h


def test_without_history_there_is_no_forecast_only_today() -> None:
    h = _history(_visits(0, 9, 4))
    p = plan(h, CONFIG, _at(0, 9, 50))
    assert (p.today.enough, p.tomorrow.enough) == (False, False)
    assert p.today.history_days == 0
    assert p.minutes_per_visit is None
    (nine,) = p.today.hours  # what happened today is shown all the same
    assert (nine.hour, nine.arrivals, nine.windows, nine.actual_arrivals) == (9, None, None, 4)
    assert p.tomorrow.hours == ()


def test_the_forecast_averages_past_days_of_the_same_weekday() -> None:
    h = _history(
        _visits(-7, 9, 30), _visits(-7, 10, 10),
        _visits(-14, 9, 10), _visits(-14, 10, 10),
        _visits(-6, 9, 50),  # a Tuesday: tomorrow's forecast, not today's
        _visits(-7 * (WEEKS + 1), 9, 100),  # too old
    )
    p = plan(h, CONFIG, _at(0, 8))
    assert p.today.enough
    assert p.today.history_days == 2
    assert [(x.hour, x.arrivals) for x in p.today.hours] == [(9, 20.0), (10, 10.0)]
    assert p.minutes_per_visit == 10.0  # served time per visit in the last weeks
    assert p.target_min == 20.0  # SB-CARD's target
    assert p.patience_min is None  # nobody left: Erlang-C
    expected = windows_needed(20 / 3600, 600, 1200).windows
    assert p.today.hours[0].windows == expected
    assert p.today.hours[0].within_target_pct is not None
    assert p.today.hours[0].within_target_pct >= 80
    assert p.today.window_hours == sum(x.windows or 0 for x in p.today.hours)
    assert (p.tomorrow.enough, p.tomorrow.history_days) == (True, 1)
    assert [(x.hour, x.arrivals) for x in p.tomorrow.hours] == [(9, 50.0)]
    assert p.today.hours[0].actual_arrivals is None  # 08:00 now: nothing of 09:00 has happened


def test_patience_comes_from_no_shows_over_time_waited() -> None:
    h = _history(_visits(-7, 9, 20, no_shows=4))
    p = plan(h, CONFIG, _at(0, 8))
    # 20 waits of 300 s, 4 who left: the exponential patience's mean is 6000 s / 4
    assert p.patience_min == pytest.approx(25.0)
    assert p.minutes_per_visit == pytest.approx(16 * 600 / 20 / 60)


def test_today_shows_the_windows_actually_open_each_hour() -> None:
    opened = [ev.StaffLoggedIn(request_id="l", at=_at(0, 8, 50), window_id="W1", staff_id="s"),
              ev.WindowOpened(request_id="o1", at=_at(0, 9), window_id="W1"),
              ev.StaffLoggedIn(request_id="l2", at=_at(0, 9), window_id="W2", staff_id="t"),
              ev.WindowOpened(request_id="o2", at=_at(0, 9, 30), window_id="W2"),
              ev.WindowClosed(request_id="c2", at=_at(0, 10, 15), window_id="W2")]
    h = _history(opened, _visits(0, 9, 6))
    p = plan(h, CONFIG, _at(0, 10, 30))
    hours = {x.hour: x for x in p.today.hours}
    assert hours[9].open_windows == 1.5  # W1 all hour, W2 half of it
    assert hours[9].actual_arrivals == 6
    assert hours[10].open_windows == 1.5  # so far: W1 30 of 30 min, W2 15 of 30
    assert 11 not in hours
