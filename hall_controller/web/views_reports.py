"""Reports on the console: a day, a week or a month read from the stored events (``reports.py``), with
charts (ECharts, drawn by ``static/reports.js`` from the data the page carries) and a CSV download."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.reports import Period, PeriodKind, Report, WorkRow, build, period_of, to_csv
from hall_controller.web.auth import context, requires
from hall_controller.web.formatting import hours, minutes, percent, today
from hall_controller.web.render import lang_of, page
from hall_controller.web.texts import text
from hall_controller.web.views_ratings import PeriodLink


class Figure(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    value: str
    note: str = ""


class ServiceLine(msgspec.Struct, frozen=True, kw_only=True):
    service: str
    name: str
    visits: int
    called: int
    wait_p50: str
    wait_p90: str
    target: str
    within_target: str
    served: int
    service_mean: str
    service_p90: str


class WorkLine(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    served: int
    service_h: str
    mean_service: str
    paused_h: str
    open_h: str
    ratings: int
    rating_mean: str


class Chart(msgspec.Struct, frozen=True, kw_only=True):
    """What the page's charts draw (wait in minutes)."""

    labels: tuple[str, ...]
    visits: tuple[int, ...]
    served: tuple[int, ...]
    wait_p50_min: tuple[float | None, ...]
    services: tuple[str, ...]
    service_wait_p50_min: tuple[float | None, ...]
    service_wait_p90_min: tuple[float | None, ...]
    names: dict[str, str]


class ReportsPage(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    label: str
    day: str
    previous: str
    next: str
    periods: tuple[PeriodLink, ...]
    figures: tuple[Figure, ...]
    services: tuple[ServiceLine, ...]
    windows: tuple[WorkLine, ...]
    staff: tuple[WorkLine, ...]
    chart: Chart
    csv_url: str
    report: Report


def period_from(request: Request) -> Period:
    """The period the query names (``kind``, ``day``); a bad one falls back to this month."""
    ctx = context(request)
    tz = ctx.config.hall.timezone
    now_day = today(ctx.clock(), tz)
    try:
        kind = PeriodKind(request.query_params.get("kind", "day"))
        day = request.query_params.get("day", "") or now_day
        date.fromisoformat(day)
    except ValueError:
        kind, day = PeriodKind.MONTH, now_day
    return period_of(kind, day, tz)


async def report_for(request: Request, period: Period) -> Report:
    ctx = context(request)
    history = await ctx.records.current()
    return build(history, ctx.config, period, await ctx.records.followups(), ctx.clock())


def _min(x: float | None) -> float | None:
    return None if x is None else round(x / 60, 1)


def _shift(period: Period, forward: bool) -> str:
    first = date.fromisoformat(period.first_day)
    if period.kind is PeriodKind.DAY:
        other = first + timedelta(days=1 if forward else -1)
    elif period.kind is PeriodKind.WEEK:
        other = first + timedelta(days=7 if forward else -7)
    else:
        other = (first + timedelta(days=32)).replace(day=1) if forward else (first - timedelta(days=1)).replace(day=1)
    return other.isoformat()


def _work(rows: tuple[WorkRow, ...]) -> tuple[WorkLine, ...]:
    return tuple(
        WorkLine(id=r.id, name=r.name, served=r.served, service_h=hours(r.service_s),
                 mean_service=minutes(r.mean_service_s), paused_h=hours(r.paused_s), open_h=hours(r.open_s),
                 ratings=r.ratings, rating_mean="—" if r.rating_mean is None else f"{r.rating_mean:.2f}")
        for r in rows)


@requires(permissions.REPORTS)
async def reports_page(request: Request) -> Response:
    lang = lang_of(request)
    period = period_from(request)
    r = await report_for(request, period)

    def t(key: str) -> str:
        return text(key, lang)

    figures = (
        Figure(label=t("reports.visits"), value=str(r.visits)),
        Figure(label=t("reports.served"), value=str(r.served)),
        Figure(label=t("reports.wait_p50"), value=minutes(r.wait_p50_s), note=t("reports.minutes")),
        Figure(label=t("reports.wait_p90"), value=minutes(r.wait_p90_s), note=t("reports.minutes")),
        Figure(label=t("reports.within_target"), value=percent(r.within_target)),
        Figure(label=t("reports.service_mean"), value=minutes(r.service_mean_s), note=t("reports.minutes")),
        Figure(label=t("reports.no_show_rate"), value=percent(r.no_show_rate), note=f"{r.no_shows}/{r.visits}"),
        Figure(label=t("reports.active_rating"), value=percent(r.active_rating_rate),
               note=f"{r.ratings}/{r.served} · ≥ 40%"),
        Figure(label=t("reports.bad_on_time"), value=percent(r.bad_on_time_rate),
               note=f"{r.bad_on_time}/{r.bad_ratings}"),
    )
    services = tuple(
        ServiceLine(service=s.service, name=s.name_zh if lang == "zh" else s.name_en, visits=s.visits, called=s.called,
                    wait_p50=minutes(s.wait_p50_s), wait_p90=minutes(s.wait_p90_s), target=minutes(s.target_wait_s),
                    within_target=percent(s.within_target), served=s.served, service_mean=minutes(s.service_mean_s),
                    service_p90=minutes(s.service_p90_s))
        for s in r.services)
    chart = Chart(
        labels=tuple(b.label for b in r.buckets), visits=tuple(b.visits for b in r.buckets),
        served=tuple(b.served for b in r.buckets), wait_p50_min=tuple(_min(b.wait_p50_s) for b in r.buckets),
        services=tuple(s.service for s in r.services),
        service_wait_p50_min=tuple(_min(s.wait_p50_s) for s in r.services),
        service_wait_p90_min=tuple(_min(s.wait_p90_s) for s in r.services),
        names={k: t(f"reports.chart.{k}") for k in ("visits", "served", "wait", "p50", "p90", "minutes")},
    )
    periods = tuple(
        PeriodLink(label=t(f"reports.kind.{k.value}"), url=f"/console/reports?kind={k.value}&day={period.first_day}",
                   active=k is period.kind) for k in PeriodKind)
    data = ReportsPage(
        kind=period.kind.value, label=period.label, day=period.first_day, previous=_shift(period, False),
        next=_shift(period, True), periods=periods, figures=figures, services=services, windows=_work(r.windows),
        staff=_work(r.staff), chart=chart, report=r,
        csv_url=f"/console/reports.csv?kind={period.kind.value}&day={period.first_day}",
    )
    return page(request, "reports.html", data, chart=msgspec.to_builtins(chart))


@requires(permissions.REPORTS)
async def reports_csv(request: Request) -> Response:
    period = period_from(request)
    r = await report_for(request, period)
    name = f"report-{period.kind.value}-{period.first_day}.csv"
    return Response(to_csv(r), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTES: list[BaseRoute] = [
    Route("/console/reports", reports_page),
    Route("/console/reports.json", reports_page),
    Route("/console/reports.csv", reports_csv),
]
