"""Estimated waits, positions and efficiency alerts."""

from __future__ import annotations

import pytest

from hall_controller.engine import AlertKind, EngineError, alerts, estimate, estimate_new, position
from hall_protocol.tickets import Priority
from tests.unit.engine.helpers import T0, Hall, cmd, hall_config

MIN = 60.0


def test_position_counts_from_one_and_zero_when_not_waiting() -> None:
    h = Hall()
    h.staff("W1")
    a, b = h.issue("S1"), h.issue("S1")
    assert (position(h.state, a), position(h.state, b)) == (1, 2)
    h.call("W1")
    assert (position(h.state, a), position(h.state, b)) == (0, 1)
    assert estimate(h.state, a, h.now).seconds == 0


def test_estimate_grows_with_position_and_shrinks_with_windows() -> None:
    h = Hall()
    h.staff("W1")
    ids = [h.issue("S2") for _ in range(6)]
    one = [estimate(h.state, t, h.now) for t in ids]
    assert [e.seconds for e in one] == sorted(e.seconds for e in one)
    for e in one:
        assert e.low <= e.seconds <= e.high
        assert e.basis == "open"
    h.staff("W2")  # S2's primary window opens
    two = [estimate(h.state, t, h.now) for t in ids]
    assert two[-1].seconds < one[-1].seconds


def test_next_in_line_at_an_idle_window_waits_nothing() -> None:
    h = Hall()
    h.staff("W1")
    t = h.issue("S1")
    assert estimate(h.state, t, h.now).seconds == 0


def test_estimate_uses_residual_service_time_when_all_busy() -> None:
    h = Hall()
    h.staff("W1")
    h.issue("S1")
    h.call("W1")
    h.send(cmd.StartService, window_id="W1")
    t = h.issue("S1")
    h.now += 2 * MIN
    e = estimate(h.state, t, h.now)
    assert e.seconds == pytest.approx(3 * MIN)  # 5-minute seed, 2 minutes already spent


def test_learned_service_time_changes_the_estimate() -> None:
    h = Hall()
    h.staff("W1")
    for _ in range(5):
        h.issue("S1")
    assert estimate_new(h.state, "S1", h.now).seconds == pytest.approx(5 * 5 * MIN)  # the 5-minute seed
    for _ in range(3):
        h.serve("W1", minutes=15)
    stats = h.state.stats["S1"]
    assert stats.n == 3
    assert stats.mean == pytest.approx(15 * MIN - 10 * MIN * 0.8**3)  # EWMA, alpha 0.2, from 5 towards 15
    assert estimate_new(h.state, "S1", h.now).seconds == pytest.approx(2 * stats.mean)


def test_estimate_without_open_windows_is_wider() -> None:
    h = Hall()
    ids = [h.issue("S1") for _ in range(3)]
    e = estimate(h.state, ids[-1], h.now)
    assert e.basis == "configured"
    assert e.high >= 2 * e.seconds > 0


def test_estimate_of_unknown_ticket() -> None:
    with pytest.raises(EngineError):
        estimate(Hall().state, "nope", T0)


def test_ticket_over_target_and_queue_threshold() -> None:
    h = Hall()
    for _ in range(5):
        h.issue("S1")
    found = alerts(h.state, h.now + 21 * MIN)
    kinds = [a.kind for a in found]
    assert kinds.count(AlertKind.TICKET_OVER_TARGET) == 5
    assert AlertKind.QUEUE_OVER_THRESHOLD in kinds  # threshold 5 for S1
    assert all(a.message_zh and a.message_en for a in found)
    early = alerts(h.state, h.now + 19 * MIN)
    assert [a.kind for a in early] == [AlertKind.QUEUE_OVER_THRESHOLD]


def test_no_over_target_alert_before_the_target() -> None:
    h = Hall()
    h.issue("S1")
    assert [a.kind for a in alerts(h.state, h.now + 19 * MIN)] == []


def test_idle_window_with_people_waiting() -> None:
    h = Hall()
    h.staff("W2")
    assert alerts(h.state, h.now + 5 * MIN) == []  # idle, but nobody waits for S2
    h.issue("S1")  # W2 does not serve S1
    assert alerts(h.state, h.now + 5 * MIN) == []
    h.issue("S2")
    found = alerts(h.state, h.now + 5 * MIN)
    assert [(a.kind, a.window_id) for a in found] == [(AlertKind.WINDOW_IDLE, "W2")]
    h.send(cmd.PauseWindow, window_id="W2", reason="back-office")
    assert alerts(h.state, h.now + 5 * MIN) == []  # a paused window is not idle


def test_service_overrun() -> None:
    h = Hall()
    h.staff("W1")
    t = h.issue("S1")
    h.call("W1")
    h.send(cmd.StartService, window_id="W1")
    assert alerts(h.state, h.now + 9 * MIN) == []
    found = alerts(h.state, h.now + 11 * MIN)  # 2 × 5 minutes expected
    assert [(a.kind, a.ticket_id) for a in found] == [(AlertKind.SERVICE_OVERRUN, t)]


def test_vip_estimate_is_not_behind_everyone() -> None:
    h = Hall()
    h.staff("W1")
    for _ in range(4):
        h.issue("S1")
    vip = h.issue("S1", priority=Priority.VIP)
    assert position(h.state, vip) == 1


def test_the_queue_pace_is_measured_from_calls_that_left_people_waiting() -> None:
    h = Hall()
    h.staff("W2")
    for _ in range(6):
        h.issue("S2")
    for _ in range(4):
        h.serve("W2", minutes=3)  # calls 3 minutes apart, each leaving people waiting
    flow = h.state.flow["S2"]
    assert flow.n == 3
    assert flow.busy
    assert flow.interval == pytest.approx(3 * MIN)
    t = h.issue("S2")
    h.call("W2")
    h.send(cmd.StartService, window_id="W2")
    e = estimate(h.state, t, h.now)
    # the queue stays busy: the next call is due one interval after the last, then one ahead at that pace
    assert position(h.state, t) == 2
    assert e.seconds == pytest.approx(2 * 3 * MIN)
    h.now += MIN
    assert estimate(h.state, t, h.now).seconds == pytest.approx(5 * MIN)
    h.check_rebuild()


def test_the_range_follows_the_days_own_errors() -> None:
    h = Hall()
    h.staff("W2")
    ids = [h.issue("S2") for _ in range(8)]
    told = [estimate(h.state, t, h.now) for t in ids]
    for _ in range(8):
        h.serve("W2", minutes=20)  # twice the 10-minute seed: every wait runs long
    cal = h.state.calibration["S2"]
    assert cal.n == 7
    assert cal.mean > 0
    assert h.state.calibration["S2:idle"].n == 1
    h.issue("S2")
    h.issue("S2")
    later = estimate_new(h.state, "S2", h.now)
    assert later.low <= later.seconds <= later.high
    # the waits ran long, so the range now sits above the raw estimate, more than it did at first
    first = told[-1]
    assert later.high / later.seconds > first.high / first.seconds
    h.check_rebuild()


def test_an_estimate_never_passes_the_call_orders_guarantee() -> None:
    h = Hall(hall_config(routing={"call_order": "onevisit"}, priorities={"normal": 30}))
    h.staff("W2")
    for _ in range(20):
        h.issue("S2")
    t = h.issue("S2")
    # 20 ahead at 10 minutes each, but the ticket is due 10 minutes (one service) before its 30-minute bound
    assert estimate(h.state, t, h.now).seconds == pytest.approx(20 * MIN)
