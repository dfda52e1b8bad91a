"""Follow-ups of bad ratings: the stages each needs, deadlines, what may follow what, and the seeds' rates."""

from __future__ import annotations

import pytest

from hall_controller.followups import (
    DAY_S,
    Action,
    Change,
    FollowUp,
    FollowUpError,
    Stage,
    Verdict,
    apply_change,
    on_time,
    overdue,
    rates,
    required,
    stages_due,
)
from hall_controller.history import RatingRow

T = 1_741_568_400.0


def rating(level: int = 1, named: bool = True, key: str = "t1:0") -> RatingRow:
    return RatingRow(key=key, ticket_id=key.split(":")[0], number="A001", day="2025-03-10", step=0, service="S1",
                     window_id="W1", staff_id="zhang", level=level, reasons=(), comment="态度差", rated_at=T,
                     served_at=T - 60, wait_s=600.0, named=named)


def do(fu: FollowUp, r: RatingRow, action: Action, at: float, **kw: object) -> FollowUp:
    return apply_change(fu, r, Change(action=action, **kw), "manager", at)  # type: ignore[arg-type]


def test_a_reasonable_named_complaint_needs_every_stage() -> None:
    r = rating()
    fu = do(FollowUp(key=r.key), r, Action.ASSIGN, T + 60, assignee="li")
    fu = do(fu, r, Action.CONTACT, T + 3600, text="电话联系到本人")
    fu = do(fu, r, Action.VERIFY, T + 2 * DAY_S, verdict=Verdict.REASONABLE, text="属实")
    assert required(fu, r) == (Stage.CONTACT, Stage.VERIFY, Stage.RECTIFY, Stage.REPLY)
    with pytest.raises(FollowUpError) as err:
        do(fu, r, Action.CLOSE, T + 3 * DAY_S, text="x")
    assert "整改" in err.value.message_zh
    fu = do(fu, r, Action.RECTIFY, T + 5 * DAY_S, text="窗口人员培训")
    fu = do(fu, r, Action.REPLY, T + 6 * DAY_S, text="已告知处理结果")
    fu = do(fu, r, Action.CLOSE, T + 6 * DAY_S, text="办结")
    assert on_time(fu, r)
    assert not overdue(fu, r, T + 30 * DAY_S)
    assert [n.action for n in fu.notes] == [Action.ASSIGN, Action.CONTACT, Action.VERIFY, Action.RECTIFY,
                                           Action.REPLY, Action.CLOSE]
    with pytest.raises(FollowUpError):
        do(fu, r, Action.ASSIGN, T + 7 * DAY_S, assignee="wang")  # closed


def test_an_unreasonable_anonymous_one_closes_after_contact_and_verify() -> None:
    r = rating(named=False)
    fu = do(FollowUp(key=r.key), r, Action.CONTACT, T + 3600)
    fu = do(fu, r, Action.VERIFY, T + 3600, verdict=Verdict.UNREASONABLE)
    assert required(fu, r) == (Stage.CONTACT, Stage.VERIFY)
    with pytest.raises(FollowUpError):
        do(fu, r, Action.RECTIFY, T + 3600, text="x")  # nothing to rectify
    fu = do(fu, r, Action.CLOSE, T + 3600, text="经核实不属实")
    assert on_time(fu, r)


def test_deadlines_and_overdue() -> None:
    r = rating()
    fu = FollowUp(key=r.key)
    assert not overdue(fu, r, T + DAY_S - 1)
    assert overdue(fu, r, T + DAY_S + 1)  # not contacted within a day
    due = {d.stage: d for d in stages_due(fu, r, T + 2 * DAY_S)}
    assert due[Stage.CONTACT].overdue
    assert not due[Stage.VERIFY].overdue
    late = do(fu, r, Action.CONTACT, T + 2 * DAY_S)
    late = do(late, r, Action.VERIFY, T + 2 * DAY_S, verdict=Verdict.UNREASONABLE)
    late = do(late, r, Action.REPLY, T + 2 * DAY_S, text="已回复")
    late = do(late, r, Action.CLOSE, T + 2 * DAY_S, text="办结")
    assert not on_time(late, r)  # contacted a day late


def test_the_rules_refuse_what_makes_no_sense() -> None:
    r = rating()
    fu = FollowUp(key=r.key)
    for change in (Change(action=Action.VERIFY), Change(action=Action.REPLY, text="x"),
                   Change(action=Action.ASSIGN, assignee=" "), Change(action=Action.RECTIFY, text="x")):
        with pytest.raises(FollowUpError):
            apply_change(fu, r, change, "manager", T)
    fu = do(fu, r, Action.CONTACT, T)
    with pytest.raises(FollowUpError):
        do(fu, r, Action.CONTACT, T)


def test_the_seeds_rates() -> None:
    bad_named, bad_anon, good = rating(1, True, "a:0"), rating(2, False, "b:0"), rating(5, True, "c:0")
    fus = {
        "a:0": FollowUp(key="a:0", verdict=Verdict.REASONABLE, verified_at=T, rectified_at=T, replied_at=T),
        "b:0": FollowUp(key="b:0", verdict=Verdict.REASONABLE, verified_at=T),
    }
    x = rates([bad_named, bad_anon, good], served=5, followups=fus, now=T + 30 * DAY_S)
    assert (x.ratings, x.served, x.active_rate) == (3, 5, pytest.approx(0.6))
    assert (x.bad, x.reasonable, x.reasonable_rectified, x.rectify_rate) == (2, 2, 1, 0.5)
    assert (x.named_bad, x.named_replied, x.reply_rate) == (1, 1, 1.0)
    assert x.overdue == 2  # neither is closed, and both are past their deadlines
    empty = rates([], served=0, followups={}, now=T)
    assert (empty.active_rate, empty.rectify_rate, empty.reply_rate) == (None, None, None)
