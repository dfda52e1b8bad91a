"""Reports from the facts of a known day driven through the real engine: every number is worked out by hand."""

from __future__ import annotations

import pytest

from hall_controller.followups import Action, Change, FollowUp, Verdict, apply_change
from hall_controller.history import HallHistory
from hall_controller.reports import PeriodKind, build, percentile, period_of, to_csv
from tests.unit.engine.helpers import DAY, T0, Hall, at, cmd, hall_config

MIN = 60.0


def _day() -> Hall:
    """09:00 W1 and W2 open. Visits: A001 (S1, 09:00, named 张*), A002 (S1, 09:10), B001 (S2, 09:10),
    A003 (S1, 09:55, no-show). W1 serves A001 09:20-09:25; W2 serves B001 09:20-09:30 and pauses 09:30-09:40;
    W1 serves A002 09:50-09:55 (waited 40 min, past the 20-min target); A003 is called 09:55, no-show 09:58.
    Ratings: A001 level 2 "等太久", B001 level 5."""
    h = Hall(hall_config(calling={"recycle_no_show": False}), now=T0)
    h.staff("W1")
    h.staff("W2")
    a1 = h.issue("S1", now=T0, masked_name="张*")
    a2 = h.issue("S1", now=T0 + 10 * MIN)
    b1 = h.issue("S2", now=T0 + 10 * MIN)
    assert h.call("W1", now=T0 + 20 * MIN) == a1
    h.send(cmd.StartService, window_id="W1")
    h.send(cmd.FinishService, now=T0 + 25 * MIN, window_id="W1")
    assert h.call("W2", now=T0 + 20 * MIN) == b1
    h.send(cmd.StartService, window_id="W2")
    h.send(cmd.FinishService, now=T0 + 30 * MIN, window_id="W2")
    h.send(cmd.PauseWindow, window_id="W2", reason="break")
    h.send(cmd.ResumeWindow, now=T0 + 40 * MIN, window_id="W2")
    assert h.call("W1", now=T0 + 50 * MIN) == a2
    h.send(cmd.StartService, window_id="W1")
    h.send(cmd.FinishService, now=T0 + 55 * MIN, window_id="W1")
    a3 = h.issue("S1", now=T0 + 55 * MIN)
    assert h.call("W1") == a3
    h.send(cmd.MarkNoShow, now=T0 + 58 * MIN, window_id="W1")
    h.send(cmd.RecordRating, now=T0 + 59 * MIN, ticket_id=a1, level=2, comment="等太久")
    h.send(cmd.RecordRating, ticket_id=b1, level=5)
    return h


def _history(h: Hall) -> HallHistory:
    history = HallHistory()
    history.feed(h.log)
    return history


def test_a_day_by_hand() -> None:
    h = _day()
    history = _history(h)
    config = h.config
    r = build(history, config, period_of(PeriodKind.DAY, DAY, config.hall.timezone), {}, now=at(DAY, "10:00"))
    assert (r.visits, r.called, r.served, r.no_shows) == (4, 4, 3, 1)
    assert r.no_show_rate == pytest.approx(1 / 4)
    # waits: A001 20 min, B001 10 min, A002 40 min, A003 0 → sorted 0, 10, 20, 40 (nearest rank)
    assert (r.wait_p50_s, r.wait_p90_s) == (10 * MIN, 40 * MIN)
    # targets: S1 20 min (A001 ≤, A002 >, A003 ≤), S2 30 min (B001 ≤): 3 of 4
    assert r.within_target == pytest.approx(3 / 4)
    assert r.service_mean_s == pytest.approx((5 + 10 + 5) * MIN / 3)
    assert (r.ratings, r.active_rating_rate, r.bad_ratings, r.bad_on_time) == (2, pytest.approx(2 / 3), 1, 0)
    s1, s2 = r.services
    assert (s1.service, s1.visits, s1.called, s1.served) == ("S1", 3, 3, 2)
    assert (s1.wait_p50_s, s1.wait_p90_s, s1.within_target) == (20 * MIN, 40 * MIN, pytest.approx(2 / 3))
    assert (s2.service, s2.visits, s2.wait_p50_s, s2.service_mean_s) == ("S2", 1, 10 * MIN, 10 * MIN)
    w1, w2 = r.windows
    assert (w1.id, w1.served, w1.service_s, w1.paused_s, w1.rating_mean) == ("W1", 2, 10 * MIN, 0.0, 2.0)
    assert (w2.id, w2.served, w2.paused_s, w2.ratings) == ("W2", 1, 10 * MIN, 1)
    assert w1.open_s == pytest.approx(60 * MIN)  # open since 09:00, still open at 10:00
    staff = {x.id: x for x in r.staff}
    assert staff["staff-W2"].paused_s == 10 * MIN
    assert staff["staff-W1"].served == 2
    nine = r.buckets[9]
    assert (nine.label, nine.visits, nine.served) == ("09:00", 4, 3)
    assert sum(b.visits for b in r.buckets) == 4


def test_bad_ratings_handled_on_time_count_in_the_report() -> None:
    h = _day()
    history = _history(h)
    (bad,) = [x for x in history.ratings if x.bad]
    assert (bad.number, bad.comment, bad.named, bad.staff_id, bad.wait_s) == ("A001", "等太久", True, "staff-W1",
                                                                              20 * MIN)
    fu, t = FollowUp(key=bad.key), bad.rated_at
    for change in (Change(action=Action.CONTACT, text="电话联系"),
                   Change(action=Action.VERIFY, verdict=Verdict.REASONABLE),
                   Change(action=Action.RECTIFY, text="增开窗口"), Change(action=Action.REPLY, text="已回复"),
                   Change(action=Action.CLOSE, text="办结")):
        t += 3600
        fu = apply_change(fu, bad, change, "manager", t)
    config = h.config
    r = build(history, config, period_of(PeriodKind.WEEK, DAY, config.hall.timezone), {bad.key: fu}, now=t)
    assert (r.bad_ratings, r.bad_on_time, r.bad_on_time_rate) == (1, 1, 1.0)
    assert r.period.label == "2025-03-10 – 2025-03-16"
    assert len(r.buckets) == 7
    assert r.buckets[0].visits == 4


def test_periods_and_percentiles() -> None:
    month = period_of(PeriodKind.MONTH, "2025-02-14", "Asia/Shanghai")
    assert (month.first_day, month.label, len(month.bucket_starts)) == ("2025-02-01", "2025-02", 28)
    assert month.end - month.start == 28 * 86400
    week = period_of(PeriodKind.WEEK, "2025-03-16", "Asia/Shanghai")  # a Sunday
    assert week.first_day == "2025-03-10"
    assert percentile([], 0.5) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == 4.0
    assert percentile([5.0], 0.9) == 5.0


def test_csv_has_every_section() -> None:
    h = _day()
    config = h.config
    r = build(_history(h), config, period_of(PeriodKind.DAY, DAY, config.hall.timezone), {}, now=at(DAY, "10:00"))
    text = to_csv(r)
    assert text.startswith("\ufeff")
    for needle in ("主动评价率", "S1,业务一,3,3,1200,2400,66.7%,2,300,300", "W1,1号窗口,2,600", "staff-W2",
                   "09:00,4,3,600"):
        assert needle in text


def test_stored_events_feed_incrementally() -> None:
    import msgspec

    h = _day()
    rows = [(i + 1, msgspec.json.encode(e)) for i, e in enumerate(h.log)]
    history = HallHistory()
    history.feed_stored(rows[:10])
    history.feed_stored(rows)  # the first ten again, then the rest: each counted once
    assert history.seq == len(rows)
    assert len(history.visits) == 4
    assert len(history.ratings) == 2
