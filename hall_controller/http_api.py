"""The enrolment API over HTTPS (Starlette + uvicorn), served with the hall CA's server certificate.

Device endpoints need no token: the one-time code is the credential, and wrong codes are rate-limited.
Manager endpoints need ``Authorization: Bearer <manager token>``. The bodies are the msgspec Structs of
``hall_protocol.enrolment`` (which lists the routes); a body that does not decode is refused with 400 and
names the field.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hall_controller.enrollment.errors import BadRequest, EnrollmentError, TooManyAttempts
from hall_controller.enrollment.qr import qr_png_data_url
from hall_controller.enrollment.service import MANAGER_TOKEN, EnrollmentService, IssuedCode
from hall_controller.http_server import serve_asgi
from hall_protocol import enrolment as wire
from hall_protocol.errors import ErrorCode, OneVisitError

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
TOKEN_ENV = "ONEVISIT_MANAGER_TOKEN"

Handler = Callable[[Request], Awaitable[Response]]
B = TypeVar("B", bound=msgspec.Struct)


class TokenError(OneVisitError):
    pass


def load_manager_token(path: Path | None = None, env: dict[str, str] | None = None) -> str:
    """The manager token: ``$ONEVISIT_MANAGER_TOKEN`` if set, else the file (which must be 0600 or stricter)."""
    environ = os.environ if env is None else env
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV].strip()
    if path is None:
        raise TokenError(f"no manager token: set {TOKEN_ENV} or give a token file")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenError(f"{path} must not be readable by group or others (chmod 600)")
    token = path.read_text().strip()
    if len(token) < 16:
        raise TokenError(f"{path}: the manager token is too short (16 characters at least)")
    return token


def _error(err: EnrollmentError) -> Response:
    headers = {}
    if isinstance(err, TooManyAttempts):
        headers["Retry-After"] = str(max(1, int(err.retry_after_s)))
    body = wire.ApiErrorBody(error=wire.ApiError(code=err.code, message=err.message_en, message_zh=err.message_zh))
    return Response(msgspec.json.encode(body), status_code=err.http_status, headers=headers,
                    media_type="application/json")


def _unauthorised() -> Response:
    body = wire.ApiErrorBody(error=wire.ApiError(code=ErrorCode.FORBIDDEN, message="manager token required",
                                                 message_zh="需要管理员令牌。"))
    return Response(msgspec.json.encode(body), status_code=401, headers={"WWW-Authenticate": "Bearer"},
                    media_type="application/json")


async def _body(request: Request, into: type[B]) -> B:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest("request body too large", "请求内容过大。")
    try:
        return msgspec.json.decode(raw, type=into)
    except msgspec.ValidationError as err:
        raise BadRequest(f"bad request body: {err}", f"请求内容有误：{err}") from err
    except msgspec.DecodeError as err:
        raise BadRequest("the body is not JSON", "请求格式错误（不是 JSON）。") from err


def _json(body: msgspec.Struct, status_code: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status_code=status_code, media_type="application/json")


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _issued(issued: IssuedCode) -> wire.IssuedCode:
    return issued.reply(qr_png_data_url(issued.link))


def create_app(service: EnrollmentService, *, manager_token: str) -> Starlette:
    if len(manager_token) < 16:
        raise TokenError("the manager token is too short (16 characters at least)")
    expected = manager_token.encode()

    def manager(handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
                return _unauthorised()
            return await handler(request)

        return guarded

    def errors(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except EnrollmentError as err:
                return _error(err)

        return wrapped

    async def get_ca(request: Request) -> Response:
        return _json(wire.CaInfo(ca_pem=service.ca.ca_pem.decode(), hall=service.settings.hall))

    async def claim(request: Request) -> Response:
        body = await _body(request, wire.ClaimRequest)
        rec = await service.claim(body.code, _source(request))
        return _json(wire.ClaimReply(device_id=rec.device_id, role=rec.role, zone=rec.zone,
                                     hall=service.settings.hall))

    async def enroll(request: Request) -> Response:
        body = await _body(request, wire.EnrollRequest)
        result = await service.enroll(body.code, body.csr_pem, _source(request))
        return _json(result.reply())

    async def list_devices(request: Request) -> Response:
        devices = await asyncio.to_thread(service.devices)
        return _json(wire.DeviceList(devices=tuple(d.info() for d in devices)))

    async def create_device(request: Request) -> Response:
        body = await _body(request, wire.CreateDevice)
        issued = await asyncio.to_thread(service.create_slot, body.role.value, body.zone, body.name, body.window)
        return _json(_issued(issued), status_code=201)

    async def new_code(request: Request) -> Response:
        issued = await asyncio.to_thread(service.new_code, request.path_params["device_id"])
        return _json(_issued(issued))

    async def retire(request: Request) -> Response:
        rec = await service.retire(request.path_params["device_id"])
        return _json(rec.info())

    routes = [
        Route("/api/v1/ca", errors(get_ca), methods=["GET"]),
        Route("/api/v1/enroll/claim", errors(claim), methods=["POST"]),
        Route("/api/v1/enroll", errors(enroll), methods=["POST"]),
        Route("/api/v1/devices", manager(errors(list_devices)), methods=["GET"]),
        Route("/api/v1/devices", manager(errors(create_device)), methods=["POST"]),
        Route("/api/v1/devices/{device_id}/code", manager(errors(new_code)), methods=["POST"]),
        Route("/api/v1/devices/{device_id}/retire", manager(errors(retire)), methods=["POST"]),
    ]
    return Starlette(routes=routes)


async def serve_enrollment_api(
    service: EnrollmentService,
    *,
    host: str = "127.0.0.1",
    port: int = 8443,
    manager_token: str | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Serve the enrolment API over HTTPS until cancelled; meant for ``tg.create_task(...)`` in the
    controller's TaskGroup. The token defaults to the 0600 file ``{state_dir}/manager.token`` (or
    ``$ONEVISIT_MANAGER_TOKEN``). ``started`` is set once the port is listening."""
    token = manager_token or load_manager_token(service.settings.state_dir / MANAGER_TOKEN)
    await serve_asgi(create_app(service, manager_token=token), name="enrolment API", host=host, port=port,
                     certfile=service.ca.server_cert_path, keyfile=service.ca.server_key_path, started=started)
