"""The call-next rule: deadlines (priority with ageing), overdue first, skill tiers, arrival order."""

from __future__ import annotations

from hall_controller.engine import pick_next
from hall_protocol.tickets import Priority
from tests.unit.engine.helpers import T0, Hall, cmd

MIN = 60.0


def test_arrival_order_within_a_class() -> None:
    h = Hall()
    h.staff("W1")
    first = h.issue("S1")
    h.now += 1
    h.issue("S1")
    assert h.call("W1") == first


def test_green_goes_ahead_of_recent_normals_but_not_of_old_ones() -> None:
    h = Hall()
    h.staff("W1")
    old = h.issue("S1", now=T0)  # deadline T0 + 90 min
    recent = h.issue("S1", now=T0 + 70 * MIN)  # deadline T0 + 160 min
    green = h.issue("S1", now=T0 + 80 * MIN, priority=Priority.GREEN)  # deadline T0 + 95 min
    assert h.serve("W1") == old
    assert h.serve("W1") == green
    assert h.serve("W1") == recent


def test_vip_first_when_everyone_has_slack() -> None:
    h = Hall()
    h.staff("W1")
    h.issue("S1")
    vip = h.issue("S1", now=T0 + 5 * MIN, priority=Priority.VIP)
    assert h.call("W1") == vip


def test_primary_skill_before_secondary() -> None:
    h = Hall()
    h.staff("W1")  # S1 weight 1.0, S2 weight 0.5
    s2 = h.issue("S2", now=T0)
    s1 = h.issue("S1", now=T0 + MIN)
    assert h.serve("W1") == s1
    assert h.serve("W1") == s2  # secondary served once the primary queue is empty


def test_overdue_secondary_beats_primary() -> None:
    h = Hall()
    h.staff("W1")
    s2 = h.issue("S2", now=T0)  # normal: overdue after 90 min
    h.issue("S1", now=T0 + 95 * MIN, priority=Priority.VIP)
    assert h.call("W1", now=T0 + 95 * MIN) == s2


def test_earliest_deadline_among_overdue() -> None:
    h = Hall()
    h.staff("W3")  # comprehensive: S1, S2, S3 at 0.5
    a = h.issue("S2", now=T0)  # deadline T0+90
    b = h.issue("S1", now=T0 + 10 * MIN, priority=Priority.GREEN)  # deadline T0+25
    h.now = T0 + 100 * MIN
    assert h.serve("W3") == b
    assert h.serve("W3") == a


def test_recycled_no_show_goes_behind_those_waiting() -> None:
    h = Hall(now=T0)
    h.staff("W1")
    late = h.issue("S1")
    h.call("W1")
    others = [h.issue("S1", now=h.now + MIN) for _ in range(2)]
    h.send(cmd.MarkNoShow, now=h.now + 130, window_id="W1")
    assert h.serve("W1") == others[0]
    assert h.serve("W1") == others[1]
    assert h.serve("W1") == late


def test_pick_next_is_none_without_candidates() -> None:
    h = Hall()
    h.issue("S1")
    assert pick_next(h.state, "W2", h.now) is None  # W2 serves only S2
    key = pick_next(h.state, "W3", h.now)
    assert key is not None
