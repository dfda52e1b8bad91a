"""好差评 on the console: every rating of a period with its ticket, step, window, staff, wait and comment; the
seeds' three rates; each bad rating's follow-up (contact, verify, rectify, reply) with deadlines, assignee and
outcome, overdue ones highlighted. Follow-up changes are written with their audit line (``records.py``)."""

from __future__ import annotations

from datetime import date

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.followups import (
    ACTIVE_RATE_TARGET,
    STAGE_ZH,
    Action,
    Change,
    FollowUp,
    FollowUpError,
    Stage,
    Verdict,
    overdue,
    rates,
    required,
    stages_due,
)
from hall_controller.history import RatingRow
from hall_controller.reports import Period, PeriodKind, period_of
from hall_controller.web.auth import context, origin_of, requires
from hall_controller.web.formatting import local, minutes, percent, today
from hall_controller.web.render import lang_of, page
from hall_controller.web.texts import text

LEVELS = {5: "rating.level.5", 4: "rating.level.4", 3: "rating.level.3", 2: "rating.level.2", 1: "rating.level.1"}
MAX_ROWS = 500


class RatingItem(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    number: str
    service: str
    service_name: str
    step: int  # 1 = the visit's first service
    window: str
    staff: str
    wait_min: str
    level: int
    level_text: str
    reasons: str
    comment: str
    rated_at: str
    named: bool
    bad: bool
    assignee: str = ""
    status: str = ""
    overdue: bool = False
    url: str = ""


class RateView(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    value: str
    detail: str
    target: str
    ok: bool | None  # None: nothing to measure yet


class PeriodLink(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    url: str
    active: bool


class RatingsPage(msgspec.Struct, frozen=True, kw_only=True):
    period: str
    kind: str
    day: str
    periods: tuple[PeriodLink, ...]
    only_bad: bool
    rates: tuple[RateView, ...]
    items: tuple[RatingItem, ...]
    total: int


class StageView(msgspec.Struct, frozen=True, kw_only=True):
    stage: Stage
    label: str
    deadline: str
    done_at: str
    state: str  # done, late (done after its deadline), overdue, open


class NoteView(msgspec.Struct, frozen=True, kw_only=True):
    at: str
    by: str
    action: str
    text: str


class FollowUpPage(msgspec.Struct, frozen=True, kw_only=True):
    rating: RatingItem
    followup: FollowUp
    stages: tuple[StageView, ...]
    notes: tuple[NoteView, ...]
    actions: tuple[Action, ...]
    closed: bool
    can_change: bool
    error: str = ""


def _period(request: Request, now: float, tz: str) -> Period:
    kind = request.query_params.get("kind", "month")
    day = request.query_params.get("day", "") or today(now, tz)
    try:
        date.fromisoformat(day)
        return period_of(PeriodKind(kind), day, tz)
    except ValueError:
        return period_of(PeriodKind.MONTH, today(now, tz), tz)


def status_of(fu: FollowUp, rating: RatingRow, lang: str) -> str:
    if fu.closed_at is not None:
        return text("ratings.status.closed", lang)
    for stage in required(fu, rating):
        if fu.done_at(stage) is None:
            return text(f"ratings.status.{stage.value}", lang)
    return text("ratings.status.ready", lang)


def item_of(r: RatingRow, request: Request, followups: dict[str, FollowUp], now: float) -> RatingItem:
    ctx = context(request)
    lang = lang_of(request)
    config = ctx.config
    svc = config.service(r.service) if r.service in {s.code for s in config.services} else None
    windows = {w.id: w.name_zh if lang == "zh" else w.name_en for w in config.windows}
    fu = followups.get(r.key) or FollowUp(key=r.key)
    return RatingItem(
        key=r.key, number=r.number, service=r.service,
        service_name=(svc.name_zh if lang == "zh" else svc.name_en) if svc else r.service,
        step=r.step + 1, window=windows.get(r.window_id, r.window_id), staff=r.staff_id, wait_min=minutes(r.wait_s),
        level=r.level, level_text=text(LEVELS.get(r.level, ""), lang), reasons="、".join(r.reasons),
        comment=r.comment, rated_at=local(r.rated_at, config.hall.timezone), named=r.named, bad=r.bad,
        assignee=fu.assignee if r.bad else "", status=status_of(fu, r, lang) if r.bad else "",
        overdue=r.bad and overdue(fu, r, now), url=f"/console/ratings/{r.key}" if r.bad else "",
    )


def _rate(label: str, share: float | None, part: int, whole: int, target: float, target_text: str) -> RateView:
    return RateView(label=label, value=percent(share), detail=f"{part}/{whole}", target=target_text,
                    ok=None if share is None else share >= target)


@requires(permissions.RATINGS_VIEW)
async def ratings_page(request: Request) -> Response:
    ctx = context(request)
    lang = lang_of(request)
    now = ctx.clock()
    tz = ctx.config.hall.timezone
    period = _period(request, now, tz)
    history = await ctx.records.current()
    followups = await ctx.records.followups()
    rows: list[RatingRow] = history.between(history.ratings, period.start, period.end, key=lambda r: r.rated_at)
    served = len(history.between(history.served, period.start, period.end))
    x = rates(rows, served, followups, now)
    only_bad = request.query_params.get("only") == "bad"
    shown = [r for r in rows if r.bad or not only_bad]
    items = tuple(item_of(r, request, followups, now) for r in reversed(shown[-MAX_ROWS:]))
    rate_views = (
        _rate(text("ratings.rate.active", lang), x.active_rate, x.ratings, x.served, ACTIVE_RATE_TARGET, "≥ 40%"),
        _rate(text("ratings.rate.rectify", lang), x.rectify_rate, x.reasonable_rectified, x.reasonable, 1.0, "100%"),
        _rate(text("ratings.rate.reply", lang), x.reply_rate, x.named_replied, x.named_bad, 1.0, "100%"),
        RateView(label=text("ratings.rate.overdue", lang), value=str(x.overdue), detail=f"{x.overdue}/{x.bad}",
                 target="0", ok=x.overdue == 0),
    )
    day = period.first_day
    periods = tuple(
        PeriodLink(label=text(f"reports.kind.{k.value}", lang), url=f"/console/ratings?kind={k.value}&day={day}",
                   active=k is period.kind) for k in PeriodKind)
    data = RatingsPage(period=period.label, kind=period.kind.value, day=day, periods=periods, only_bad=only_bad,
                       rates=rate_views, items=items, total=len(shown))
    return page(request, "ratings.html", data)


async def _followup_data(request: Request, error: str = "") -> FollowUpPage | None:
    ctx = context(request)
    lang = lang_of(request)
    history = await ctx.records.current()
    rating = history.rating(request.path_params["key"].removesuffix(".json"))
    if rating is None or not rating.bad:
        return None
    followups = await ctx.records.followups()
    fu = followups.get(rating.key) or FollowUp(key=rating.key)
    now = ctx.clock()
    tz = ctx.config.hall.timezone
    stages = tuple(
        StageView(stage=d.stage, label=STAGE_ZH[d.stage] if lang == "zh" else d.stage.value,
                  deadline=local(d.deadline, tz), done_at=local(d.done_at, tz),
                  state="late" if d.done_at is not None and d.overdue else "done" if d.done_at is not None
                  else "overdue" if d.overdue else "open")
        for d in stages_due(fu, rating, now))
    notes = tuple(NoteView(at=local(n.at, tz), by=n.by, action=text(f"ratings.action.{n.action.value}", lang),
                           text=n.text) for n in fu.notes)
    closed = fu.closed_at is not None
    actions = () if closed else tuple(a for a in Action if _offered(a, fu, rating))
    return FollowUpPage(rating=item_of(rating, request, followups, now), followup=fu, stages=stages, notes=notes,
                        actions=actions, closed=closed,
                        can_change=permissions.allowed(request.state.actor, permissions.RATINGS_FOLLOW_UP),
                        error=error)


def _offered(action: Action, fu: FollowUp, rating: RatingRow) -> bool:
    """The forms worth showing now (the rules in ``followups.apply_change`` still decide)."""
    if action is Action.CONTACT:
        return fu.contacted_at is None
    if action is Action.VERIFY:
        return fu.verified_at is None
    if action is Action.RECTIFY:
        return fu.verdict is Verdict.REASONABLE and fu.rectified_at is None
    if action is Action.REPLY:
        return rating.named and fu.verified_at is not None and fu.replied_at is None
    if action is Action.CLOSE:
        return all(fu.done_at(s) is not None for s in required(fu, rating))
    return True


@requires(permissions.RATINGS_VIEW)
async def followup_page(request: Request) -> Response:
    data = await _followup_data(request)
    if data is None:
        return page(request, "error.html", _Missing(), 404, message=text("error.not_found", lang_of(request)))
    return page(request, "followup.html", data)


class _Missing(msgspec.Struct, frozen=True):
    error: str = "not-found"


@requires(permissions.RATINGS_FOLLOW_UP)
async def followup_change(request: Request) -> Response:
    ctx = context(request)
    lang = lang_of(request)
    key = request.path_params["key"]
    history = await ctx.records.current()
    rating = history.rating(key)
    if rating is None or not rating.bad:
        return page(request, "error.html", _Missing(), 404, message=text("error.not_found", lang))
    form = await request.form()
    try:
        change = msgspec.convert({k: str(v) for k, v in form.items() if k != "csrf" and str(v) != ""}, Change)
        await ctx.records.change_followup(request.state.actor, rating, change, origin_of(request), ctx.clock())
    except (msgspec.ValidationError, FollowUpError) as err:
        message = (err.message_zh if lang == "zh" else err.message_en) if isinstance(err, FollowUpError) else str(err)
        data = await _followup_data(request, error=message)
        assert data is not None
        return page(request, "followup.html", data, 409)
    return RedirectResponse(f"/console/ratings/{key}", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/console/ratings", ratings_page),
    Route("/console/ratings.json", ratings_page),
    Route("/console/ratings/{key}/follow-up", followup_change, methods=["POST"]),
    Route("/console/ratings/{key}", followup_page),
]
