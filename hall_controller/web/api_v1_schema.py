"""The open API's contract: its request and answer bodies, and the OpenAPI document built from the same
msgspec types the answers are encoded from (served at ``/api/v1/openapi.json`` by ``api_v1.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from hall_controller.reports import PeriodKind, Report
from hall_protocol.hall import HallState
from hall_protocol.tickets import AppointmentId, Code, Reason, TicketView

PREFIX = "/api/v1"
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$"


# -- bodies ---------------------------------------------------------------------------------------


class ApiError(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    message: str
    message_zh: str = ""
    field: str | None = None


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    error: ApiError


class CreateAppointment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``slot_start`` in RFC 3339; without an offset it is the hall's local time. ``id_number`` (optional)
    lets the citizen check in with their ID card: only its keyed hash is kept. ``name`` is stored masked."""

    service: Code
    slot_start: Annotated[str, msgspec.Meta(pattern=RFC3339, description="RFC 3339 date-time")]
    appointment_id: AppointmentId | None = None
    name: Annotated[str, msgspec.Meta(max_length=20)] = ""
    id_number: Annotated[str, msgspec.Meta(max_length=18)] = ""
    steps: Annotated[tuple[Code, ...], msgspec.Meta(max_length=10)] = ()


class CancelRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: Reason = ""


class AppointmentOut(msgspec.Struct, frozen=True, kw_only=True):
    appointment_id: str
    service: str
    steps: tuple[str, ...]
    slot_start: datetime
    masked_name: str
    by_id_card: bool
    checked_in: bool
    ticket_id: str | None
    code: str  # the QR text for the confirmation (OVAPPT:{hall}:{id}:{check})


class AppointmentList(msgspec.Struct, frozen=True, kw_only=True):
    appointments: tuple[AppointmentOut, ...]


class Cancelled(msgspec.Struct, frozen=True, kw_only=True):
    appointment_id: str
    cancelled: bool


class FollowUpOut(msgspec.Struct, frozen=True, kw_only=True):
    assignee: str
    verdict: str
    contacted_at: datetime | None
    verified_at: datetime | None
    rectified_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    outcome: str
    on_time: bool


class RatingOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # "{ticket_id}:{step}"
    ticket_number: str
    day: str
    step: int
    service: str
    window_id: str
    staff_id: str
    level: int  # 5 非常满意 … 1 非常不满意
    reasons: tuple[str, ...]
    comment: str
    rated_at: datetime
    wait_s: float | None
    named: bool
    follow_up: FollowUpOut | None


class RatingsExport(msgspec.Struct, frozen=True, kw_only=True):
    hall: str
    since: str
    until: str
    ratings: tuple[RatingOut, ...]


# -- the OpenAPI document ----------------------------------------------------------------------------

_TYPES = (ErrorBody, CreateAppointment, CancelRequest, AppointmentOut, AppointmentList, Cancelled, TicketView,
          HallState, RatingsExport, Report)
_schemas, _components = msgspec.json.schema_components(_TYPES, ref_template="#/components/schemas/{name}")
_REF: dict[type[Any], dict[str, Any]] = dict(zip(_TYPES, _schemas, strict=True))
_ERRORS = {"400": "malformed or invalid request", "401": "no valid API token", "403": "the token lacks the scope",
           "404": "not found", "409": "refused by the hall (the message says why)"}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _op(summary: str, scope: str, ok: tuple[str, type[Any]], errors: tuple[str, ...], *,
        params: tuple[dict[str, Any], ...] = (), body: type[Any] | None = None, body_required: bool = True,
        op_id: str) -> dict[str, Any]:
    responses: dict[str, Any] = {ok[0]: {"description": "OK", "content": _json_content(_REF[ok[1]])}}
    for code in ("401", "403", *errors):
        responses[code] = {"description": _ERRORS[code], "content": _json_content(_REF[ErrorBody])}
    op: dict[str, Any] = {"summary": summary, "operationId": op_id, "security": [{"bearer": []}],
                          "x-scope": scope, "responses": responses}
    if params:
        op["parameters"] = list(params)
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": _json_content(_REF[body])}
    return op


def _path_param(name: str, pattern: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": pattern}}


def _day_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", "format": "date"}}


_APPT_ID = _path_param("appointment_id", r"^[A-Za-z0-9_-]{1,64}$")
_TICKET_ID = _path_param("ticket_id", r"^[A-Za-z0-9_.:-]{1,64}$")  # hall_protocol.tickets.Ref

OPENAPI_DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "OneVisit hall API", "version": "1.0.0",
             "description": "Appointments, ticket status, hall state, ratings export (好差评) and reports of one "
                            "government service hall. Authenticate with `Authorization: Bearer <token>`; each "
                            "token has scopes: appointments, tickets, hall, ratings, reports."},
    "servers": [{"url": "/"}],
    "components": {"schemas": _components,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "paths": {
        f"{PREFIX}/appointments": {
            "get": _op("List the hall's appointments", "appointments", ("200", AppointmentList), (),
                       op_id="listAppointments"),
            "post": _op("Register an appointment (409: refused by the hall's rules, e.g. an unknown service or a "
                        "slot in the past)", "appointments", ("201", AppointmentOut), ("400", "409"),
                        body=CreateAppointment, op_id="createAppointment"),
        },
        f"{PREFIX}/appointments/{{appointment_id}}": {
            "get": _op("One appointment, with its QR text", "appointments", ("200", AppointmentOut), ("404",),
                       params=(_APPT_ID,), op_id="getAppointment"),
        },
        f"{PREFIX}/appointments/{{appointment_id}}/cancel": {
            "post": _op("Cancel an appointment (not once checked in)", "appointments", ("200", Cancelled),
                        ("400", "404", "409"), params=(_APPT_ID,), body=CancelRequest, body_required=False,
                        op_id="cancelAppointment"),
        },
        f"{PREFIX}/tickets/{{ticket_id}}": {
            "get": _op("A ticket's status today", "tickets", ("200", TicketView), ("404",), params=(_TICKET_ID,),
                       op_id="ticketStatus"),
        },
        f"{PREFIX}/hall": {
            "get": _op("The hall's state: queues, windows, recent calls", "hall", ("200", HallState), (),
                       op_id="hallState"),
        },
        f"{PREFIX}/ratings": {
            "get": _op("Ratings with their follow-ups, for a provincial 好差评 platform", "ratings",
                       ("200", RatingsExport), ("400",),
                       params=(_day_param("since", "first local day (default: 30 days before until)"),
                               _day_param("until", "last local day, included (default: today)")),
                       op_id="exportRatings"),
        },
        f"{PREFIX}/reports/{{kind}}": {
            "get": _op("The report of a day, a week or a month", "reports", ("200", Report), ("400", "404"),
                       params=({"name": "kind", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": [k.value for k in PeriodKind]}},
                               _day_param("day", "a local day inside the period (default: today)")),
                       op_id="report"),
        },
    },
}
OPENAPI = msgspec.json.encode(OPENAPI_DOC)
