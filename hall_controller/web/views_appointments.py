"""Appointments on the console: list, register (with an optional ID number, kept only as its keyed hash),
cancel, import a CSV (all or nothing: ``hall_controller.appointments``), and each appointment's QR code to
show or print. Every change goes through the engine as a request (``ControllerService.submit``), so it is
checked, committed and audited like a device's."""

from __future__ import annotations

import uuid

import msgspec
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.appointments import AppointmentInput, Problem, check, decode_csv, parse_csv, slot_of
from hall_controller.engine.state import Appointment
from hall_controller.enrollment.qr import qr_png_data_url
from hall_controller.web.auth import context, origin_of, requires
from hall_controller.web.formatting import local, today
from hall_controller.web.render import lang_of, page
from hall_controller.web.texts import text
from hall_protocol.appointments import appointment_code
from hall_protocol.tickets import CancelAppointment, ErrorReply, RegisterAppointment

MAX_UPLOAD = 2 * 1024 * 1024


class AppointmentItem(msgspec.Struct, frozen=True, kw_only=True):
    appointment_id: str
    service: str
    service_name: str
    slot: str
    masked_name: str
    by_id_card: bool
    checked_in: bool
    ticket_number: str
    status: str
    url: str


class ProblemView(msgspec.Struct, frozen=True, kw_only=True):
    line: int
    field: str
    value: str
    message: str


class ServiceOption(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str


class AppointmentsPage(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[AppointmentItem, ...]
    services: tuple[ServiceOption, ...]
    default_date: str
    error: str = ""
    problems: tuple[ProblemView, ...] = ()
    imported: int = -1  # rows imported by the last upload; -1 when there was none


class AppointmentQrPage(msgspec.Struct, frozen=True, kw_only=True):
    appointment: AppointmentItem
    code: str
    qr_png: str
    hall_name: str


def _item(request: Request, a: Appointment) -> AppointmentItem:
    ctx = context(request)
    lang = lang_of(request)
    state = ctx.service.core.state
    svc = state.index.services.get(a.service)
    ticket = state.ticket(a.ticket_id) if a.ticket_id else None
    return AppointmentItem(
        appointment_id=a.appointment_id, service=a.service,
        service_name=(svc.name_zh if lang == "zh" else svc.name_en) if svc else a.service,
        slot=local(a.slot_start, ctx.config.hall.timezone), masked_name=a.masked_name, by_id_card=bool(a.id_lookup),
        checked_in=a.ticket_id is not None, ticket_number=ticket.number if ticket else "",
        status=text("appointments.status.checked_in" if a.ticket_id else "appointments.status.registered", lang),
        url=f"/console/appointments/{a.appointment_id}",
    )


def _listing(request: Request, *, error: str = "", problems: list[Problem] | None = None,
             imported: int = -1) -> AppointmentsPage:
    ctx = context(request)
    lang = lang_of(request)
    state = ctx.service.core.state
    items = sorted(state.appointments.values(), key=lambda a: (a.slot_start, a.appointment_id))
    return AppointmentsPage(
        items=tuple(_item(request, a) for a in items),
        services=tuple(ServiceOption(code=s.code, name=s.name_zh if lang == "zh" else s.name_en)
                       for s in ctx.config.services),
        default_date=today(ctx.clock(), ctx.config.hall.timezone),
        error=error,
        problems=tuple(ProblemView(line=p.line, field=p.field, value=p.value,
                                   message=p.message_zh if lang == "zh" else p.message_en) for p in problems or ()),
        imported=imported,
    )


def _problems_text(problems: list[Problem], lang: str) -> str:
    return "；".join(f"{p.field}: {p.message_zh if lang == 'zh' else p.message_en} ({p.value})" for p in problems)


@requires(permissions.APPOINTMENTS)
async def appointments_page(request: Request) -> Response:
    return page(request, "appointments.html", _listing(request))


async def _submit(request: Request, body: RegisterAppointment | CancelAppointment) -> str:
    """"" when the engine took it, else the refusal as staff read it."""
    ctx = context(request)
    answer = await ctx.service.submit(request.state.actor, body, origin=origin_of(request))
    if isinstance(answer.reply, ErrorReply):
        return answer.message_zh if lang_of(request) == "zh" and answer.message_zh else answer.reply.message
    return ""


@requires(permissions.APPOINTMENTS)
async def register(request: Request) -> Response:
    ctx = context(request)
    lang = lang_of(request)
    form = await request.form()
    field = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    try:
        slot = slot_of(field.get("date", ""), field.get("time", ""), ctx.config.hall.timezone)
    except ValueError:
        return page(request, "appointments.html", _listing(request, error=text("appointments.bad_slot", lang)), 400)
    given = AppointmentInput(service=field.get("service", ""), slot_start=slot, name=field.get("name", ""),
                             id_number=field.get("id_number", ""), appointment_id=field.get("appointment_id", ""))
    request_body, problems = check(given, ctx.service.core.state, ctx.checkin_key, ctx.clock())
    if request_body is None:
        return page(request, "appointments.html", _listing(request, error=_problems_text(problems, lang)), 400)
    refused = await _submit(request, msgspec.structs.replace(request_body, request_id=uuid.uuid4().hex))
    if refused:
        return page(request, "appointments.html", _listing(request, error=refused), 409)
    return RedirectResponse(f"/console/appointments/{request_body.appointment_id}", status_code=303)


@requires(permissions.APPOINTMENTS)
async def cancel(request: Request) -> Response:
    appt_id = request.path_params["appointment_id"]
    refused = await _submit(request, CancelAppointment(request_id=uuid.uuid4().hex, appointment_id=appt_id,
                                                       reason="console"))
    if refused:
        return page(request, "appointments.html", _listing(request, error=refused), 409)
    return RedirectResponse("/console/appointments", status_code=303)


@requires(permissions.APPOINTMENTS)
async def import_csv(request: Request) -> Response:
    ctx = context(request)
    lang = lang_of(request)
    form = await request.form(max_part_size=MAX_UPLOAD)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return page(request, "appointments.html", _listing(request, error=text("appointments.no_file", lang)), 400)
    try:
        content = decode_csv(await upload.read(MAX_UPLOAD + 1))
    except ValueError:
        return page(request, "appointments.html", _listing(request, error=text("appointments.bad_encoding", lang)),
                    400)
    requests, problems = parse_csv(content, ctx.service.core.state, ctx.checkin_key, ctx.clock())
    if problems:
        return page(request, "appointments.html", _listing(request, problems=problems, imported=0), 400)
    refusals: list[Problem] = []
    for line, body in enumerate(requests, start=2):
        if refused := await _submit(request, msgspec.structs.replace(body, request_id=uuid.uuid4().hex)):
            refusals.append(Problem("appointment_id", body.appointment_id, refused, refused, line=line))
    return page(request, "appointments.html",
                _listing(request, problems=refusals, imported=len(requests) - len(refusals)),
                409 if refusals else 200)


@requires(permissions.APPOINTMENTS)
async def qr_page(request: Request) -> Response:
    ctx = context(request)
    appt_id = request.path_params["appointment_id"].removesuffix(".json")
    appt = ctx.service.core.state.appointments.get(appt_id)
    if appt is None:
        return page(request, "error.html", _Missing(), 404, message=text("error.not_found", lang_of(request)))
    code = appointment_code(ctx.config.hall.id, appt.appointment_id)
    hall = ctx.config.hall
    data = AppointmentQrPage(appointment=_item(request, appt), code=code, qr_png=qr_png_data_url(code),
                             hall_name=hall.name_zh if lang_of(request) == "zh" else hall.name_en)
    return page(request, "appointment_qr.html", data)


class _Missing(msgspec.Struct, frozen=True):
    error: str = "not-found"


ROUTES: list[BaseRoute] = [
    Route("/console/appointments", appointments_page, methods=["GET"]),
    Route("/console/appointments.json", appointments_page, methods=["GET"]),
    Route("/console/appointments", register, methods=["POST"]),
    Route("/console/appointments/import", import_csv, methods=["POST"]),
    Route("/console/appointments/{appointment_id}/cancel", cancel, methods=["POST"]),
    Route("/console/appointments/{appointment_id}", qr_page, methods=["GET"]),
]
