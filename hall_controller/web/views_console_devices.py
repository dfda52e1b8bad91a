"""Devices: every device with its presence, health and telemetry, live; commands with their answers; and,
when the hall runs enrolment, device slots with their one-time code and QR, new codes and retirement.

Each command, slot, code and retirement is written to the audit log (``ControllerService.perform``) before it
is carried out; a command's answer is kept with the device (``device_watch``) and shown on its page.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.core import Decision
from hall_controller.device_watch import CommandSeen
from hall_controller.enrollment.errors import EnrollmentError
from hall_controller.enrollment.qr import qr_png_data_url
from hall_controller.enrollment.registry import DeviceRecord
from hall_controller.enrollment.service import IssuedCode
from hall_controller.web.auth import context, origin_of, refuse, requires
from hall_controller.web.console_common import done, live_stream, local_time, refused
from hall_controller.web.context import WebContext
from hall_controller.web.devices_data import (
    CONSOLE_COMMANDS,
    DeviceRow,
    DevicesPage,
    device_detail,
    device_rows,
    devices_page,
    window_role,
)
from hall_controller.web.render import page, render, render_text
from hall_controller.web.texts import text
from hall_protocol.devices import CommandName, Role
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Ack

MIN_GAP_S = 0.5  # telemetry moves the devices' hub often: at most two renders a second per page
REFRESH_S = 30.0  # "last seen" ages by itself


async def _records(ctx: WebContext) -> list[DeviceRecord]:
    return await asyncio.to_thread(ctx.enrollment.devices) if ctx.enrollment is not None else []


async def _page_data(ctx: WebContext) -> DevicesPage:
    roles = {r.value: (text(f"console.role.{r.value}", "zh"), text(f"console.role.{r.value}", "en")) for r in Role}
    return devices_page(ctx.config, await _records(ctx), ctx.service.devices, ctx.enrollment is not None, roles)


@requires(permissions.DEVICES_VIEW)
async def devices(request: Request) -> Response:
    return page(request, "console_devices.html", await _page_data(context(request)))


@requires(permissions.DEVICES_VIEW)
async def devices_events(request: Request) -> Response:
    ctx = context(request)

    async def build() -> str:
        return render_text(request, "_devices.html", data=await _page_data(ctx))

    return live_stream(request, ctx.service.devices.hub, build, event="devices", refresh_s=REFRESH_S,
                       min_gap_s=MIN_GAP_S)


async def _row(ctx: WebContext, device_id: str) -> DeviceRow | None:
    rows = device_rows(ctx.config, await _records(ctx), ctx.service.devices)
    return next((r for r in rows if r.device_id == device_id), None)


@requires(permissions.DEVICES_VIEW)
async def device(request: Request) -> Response:
    ctx = context(request)
    row = await _row(ctx, request.path_params["device_id"].removesuffix(".json"))
    if row is None:
        return refuse(request, 404, "error.not_found")
    return page(request, "console_device.html", device_detail(row, ctx.service.devices, ctx.config.hall.timezone))


@requires(permissions.DEVICES_VIEW)
async def device_events(request: Request) -> Response:
    ctx = context(request)
    device_id = request.path_params["device_id"]
    if await _row(ctx, device_id) is None:
        return refuse(request, 404, "error.not_found")

    async def build() -> str:
        row = await _row(ctx, device_id)
        if row is None:  # pragma: no cover - a registry keeps retired slots
            return ""
        return render_text(request, "_device.html",
                           data=device_detail(row, ctx.service.devices, ctx.config.hall.timezone))

    return live_stream(request, ctx.service.devices.hub, build, event="device", refresh_s=REFRESH_S,
                       min_gap_s=MIN_GAP_S)


async def _audited(request: Request, action: str, target: str, detail: str) -> None:
    """One audit line for an action outside the engine, committed by the controller's single writer."""
    decision = Decision(Ack(request_id=""), remember=False, audit=(action, target, detail))
    await context(request).service.perform(request.state.actor, lambda now: decision, origin=origin_of(request))


@requires(permissions.DEVICES_MANAGE)
async def command(request: Request) -> Response:
    ctx = context(request)
    device_id = request.path_params["device_id"]
    name = str((await request.form()).get("name", ""))
    if name not in {c.value for c in CONSOLE_COMMANDS}:
        return refused(ErrorCode.FORBIDDEN, f"command {name!r} is not offered here", "不支持该命令")
    actor = ctx.service.directory.lookup(device_id)
    if actor is None:
        return refuse(request, 404, "error.not_found")
    await _audited(request, "device.command", device_id, f"name={name}")
    seen: CommandSeen = await ctx.service.devices.command(device_id, CommandName(name), request.state.actor.label)
    result = seen.result
    if not result.ok:
        code = result.code or ErrorCode.INTERNAL
        detail = result.detail or code.value
        return refused(code, f"{name}: {detail}", f"{text('console.cmd.' + name, 'zh')}未成功：{detail}")
    return done("console.devices.command_ok", detail=result.detail)


def _code_view(request: Request, issued: IssuedCode, timezone: str) -> Response:
    return render(request, "_device_code.html", device_id=issued.device.device_id, name=issued.device.name,
                  code=issued.code, link=issued.link, qr=qr_png_data_url(issued.link),
                  expires_text=local_time(issued.expires_at, timezone))


def _enrollment_off() -> Response:
    return refused(ErrorCode.UNAVAILABLE, "enrolment is off in this hall: devices are listed in hall.toml",
                   "本大厅未启用设备注册：设备在 hall.toml 中配置。")


def _enrollment_refused(err: EnrollmentError) -> Response:
    return refused(err.code, err.message_en, err.message_zh)


@requires(permissions.DEVICES_MANAGE)
async def create_slot(request: Request) -> Response:
    ctx = context(request)
    if ctx.enrollment is None:
        return _enrollment_off()
    form = await request.form()
    role, zone = str(form.get("role", "")), str(form.get("zone", ""))
    window = str(form.get("window", "")) or None
    name = str(form.get("name", "")).strip()
    if role not in {r.value for r in Role} or zone not in {z.id for z in ctx.config.zones}:
        return refused(ErrorCode.MALFORMED, "choose a role and a zone", "请选择设备类型和区域")
    windows = ctx.service.core.state.index.windows
    if window_role(Role(role)) != (window is not None) or (window is not None and window not in windows):
        return refused(ErrorCode.MALFORMED, "a window terminal, window display or evaluator needs its window; "
                       "other devices take none", "窗口叫号器、窗口屏和评价器须选择窗口，其他设备不选窗口")
    await _audited(request, "device.slot", "", f"role={role} zone={zone} window={window or ''} name={name}")
    try:
        issued = await asyncio.to_thread(ctx.enrollment.create_slot, role, zone, name, window)
    except EnrollmentError as err:
        return _enrollment_refused(err)
    return _code_view(request, issued, ctx.config.hall.timezone)


@requires(permissions.DEVICES_MANAGE)
async def new_code(request: Request) -> Response:
    ctx = context(request)
    if ctx.enrollment is None:
        return _enrollment_off()
    device_id = request.path_params["device_id"]
    await _audited(request, "device.new-code", device_id, "")
    try:
        issued = await asyncio.to_thread(ctx.enrollment.new_code, device_id)
    except EnrollmentError as err:
        return _enrollment_refused(err)
    return _code_view(request, issued, ctx.config.hall.timezone)


@requires(permissions.DEVICES_MANAGE)
async def retire(request: Request) -> Response:
    ctx = context(request)
    if ctx.enrollment is None:
        return _enrollment_off()
    device_id = request.path_params["device_id"]
    await _audited(request, "device.retire", device_id, "")
    try:
        await ctx.enrollment.retire(device_id)
    except EnrollmentError as err:
        return _enrollment_refused(err)
    finally:
        ctx.service.directory.forget(device_id)
    ctx.service.devices.hub.bump()
    return done("console.devices.retired")


ROUTES: list[BaseRoute] = [
    Route("/console/devices", devices),
    Route("/console/devices.json", devices),
    Route("/console/devices/stream", devices_events),
    Route("/console/devices/slots", create_slot, methods=["POST"]),
    Route("/console/devices/{device_id}", device),
    Route("/console/devices/{device_id}/stream", device_events),
    Route("/console/devices/{device_id}/command", command, methods=["POST"]),
    Route("/console/devices/{device_id}/code", new_code, methods=["POST"]),
    Route("/console/devices/{device_id}/retire", retire, methods=["POST"]),
]
