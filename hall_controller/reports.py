"""Reports per day, week and month, computed from :class:`hall_controller.history.HallHistory` (facts folded
from the stored events). Sans-IO: history, hall config, period, follow-ups and ``now`` in; a :class:`Report`
out (the page, its JSON twin, the API and the CSV all show this one value).

Definitions (the page says them too):

- visits: tickets issued in the period; a several-step visit counts once;
- wait: from the moment the citizen started waiting for a step to its first call (p50/p90: nearest rank);
- within target: waits not longer than the service's ``target_wait_min``, over all first calls;
- service time: from start to finish of a step (parked time excluded), per finished step;
- no-show rate: tickets that ended as no-shows over visits;
- active-rating rate (主动评价率): ratings over finished service steps (each step can be rated once);
- bad ratings handled on time: bad ratings whose follow-up was closed with every stage by its deadline;
- per window and staff: steps finished, service time, paused time and open time within the period (a pause
  or open stretch still running counts up to ``now``); staff are those logged in when it happened.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from operator import attrgetter

import msgspec

from hall_controller.engine.clock import zone
from hall_controller.followups import FollowUp, on_time
from hall_controller.history import HallHistory, RatingRow, Served, Stretch, Visit, Wait
from hall_protocol.hall_config import HallConfig


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Period(msgspec.Struct, frozen=True, kw_only=True):
    kind: PeriodKind
    first_day: str  # YYYY-MM-DD, local
    label: str
    start: float
    end: float
    bucket_starts: tuple[float, ...]
    bucket_labels: tuple[str, ...]


def period_of(kind: PeriodKind, day: str, tz: str) -> Period:
    """The day, the week (Monday first) or the calendar month holding local ``day``; buckets are hours of a
    day, or days of a week or month."""
    d = date.fromisoformat(day)
    z = zone(tz)
    if kind is PeriodKind.DAY:
        first, last = d, d + timedelta(days=1)
        label = d.isoformat()
    elif kind is PeriodKind.WEEK:
        first = d - timedelta(days=d.weekday())
        last = first + timedelta(days=7)
        label = f"{first.isoformat()} – {(last - timedelta(days=1)).isoformat()}"
    else:
        first = d.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
        label = first.strftime("%Y-%m")
    start = datetime.combine(first, time(0), z).timestamp()
    end = datetime.combine(last, time(0), z).timestamp()
    if kind is PeriodKind.DAY:
        starts = tuple(datetime.combine(first, time(h), z).timestamp() for h in range(24))
        labels = tuple(f"{h:02d}:00" for h in range(24))
    else:
        days = [first + timedelta(days=i) for i in range((last - first).days)]
        starts = tuple(datetime.combine(x, time(0), z).timestamp() for x in days)
        labels = tuple(x.strftime("%m-%d") for x in days)
    return Period(kind=kind, first_day=first.isoformat(), label=label, start=start, end=end, bucket_starts=starts,
                  bucket_labels=labels)


class ServiceRow(msgspec.Struct, frozen=True, kw_only=True):
    service: str
    name_zh: str
    name_en: str
    target_wait_s: float
    visits: int
    called: int
    wait_p50_s: float | None
    wait_p90_s: float | None
    within_target: float | None
    served: int
    service_mean_s: float | None
    service_p90_s: float | None


class WorkRow(msgspec.Struct, frozen=True, kw_only=True):
    """One window's or one staff member's work in the period."""

    id: str
    name: str
    served: int
    service_s: float
    mean_service_s: float | None
    paused_s: float
    open_s: float
    ratings: int
    rating_mean: float | None


class Bucket(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    start: float
    visits: int
    served: int
    wait_p50_s: float | None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    period: Period
    visits: int
    called: int
    served: int
    no_shows: int
    no_show_rate: float | None
    wait_p50_s: float | None
    wait_p90_s: float | None
    within_target: float | None
    service_mean_s: float | None
    ratings: int
    active_rating_rate: float | None
    bad_ratings: int
    bad_on_time: int
    bad_on_time_rate: float | None
    services: tuple[ServiceRow, ...]
    windows: tuple[WorkRow, ...]
    staff: tuple[WorkRow, ...]
    buckets: tuple[Bucket, ...]


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mean(total: float, n: int) -> float | None:
    return total / n if n else None


def _overlap(stretches: Iterable[Stretch], start: float, end: float, key: Callable[[Stretch], str]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for s in stretches:
        seconds = min(s.end, end) - max(s.start, start)
        if seconds > 0:
            out[key(s)] += seconds
    return out


def _stretches(done: list[Stretch], running: dict[str, tuple[float, str]], now: float) -> list[Stretch]:
    return [*done, *(Stretch(since, now, window, staff) for window, (since, staff) in running.items())]


def build(history: HallHistory, config: HallConfig, period: Period, followups: dict[str, FollowUp],
          now: float) -> Report:
    s, e = period.start, period.end
    visits = history.between(history.visits, s, e)
    waits = history.between(history.waits, s, e)
    served = history.between(history.served, s, e)
    no_shows = history.between(history.no_shows, s, e)
    ratings: list[RatingRow] = history.between(history.ratings, s, e, key=attrgetter("rated_at"))
    targets = {svc.code: svc.target_wait_min * 60.0 for svc in config.services}

    visits_by: dict[str, int] = defaultdict(int)
    for v in visits:
        visits_by[v.service] += 1
    waits_by: dict[str, list[float]] = defaultdict(list)
    for w in waits:
        waits_by[w.service].append(w.wait_s)
    durations_by: dict[str, list[float]] = defaultdict(list)
    for x in served:
        durations_by[x.service].append(x.duration_s)

    services = []
    within_all = 0
    for svc in config.services:
        ws = sorted(waits_by.get(svc.code, []))
        ds = sorted(durations_by.get(svc.code, []))
        within = bisect.bisect_right(ws, targets[svc.code])
        within_all += within
        if not (ws or ds or visits_by.get(svc.code)):
            continue
        services.append(ServiceRow(
            service=svc.code, name_zh=svc.name_zh, name_en=svc.name_en, target_wait_s=targets[svc.code],
            visits=visits_by.get(svc.code, 0), called=len(ws), wait_p50_s=percentile(ws, 0.5),
            wait_p90_s=percentile(ws, 0.9), within_target=_share(within, len(ws)), served=len(ds),
            service_mean_s=_mean(sum(ds), len(ds)), service_p90_s=percentile(ds, 0.9),
        ))

    all_waits = sorted(w.wait_s for w in waits)
    bad = [r for r in ratings if r.bad]
    bad_on_time = sum(1 for r in bad if (f := followups.get(r.key)) is not None and on_time(f, r))
    return Report(
        period=period,
        visits=len(visits),
        called=len(all_waits),
        served=len(served),
        no_shows=len(no_shows),
        no_show_rate=_share(len(no_shows), len(visits)),
        wait_p50_s=percentile(all_waits, 0.5),
        wait_p90_s=percentile(all_waits, 0.9),
        within_target=_share(within_all, len(all_waits)),
        service_mean_s=_mean(sum(x.duration_s for x in served), len(served)),
        ratings=len(ratings),
        active_rating_rate=_share(len(ratings), len(served)),
        bad_ratings=len(bad),
        bad_on_time=bad_on_time,
        bad_on_time_rate=_share(bad_on_time, len(bad)),
        services=tuple(services),
        windows=_work(history, config, period, served, ratings, now, by_window=True),
        staff=_work(history, config, period, served, ratings, now, by_window=False),
        buckets=_buckets(period, visits, served, waits),
    )


def _work(history: HallHistory, config: HallConfig, period: Period, served: list[Served], ratings: list[RatingRow],
          now: float, *, by_window: bool) -> tuple[WorkRow, ...]:
    who_served: Callable[[Served], str] = attrgetter("window_id") if by_window else attrgetter("staff_id")
    count: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    for x in served:
        who = who_served(x)
        count[who] += 1
        seconds[who] += x.duration_s
    who_of: Callable[[Stretch], str] = attrgetter("window_id") if by_window else attrgetter("staff_id")
    paused = _overlap(_stretches(history.pauses, history.paused_since, now), period.start, period.end, who_of)
    opened = _overlap(_stretches(history.opens, history.open_since, now), period.start, period.end, who_of)
    levels: dict[str, list[int]] = defaultdict(list)
    for r in ratings:
        levels[r.window_id if by_window else r.staff_id].append(r.level)
    names = {w.id: w.name_zh for w in config.windows} if by_window else {}
    ids = sorted((set(count) | set(paused) | set(opened) | set(levels)) - {""})
    return tuple(
        WorkRow(id=i, name=names.get(i, i), served=count.get(i, 0), service_s=seconds.get(i, 0.0),
                mean_service_s=_mean(seconds.get(i, 0.0), count.get(i, 0)), paused_s=paused.get(i, 0.0),
                open_s=opened.get(i, 0.0), ratings=len(levels.get(i, [])),
                rating_mean=_mean(sum(levels.get(i, [])), len(levels.get(i, []))))
        for i in ids
    )


def _buckets(period: Period, visits: list[Visit], served: list[Served], waits: list[Wait]) -> tuple[Bucket, ...]:
    starts = period.bucket_starts
    n = len(starts)
    v, d = [0] * n, [0] * n
    w: list[list[float]] = [[] for _ in range(n)]
    for a in visits:
        v[bisect.bisect_right(starts, a.at) - 1] += 1
    for b in served:
        d[bisect.bisect_right(starts, b.at) - 1] += 1
    for c in waits:
        w[bisect.bisect_right(starts, c.at) - 1].append(c.wait_s)
    return tuple(Bucket(label=period.bucket_labels[i], start=starts[i], visits=v[i], served=d[i],
                        wait_p50_s=percentile(sorted(w[i]), 0.5)) for i in range(n))


# CSV ---------------------------------------------------------------------------------------------


def _num(x: float | None, digits: int = 0) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.1f}%"


def to_csv(report: Report) -> str:
    """The report as CSV in sections (summary, services, windows, staff, per bucket), with a BOM so that
    spreadsheet programs read the Chinese as UTF-8."""
    out = io.StringIO()
    w = csv.writer(out)
    r = report
    w.writerow(["报表 report", r.period.kind.value, r.period.label])
    w.writerow([])
    w.writerow(["指标 measure", "值 value"])
    for label, value in (
        ("办件量 visits", str(r.visits)), ("叫号 called", str(r.called)), ("办结 served steps", str(r.served)),
        ("过号 no-shows", str(r.no_shows)), ("过号率 no-show rate", _pct(r.no_show_rate)),
        ("等候中位数(秒) wait p50 s", _num(r.wait_p50_s)), ("等候P90(秒) wait p90 s", _num(r.wait_p90_s)),
        ("目标时限内 within target", _pct(r.within_target)),
        ("平均办理(秒) mean service s", _num(r.service_mean_s)),
        ("评价数 ratings", str(r.ratings)), ("主动评价率 active-rating rate", _pct(r.active_rating_rate)),
        ("差评 bad ratings", str(r.bad_ratings)), ("按时处理 handled on time", str(r.bad_on_time)),
        ("按时处理率 on-time rate", _pct(r.bad_on_time_rate)),
    ):
        w.writerow([label, value])
    w.writerow([])
    w.writerow(["业务 service", "名称 name", "办件 visits", "叫号 called", "等候P50(秒)", "等候P90(秒)",
                "目标内 within target", "办结 served", "平均办理(秒)", "办理P90(秒)"])
    for s in r.services:
        w.writerow([s.service, s.name_zh, s.visits, s.called, _num(s.wait_p50_s), _num(s.wait_p90_s),
                    _pct(s.within_target), s.served, _num(s.service_mean_s), _num(s.service_p90_s)])
    for title, rows in (("窗口 window", r.windows), ("工作人员 staff", r.staff)):
        w.writerow([])
        w.writerow([title, "名称 name", "办结 served", "办理(秒) service s", "平均(秒) mean s", "暂停(秒) paused s",
                    "开窗(秒) open s", "评价 ratings", "平均评分 mean rating"])
        for x in rows:
            w.writerow([x.id, x.name, x.served, _num(x.service_s), _num(x.mean_service_s), _num(x.paused_s),
                        _num(x.open_s), x.ratings, _num(x.rating_mean, 2)])
    w.writerow([])
    w.writerow(["时段 bucket", "办件 visits", "办结 served", "等候P50(秒) wait p50 s"])
    for b in r.buckets:
        w.writerow([b.label, b.visits, b.served, _num(b.wait_p50_s)])
    return "\ufeff" + out.getvalue()
