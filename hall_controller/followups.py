"""The follow-up of a bad rating (差评): contact the citizen, verify, rectify, reply; with deadlines. Sans-IO.

The seeds ask for "健全差评和投诉问题调查核实、督促整改和反馈机制，实现合理差评100%整改、实名差评100%回复"
but set no deadlines; the ones here are this project's choice (calendar time from the rating):

    contact (联系)   1 day      the citizen is reached (or the attempt is recorded)
    verify  (核实)   3 days     the verdict: reasonable (合理, the complaint holds) or not
    rectify (整改)  15 days     only for a reasonable one: what was put right
    reply   (回复)  15 days     only for a named one (实名: the citizen identified at the kiosk, so the hall
                                can answer them): what they were told

A follow-up is closed once every stage it needs is done; it is handled on time when each was done by its
deadline. Every change is one :class:`Change`, checked by :func:`apply_change`; the store writes the new
record and its audit line together.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from hall_controller.history import RatingRow
from hall_protocol.errors import OneVisitError

DAY_S = 86400.0


class Stage(StrEnum):
    CONTACT = "contact"
    VERIFY = "verify"
    RECTIFY = "rectify"
    REPLY = "reply"


DEADLINE_S: dict[Stage, float] = {
    Stage.CONTACT: 1 * DAY_S,
    Stage.VERIFY: 3 * DAY_S,
    Stage.RECTIFY: 15 * DAY_S,
    Stage.REPLY: 15 * DAY_S,
}


class Verdict(StrEnum):
    PENDING = "pending"
    REASONABLE = "reasonable"  # 合理差评: the complaint holds, so it must be rectified
    UNREASONABLE = "unreasonable"


class Action(StrEnum):
    ASSIGN = "assign"
    CONTACT = "contact"
    VERIFY = "verify"
    RECTIFY = "rectify"
    REPLY = "reply"
    CLOSE = "close"


Text = Annotated[str, msgspec.Meta(max_length=500)]


class Note(msgspec.Struct, frozen=True, kw_only=True):
    at: float
    by: str
    action: Action
    text: str = ""


class FollowUp(msgspec.Struct, frozen=True, kw_only=True):
    """The stored record of one bad rating's follow-up (``key`` is the rating's)."""

    key: str
    assignee: str = ""
    contacted_at: float | None = None
    verified_at: float | None = None
    verdict: Verdict = Verdict.PENDING
    rectified_at: float | None = None
    replied_at: float | None = None
    closed_at: float | None = None
    outcome: str = ""
    notes: tuple[Note, ...] = ()

    def done_at(self, stage: Stage) -> float | None:
        return {Stage.CONTACT: self.contacted_at, Stage.VERIFY: self.verified_at, Stage.RECTIFY: self.rectified_at,
                Stage.REPLY: self.replied_at}[stage]


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One step a person takes on a follow-up (a form on the console)."""

    action: Action
    assignee: Annotated[str, msgspec.Meta(max_length=32)] = ""
    verdict: Verdict = Verdict.PENDING
    text: Text = ""


class FollowUpError(OneVisitError):
    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


class StageDue(msgspec.Struct, frozen=True, kw_only=True):
    stage: Stage
    deadline: float
    done_at: float | None
    overdue: bool  # not done and past its deadline, or done late


def required(fu: FollowUp, rating: RatingRow) -> tuple[Stage, ...]:
    """The stages this follow-up needs (rectify once verified reasonable; reply when the citizen is named)."""
    stages = [Stage.CONTACT, Stage.VERIFY]
    if fu.verdict is Verdict.REASONABLE:
        stages.append(Stage.RECTIFY)
    if rating.named:
        stages.append(Stage.REPLY)
    return tuple(stages)


def deadline(rating: RatingRow, stage: Stage) -> float:
    return rating.rated_at + DEADLINE_S[stage]


def stages_due(fu: FollowUp, rating: RatingRow, now: float) -> tuple[StageDue, ...]:
    out = []
    for stage in required(fu, rating):
        due, done = deadline(rating, stage), fu.done_at(stage)
        out.append(StageDue(stage=stage, deadline=due, done_at=done,
                            overdue=(done is None and now > due) or (done is not None and done > due)))
    return tuple(out)


def overdue(fu: FollowUp, rating: RatingRow, now: float) -> bool:
    return fu.closed_at is None and any(s.overdue and s.done_at is None for s in stages_due(fu, rating, now))


def on_time(fu: FollowUp, rating: RatingRow) -> bool:
    """Closed, and every stage it needed done by its deadline."""
    return fu.closed_at is not None and all(
        (done := fu.done_at(s)) is not None and done <= deadline(rating, s) for s in required(fu, rating))


def apply_change(fu: FollowUp, rating: RatingRow, change: Change, by: str, now: float) -> FollowUp:
    """The follow-up after ``change`` by ``by``, or :class:`FollowUpError` saying why not."""
    if fu.closed_at is not None:
        raise FollowUpError("this follow-up is closed", "该差评已办结，不能再修改")
    note = Note(at=now, by=by, action=change.action, text=change.text.strip())
    a = change.action
    updates: dict[str, object] = {}
    if a is Action.ASSIGN:
        if not change.assignee.strip():
            raise FollowUpError("name the person who handles it", "请填写责任人")
        updates["assignee"] = change.assignee.strip()
        note = msgspec.structs.replace(note, text=change.assignee.strip())
    elif a is Action.CONTACT:
        _once(fu.contacted_at, "contacted", "已记录联系")
        updates["contacted_at"] = now
    elif a is Action.VERIFY:
        _once(fu.verified_at, "verified", "已核实")
        if change.verdict is Verdict.PENDING:
            raise FollowUpError("say whether the complaint holds", "请选择核实结论：合理或不合理")
        updates.update(verified_at=now, verdict=change.verdict)
        note = msgspec.structs.replace(note, text=f"{change.verdict.value} {note.text}".strip())
    elif a is Action.RECTIFY:
        _once(fu.rectified_at, "rectified", "已整改")
        if fu.verdict is not Verdict.REASONABLE:
            raise FollowUpError("only a complaint verified as reasonable is rectified", "核实为合理差评后才能整改")
        _needs_text(note)
        updates["rectified_at"] = now
    elif a is Action.REPLY:
        _once(fu.replied_at, "replied", "已回复")
        if fu.verified_at is None:
            raise FollowUpError("verify before replying", "请先核实再回复")
        _needs_text(note)
        updates["replied_at"] = now
    elif a is Action.CLOSE:
        missing = [s for s in required(fu, rating) if fu.done_at(s) is None]
        if missing:
            raise FollowUpError(f"still to do: {', '.join(missing)}", "尚有未完成的环节：" + "、".join(
                STAGE_ZH[s] for s in missing))
        _needs_text(note)
        updates.update(closed_at=now, outcome=note.text)
    return msgspec.structs.replace(fu, notes=(*fu.notes, note), **updates)


STAGE_ZH = {Stage.CONTACT: "联系", Stage.VERIFY: "核实", Stage.RECTIFY: "整改", Stage.REPLY: "回复"}


def _once(done: float | None, what: str, what_zh: str) -> None:
    if done is not None:
        raise FollowUpError(f"already {what}", f"{what_zh}，不能重复")


def _needs_text(note: Note) -> None:
    if not note.text:
        raise FollowUpError("write what was done", "请填写处理情况")


class Rates(msgspec.Struct, frozen=True, kw_only=True):
    """The seeds' three rates over a period: 主动评价率 ≥ 40%, 合理差评100%整改, 实名差评100%回复.
    A rate is None when nothing counts towards it."""

    ratings: int
    served: int
    active_rate: float | None  # ratings / finished service steps
    bad: int
    reasonable: int
    reasonable_rectified: int
    rectify_rate: float | None
    named_bad: int
    named_replied: int
    reply_rate: float | None
    overdue: int
    on_time: int
    closed: int


ACTIVE_RATE_TARGET = 0.40


def rates(ratings: list[RatingRow], served: int, followups: dict[str, FollowUp], now: float) -> Rates:
    bad = [r for r in ratings if r.bad]
    fus = [(r, followups.get(r.key) or FollowUp(key=r.key)) for r in bad]
    reasonable = [(r, f) for r, f in fus if f.verdict is Verdict.REASONABLE]
    named = [(r, f) for r, f in fus if r.named]
    return Rates(
        ratings=len(ratings),
        served=served,
        active_rate=len(ratings) / served if served else None,
        bad=len(bad),
        reasonable=len(reasonable),
        reasonable_rectified=sum(1 for _, f in reasonable if f.rectified_at is not None),
        rectify_rate=_share(sum(1 for _, f in reasonable if f.rectified_at is not None), len(reasonable)),
        named_bad=len(named),
        named_replied=sum(1 for _, f in named if f.replied_at is not None),
        reply_rate=_share(sum(1 for _, f in named if f.replied_at is not None), len(named)),
        overdue=sum(1 for r, f in fus if overdue(f, r, now)),
        on_time=sum(1 for r, f in fus if on_time(f, r)),
        closed=sum(1 for _, f in fus if f.closed_at is not None),
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
