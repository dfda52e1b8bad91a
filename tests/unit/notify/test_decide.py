"""Which messages events mean: calls, recalls, no-shows, and one pre-alert per step near the front."""

from __future__ import annotations

from hall_controller.engine import events as ev
from hall_controller.notify.decide import plan
from hall_controller.notify.messages import NoticeKind
from tests.unit.engine.helpers import Hall, cmd, hall_config


def _plan(h: Hall, events: list[ev.Event], reachable: set[str], alerted: set[tuple[str, int]]) -> list[str]:
    return [f"{p.notice.kind}:{p.notice.number}:{p.notice.ahead}"
            for p in plan(events, h.state, reachable.__contains__, alerted, "https://hall.test", h.now)]


def test_pre_alert_once_when_a_ticket_reaches_the_position() -> None:
    h = Hall(hall_config(calling={"pre_alert_positions": 2}))
    h.staff("W1")
    alerted: set[tuple[str, int]] = set()
    ids = [h.issue("S1") for _ in range(4)]  # A001..A004
    reach = {ids[3]}
    assert _plan(h, [], reach, alerted) == []
    call = h.send(cmd.CallNext, window_id="W1")  # A001 leaves: A004 is third
    assert _plan(h, call, reach, alerted) == []
    h.send(cmd.StartService, window_id="W1")
    h.send(cmd.FinishService, window_id="W1")
    call = h.send(cmd.CallNext, window_id="W1")  # A002 leaves: A004 is second (one ahead)
    assert _plan(h, call, reach, alerted) == ["pre-alert:A004:1"]
    h.send(cmd.StartService, window_id="W1")
    h.send(cmd.FinishService, window_id="W1")
    call = h.send(cmd.CallNext, window_id="W1")  # A003 leaves: A004 is next, but was alerted already
    assert _plan(h, call, reach, alerted) == []


def test_a_short_queue_alerts_at_issue() -> None:
    h = Hall()
    alerted: set[tuple[str, int]] = set()
    events = h.send(cmd.IssueTicket, service="S1")
    tid = events[-1].ticket_id  # type: ignore[union-attr]
    assert _plan(h, events, {tid}, alerted) == ["pre-alert:A001:0"]


def test_calls_recalls_and_no_shows_of_reachable_tickets_only() -> None:
    h = Hall(hall_config(calling={"pre_alert_positions": 0}))
    h.staff("W1")
    mine, other = h.issue("S1"), h.issue("S1")
    reach = {mine}
    alerted: set[tuple[str, int]] = set()
    assert _plan(h, h.send(cmd.CallNext, window_id="W1"), reach, alerted) == ["called:A001:0"]
    recall = h.send(cmd.SweepCalls, now=h.now + 60)
    assert _plan(h, recall, reach, alerted) == ["recalled:A001:0"]
    h.send(cmd.SweepCalls, now=h.now + 60)
    no_show = h.send(cmd.SweepCalls, now=h.now + 120)
    planned = plan(no_show, h.state, reach.__contains__, alerted, "https://hall.test", h.now)
    assert [p.notice.kind for p in planned] == [NoticeKind.RECYCLED]
    assert planned[0].notice.status_url.startswith(f"https://hall.test/t/test/{mine}?k=")
    assert _plan(h, h.send(cmd.CallNext, window_id="W1"), reach, alerted) == []  # `other` is not reachable
    assert other not in reach


def test_message_keys_follow_the_events() -> None:
    h = Hall()
    h.staff("W1")
    tid = h.issue("S1")
    alerted: set[tuple[str, int]] = set()
    call = h.send(cmd.CallNext, window_id="W1")
    planned = plan(call, h.state, {tid}.__contains__, alerted, "", h.now)
    keys = [p.key for p in planned]
    assert f"{tid}:1" in keys  # the call id
    again = plan(call, h.state, {tid}.__contains__, set(), "", h.now)
    assert [p.key for p in again if p.notice.kind is NoticeKind.CALLED] == [f"{tid}:1"]
