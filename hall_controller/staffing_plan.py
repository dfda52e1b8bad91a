"""Staffing advice for today and tomorrow, from the stored history: windows to open in each hour (the forecast
and Erlang-A of ``staffing.py``), set beside today's arrivals and the windows actually open. Sans-IO: the
history (``history.HallHistory``), the hall config and ``now`` in; a :class:`StaffingPlan` out.

What goes into the model, all from the past ``WEEKS`` weeks before today (today never forecasts itself):

- arrivals per local hour: the mean over the past days of the same weekday that had any visit
  (``staffing.hourly_forecast``); with fewer than ``MIN_DAYS`` such days there is no forecast;
- a visit's time at a window: finished steps' service time over visits (a several-step visit counts each of
  its steps; a no-show counts nothing), else the services' configured expected times weighted by the visits;
- the target: the services' target waits weighted by the visits (the model pools every window);
- patience: no-shows over the total time waited, the maximum-likelihood rate of exponential patience with a
  no-show taken as a citizen who left; Erlang-C (nobody leaves) when there was none.

Windows actually open in an hour: the time-weighted mean number of windows open in it (so far, for the hour
under way).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import msgspec

from hall_controller.engine.clock import day_bounds, local_date
from hall_controller.history import HallHistory, Stretch
from hall_controller.staffing import HourAdvice, advise, hourly_forecast
from hall_protocol.hall_config import HallConfig

WEEKS = 8  # recent weeks follow a hall whose demand moves (a new service, a season)
MIN_DAYS = 1  # past days of the weekday a forecast needs
HOUR_S = 3600.0


class HourPlan(msgspec.Struct, frozen=True, kw_only=True):
    hour: int  # local hour of day
    label: str  # "09:00"
    arrivals: float | None  # forecast visits in the hour; None when the forecast has none then
    windows: int | None  # advised
    within_target_pct: int | None  # the model's share reaching a window within the target with ``windows``
    mean_wait_min: float | None  # the model's mean wait with ``windows``
    actual_arrivals: int | None  # today, for hours begun; None for tomorrow and hours to come
    open_windows: float | None  # today: mean windows open in the hour (so far); None as above


class DayPlan(msgspec.Struct, frozen=True, kw_only=True):
    day: str  # YYYY-MM-DD, local
    weekday: int  # 0 = Monday
    history_days: int  # past days of this weekday (in ``WEEKS``) the forecast averages
    enough: bool  # at least ``MIN_DAYS`` of them: there is a forecast
    window_hours: int  # advised windows summed over the hours
    hours: tuple[HourPlan, ...]


class StaffingPlan(msgspec.Struct, frozen=True, kw_only=True):
    weeks: int
    min_days: int
    minutes_per_visit: float | None  # None when there is no history at all
    target_min: float | None
    patience_min: float | None  # None: nobody left in the history (Erlang-C)
    today: DayPlan
    tomorrow: DayPlan


class _Model(msgspec.Struct, frozen=True, kw_only=True):
    service_s: float
    target_s: float
    patience_s: float | None


def _model(history: HallHistory, config: HallConfig, start: float, end: float) -> _Model | None:
    known = {s.code: s for s in config.services}
    visits = Counter(v.service for v in history.between(history.visits, start, end) if v.service in known)
    n = sum(visits.values())
    if not n:
        return None
    served_s = sum(x.duration_s for x in history.between(history.served, start, end))
    expected_s = sum(known[code].expected_service_min * 60 * k for code, k in visits.items())
    waited = sum(w.wait_s for w in history.between(history.waits, start, end))
    left = len(history.between(history.no_shows, start, end))
    return _Model(service_s=(served_s if served_s > 0 else expected_s) / n,
                  target_s=sum(known[code].target_wait_min * 60 * k for code, k in visits.items()) / n,
                  patience_s=waited / left if left and waited > 0 else None)


def _open_windows(stretches: list[Stretch], start: float, end: float) -> float:
    seconds = sum(max(min(s.end, end) - max(s.start, start), 0.0) for s in stretches)
    return round(seconds / (end - start), 1)


def _day(history: HallHistory, config: HallConfig, model: _Model | None, day: date, now: float,
         stretches: list[Stretch]) -> DayPlan:
    tz = config.hall.timezone
    history_start, _ = day_bounds(local_date(now, tz), tz)
    arrivals: list[float] = []
    days = 0
    for k in range(1, WEEKS + 1):
        start, end = day_bounds((day - timedelta(days=7 * k)).isoformat(), tz)
        if end > history_start:
            continue  # today (and what follows it) is not history
        that_day = history.between(history.visits, start, end)
        days += bool(that_day)
        arrivals += [v.at for v in that_day]
    enough = days >= MIN_DAYS and model is not None
    advised: dict[int, HourAdvice] = {}
    if enough and model is not None:
        forecast = hourly_forecast(arrivals, day.weekday(), tz)
        advised = {a.hour: a for a in advise(forecast, model.service_s, model.target_s,
                                             mean_patience_s=model.patience_s)}
    day_start, _ = day_bounds(day.isoformat(), tz)
    actual: dict[int, tuple[int, float]] = {}
    for hour in range(24):
        start = day_start + hour * HOUR_S
        if start >= now:
            break
        end = min(start + HOUR_S, now)
        came = len(history.between(history.visits, start, end))
        opened = _open_windows(stretches, start, end)
        if came or opened:
            actual[hour] = (came, opened)
    hours = []
    for hour in sorted(set(advised) | set(actual)):
        a, seen = advised.get(hour), actual.get(hour)
        hours.append(HourPlan(
            hour=hour, label=f"{hour:02d}:00",
            arrivals=round(a.arrivals, 1) if a is not None else None, windows=a.windows if a is not None else None,
            within_target_pct=round(100 * a.within_target) if a is not None else None,
            mean_wait_min=round(a.mean_wait_s / 60, 1) if a is not None else None,
            actual_arrivals=seen[0] if seen is not None else None,
            open_windows=seen[1] if seen is not None else None,
        ))
    return DayPlan(day=day.isoformat(), weekday=day.weekday(), history_days=days, enough=enough,
                   window_hours=sum(a.windows for a in advised.values()), hours=tuple(hours))


def plan(history: HallHistory, config: HallConfig, now: float) -> StaffingPlan:
    tz = config.hall.timezone
    today = date.fromisoformat(local_date(now, tz))
    today_start, _ = day_bounds(today.isoformat(), tz)
    model = _model(history, config, today_start - WEEKS * 7 * 86400.0, today_start)
    running = (Stretch(since, now, w, staff) for w, (since, staff) in history.open_since.items())
    stretches = [s for s in (*history.opens, *running) if s.end > today_start]
    return StaffingPlan(
        weeks=WEEKS, min_days=MIN_DAYS,
        minutes_per_visit=round(model.service_s / 60, 1) if model is not None else None,
        target_min=round(model.target_s / 60, 1) if model is not None else None,
        patience_min=round(model.patience_s / 60, 1) if model is not None and model.patience_s else None,
        today=_day(history, config, model, today, now, stretches),
        tomorrow=_day(history, config, model, today + timedelta(days=1), now, stretches),
    )
