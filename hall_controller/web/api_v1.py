"""The open HTTP API, ``/api/v1``: appointments for booking systems, ticket status, the hall's state, the
ratings export for a provincial 好差评 platform, and reports. Described by the OpenAPI document it serves at
``/api/v1/openapi.json`` (built from the same msgspec types the answers are encoded from).

Each integration has its own bearer token with scopes (``onevisit api-token add NAME --scope ...``;
``api_tokens.py``); every request is decided by ``permissions.allowed`` with the token's actor, and changes
go through ``ControllerService.submit`` like a device's request (same checks, commit and audit line).
Errors are JSON: ``{"error": {"code": ..., "message": ..., "message_zh": ..., "field": ...}}``.
(The enrolment API, another port, has ``/api/v1/ca``, ``/api/v1/enroll*`` and ``/api/v1/devices*``; none of
those paths is used here.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.actors import Actor
from hall_controller.appointments import AppointmentInput, check
from hall_controller.engine.clock import zone
from hall_controller.engine.state import Appointment
from hall_controller.engine.views import hall_state_message, ticket_view
from hall_controller.followups import FollowUp, on_time
from hall_controller.history import RatingRow
from hall_controller.reports import PeriodKind, build, period_of
from hall_controller.web.api_v1_schema import (
    OPENAPI,
    OPENAPI_DOC,
    PREFIX,
    ApiError,
    AppointmentList,
    AppointmentOut,
    Cancelled,
    CancelRequest,
    CreateAppointment,
    ErrorBody,
    FollowUpOut,
    RatingOut,
    RatingsExport,
)
from hall_controller.web.auth import context
from hall_controller.web.formatting import today
from hall_protocol.appointments import appointment_code
from hall_protocol.tickets import CancelAppointment, ErrorReply

MAX_BODY = 64 * 1024


# -- plumbing -------------------------------------------------------------------------------------


def error_response(status: int, code: str, message: str, message_zh: str = "", field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    body = ErrorBody(error=ApiError(code=code, message=message, message_zh=message_zh, field=field))
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json", headers=headers)


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


ApiView = Callable[[Request, Actor], Awaitable[Response]]


def scoped(action: str) -> Callable[[ApiView], Callable[[Request], Awaitable[Response]]]:
    """The bearer token's actor, asked ``permissions.allowed(actor, action)``; then the view."""

    def wrap(view: ApiView) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            tokens = context(request).api_tokens
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            found = await tokens.authenticate(token.strip()) if tokens and scheme.lower() == "bearer" else None
            if found is None:
                return error_response(401, "unauthorised", "a valid API token is required (Authorization: Bearer)",
                                      "需要有效的接口令牌")
            actor = found.actor()
            if not permissions.allowed(actor, action):
                return error_response(403, "forbidden", f"this token's scopes do not allow {action}",
                                      "该令牌无此权限")
            try:
                return await view(request, actor)
            except _Refusal as refusal:
                return refusal.response

        guarded.__name__ = view.__name__
        return guarded

    return wrap


def _bad(message: str, message_zh: str, field: str | None = None) -> _Refusal:
    return _Refusal(error_response(400, "malformed", message, message_zh, field))


async def _body(request: Request, into: type[Any]) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise _bad(f"body larger than {MAX_BODY} bytes", "请求体过大")
    try:
        return msgspec.json.decode(raw or b"{}", type=into)
    except msgspec.DecodeError as err:
        raise _bad(str(err), "请求格式错误") from err


def _day(request: Request, name: str, default: str) -> str:
    value = request.query_params.get(name, default)
    try:
        date.fromisoformat(value)
    except ValueError as err:
        raise _bad(f"{name}: expected YYYY-MM-DD", "日期格式应为 YYYY-MM-DD", name) from err
    return value


def _ts(ts: float | None, tz: str) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, zone(tz))


def _appointment(request: Request, a: Appointment) -> AppointmentOut:
    config = context(request).config
    slot = _ts(a.slot_start, config.hall.timezone)
    assert slot is not None
    return AppointmentOut(appointment_id=a.appointment_id, service=a.service, steps=a.steps, slot_start=slot,
                          masked_name=a.masked_name, by_id_card=bool(a.id_lookup), checked_in=a.ticket_id is not None,
                          ticket_id=a.ticket_id, code=appointment_code(config.hall.id, a.appointment_id))


# -- views ----------------------------------------------------------------------------------------


async def openapi(request: Request) -> Response:
    return Response(OPENAPI, media_type="application/json")


@scoped(permissions.APPOINTMENTS)
async def list_appointments(request: Request, actor: Actor) -> Response:
    state = context(request).service.core.state
    items = sorted(state.appointments.values(), key=lambda a: (a.slot_start, a.appointment_id))
    return _json(AppointmentList(appointments=tuple(_appointment(request, a) for a in items)))


@scoped(permissions.APPOINTMENTS)
async def get_appointment(request: Request, actor: Actor) -> Response:
    appt = context(request).service.core.state.appointments.get(request.path_params["appointment_id"])
    if appt is None:
        return error_response(404, "not-found", "no such appointment", "找不到该预约")
    return _json(_appointment(request, appt))


@scoped(permissions.APPOINTMENTS)
async def create_appointment(request: Request, actor: Actor) -> Response:
    ctx = context(request)
    body: CreateAppointment = await _body(request, CreateAppointment)
    try:
        slot = datetime.fromisoformat(body.slot_start.replace("Z", "+00:00"))
    except ValueError:
        return error_response(409, "invalid", "slot_start: not a date and time", "预约时间无效", "slot_start")
    if slot.tzinfo is None:
        slot = slot.replace(tzinfo=zone(ctx.config.hall.timezone))
    given = AppointmentInput(service=body.service, slot_start=slot.timestamp(), name=body.name,
                             appointment_id=body.appointment_id or "", id_number=body.id_number, steps=body.steps)
    wire, problems = check(given, ctx.service.core.state, ctx.checkin_key, ctx.clock())
    if wire is None:
        p = problems[0]
        return error_response(409, "invalid", "; ".join(f"{x.field}: {x.message_en}" for x in problems),
                              "；".join(f"{x.field}：{x.message_zh}" for x in problems), p.field)
    answer = await ctx.service.submit(actor, msgspec.structs.replace(wire, request_id=uuid.uuid4().hex),
                                      origin=f"api {actor.id}")
    if isinstance(answer.reply, ErrorReply):
        return error_response(409, answer.reply.code.value, answer.reply.message, answer.message_zh)
    appt = ctx.service.core.state.appointments.get(wire.appointment_id)
    if appt is None:  # cancelled between the commit and this line
        return error_response(409, "not-found", "the appointment is gone", "该预约已不存在")
    return _json(_appointment(request, appt), 201)


@scoped(permissions.APPOINTMENTS)
async def cancel_appointment(request: Request, actor: Actor) -> Response:
    ctx = context(request)
    body: CancelRequest = await _body(request, CancelRequest)
    appt_id = request.path_params["appointment_id"]
    if appt_id not in ctx.service.core.state.appointments:
        return error_response(404, "not-found", "no such appointment", "找不到该预约")
    answer = await ctx.service.submit(actor, CancelAppointment(request_id=uuid.uuid4().hex, appointment_id=appt_id,
                                                               reason=body.reason), origin=f"api {actor.id}")
    if isinstance(answer.reply, ErrorReply):
        status = 404 if answer.reply.code.value == "not-found" else 409
        return error_response(status, answer.reply.code.value, answer.reply.message, answer.message_zh)
    return _json(Cancelled(appointment_id=appt_id, cancelled=True))


@scoped(permissions.STATUS)
async def ticket_status(request: Request, actor: Actor) -> Response:
    ctx = context(request)
    state = ctx.service.core.state
    ticket_id = request.path_params["ticket_id"]
    if state.ticket(ticket_id) is None:
        return error_response(404, "not-found", "no such ticket today", "今日没有这张号票")
    return _json(ticket_view(state, ticket_id, ctx.clock(), ctx.config.hall.status_base_url))


@scoped(permissions.HALL_STATE)
async def hall_state(request: Request, actor: Actor) -> Response:
    ctx = context(request)
    return _json(hall_state_message(ctx.service.core.state, ctx.clock(), ctx.service.hub.version))


def _follow_up(r: RatingRow, fu: FollowUp | None, tz: str) -> FollowUpOut | None:
    if not r.bad:
        return None
    fu = fu or FollowUp(key=r.key)
    return FollowUpOut(assignee=fu.assignee, verdict=fu.verdict.value, contacted_at=_ts(fu.contacted_at, tz),
                       verified_at=_ts(fu.verified_at, tz), rectified_at=_ts(fu.rectified_at, tz),
                       replied_at=_ts(fu.replied_at, tz), closed_at=_ts(fu.closed_at, tz), outcome=fu.outcome,
                       on_time=on_time(fu, r))


@scoped(permissions.RATINGS_EXPORT)
async def ratings_export(request: Request, actor: Actor) -> Response:
    ctx = context(request)
    tz = ctx.config.hall.timezone
    now_day = today(ctx.clock(), tz)
    until = _day(request, "until", now_day)
    since = _day(request, "since", (date.fromisoformat(until) - timedelta(days=30)).isoformat())
    start = period_of(PeriodKind.DAY, since, tz).start
    end = period_of(PeriodKind.DAY, until, tz).end
    history = await ctx.records.current()
    followups = await ctx.records.followups()
    rows: list[RatingRow] = history.between(history.ratings, start, end, key=lambda r: r.rated_at)
    out = []
    for r in rows:
        rated = _ts(r.rated_at, tz)
        assert rated is not None
        out.append(RatingOut(id=r.key, ticket_number=r.number, day=r.day, step=r.step, service=r.service,
                             window_id=r.window_id, staff_id=r.staff_id, level=r.level, reasons=r.reasons,
                             comment=r.comment, rated_at=rated, wait_s=r.wait_s, named=r.named,
                             follow_up=_follow_up(r, followups.get(r.key), tz)))
    return _json(RatingsExport(hall=ctx.config.hall.id, since=since, until=until, ratings=tuple(out)))


@scoped(permissions.REPORTS)
async def report(request: Request, actor: Actor) -> Response:
    ctx = context(request)
    tz = ctx.config.hall.timezone
    try:
        kind = PeriodKind(request.path_params["kind"])
    except ValueError:
        return error_response(404, "not-found", "a report is of a day, a week or a month", "报表周期须为日、周或月")
    day = _day(request, "day", today(ctx.clock(), tz))
    history = await ctx.records.current()
    return _json(build(history, ctx.config, period_of(kind, day, tz), await ctx.records.followups(), ctx.clock()))


ROUTES: list[BaseRoute] = [
    Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"]),
    Route(f"{PREFIX}/appointments", list_appointments, methods=["GET"]),
    Route(f"{PREFIX}/appointments", create_appointment, methods=["POST"]),
    Route(f"{PREFIX}/appointments/{{appointment_id}}", get_appointment, methods=["GET"]),
    Route(f"{PREFIX}/appointments/{{appointment_id}}/cancel", cancel_appointment, methods=["POST"]),
    Route(f"{PREFIX}/tickets/{{ticket_id}}", ticket_status, methods=["GET"]),
    Route(f"{PREFIX}/hall", hall_state, methods=["GET"]),
    Route(f"{PREFIX}/ratings", ratings_export, methods=["GET"]),
    Route(f"{PREFIX}/reports/{{kind}}", report, methods=["GET"]),
]


_TEMPLATES = [(re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), sorted(m.upper() for m in ops))
              for path, ops in OPENAPI_DOC["paths"].items()]


def not_routed(path: str, status: int) -> Response:
    """A 404 or 405 under /api/v1 as a JSON error; a 405 lists the path's methods in ``Allow``."""
    methods = next((m for pattern, m in _TEMPLATES if pattern.match(path)), None)
    if status == 405 and methods:
        return error_response(405, "method-not-allowed", f"use {', '.join(methods)}", "不支持该请求方法",
                              headers={"Allow": ", ".join(methods)})
    return error_response(404, "not-found", "no such API call", "没有这个接口")
