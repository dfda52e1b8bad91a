"""The enrolment API over HTTPS (Starlette + uvicorn), served with the hall CA's server certificate.

Device endpoints (no token: the one-time code is the credential, and wrong codes are rate-limited):

- ``GET  /api/v1/ca`` → ``{ca_pem}``: the device checks it against the pin in its code before trusting it.
- ``POST /api/v1/enroll/claim`` ``{code}`` → ``{device_id, role, zone, hall}``: the CN for the CSR.
- ``POST /api/v1/enroll`` ``{code, csr_pem}`` → ``{device_id, cert_pem, ca_pem, broker{host,port}, username,
  password, agent_config}``.

Manager endpoints (``Authorization: Bearer <manager token>``; the console reuses them):

- ``GET  /api/v1/devices`` → ``{devices: [...]}``
- ``POST /api/v1/devices`` ``{role, zone, name}`` → ``{device, code, expires_at, link, qr_png}``
- ``POST /api/v1/devices/{id}/code`` → a new code for the slot (lost code or replacement device)
- ``POST /api/v1/devices/{id}/retire`` → the retired device

Errors are ``{"error": {code, message_zh, message}}`` with a fitting HTTP status.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import socket
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hall_controller.enrollment.errors import BadRequest, EnrollmentError, TooManyAttempts
from hall_controller.enrollment.qr import qr_png_data_url
from hall_controller.enrollment.service import MANAGER_TOKEN, EnrollmentService, IssuedCode
from hall_protocol.errors import ErrorCode, OneVisitError

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
TOKEN_ENV = "ONEVISIT_MANAGER_TOKEN"

Handler = Callable[[Request], Awaitable[Response]]


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


def _error(err: EnrollmentError) -> JSONResponse:
    headers = {}
    if isinstance(err, TooManyAttempts):
        headers["Retry-After"] = str(max(1, int(err.retry_after_s)))
    return JSONResponse({"error": err.as_dict()}, status_code=err.http_status, headers=headers)


def _unauthorised() -> JSONResponse:
    body = {"code": ErrorCode.FORBIDDEN.value, "message_zh": "需要管理员令牌。", "message": "manager token required"}
    return JSONResponse({"error": body}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def _json(request: Request, *fields: str) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest("request body too large", "请求内容过大。")
    try:
        body = json.loads(raw)
    except ValueError as err:
        raise BadRequest("the body is not JSON", "请求格式错误（不是 JSON）。") from err
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", "请求格式错误。")
    out: dict[str, str] = {}
    for name in fields:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise BadRequest(f"field {name!r} is missing or not a string", f"缺少字段 {name}。")
        out[name] = value
    return out


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _issued(issued: IssuedCode) -> dict[str, Any]:
    return {**issued.as_dict(), "qr_png": qr_png_data_url(issued.link)}


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
        return JSONResponse({"ca_pem": service.ca.ca_pem.decode(), "hall": service.settings.hall})

    async def claim(request: Request) -> Response:
        body = await _json(request, "code")
        rec = await service.claim(body["code"], _source(request))
        return JSONResponse({"device_id": rec.device_id, "role": rec.role.value, "zone": rec.zone,
                             "hall": service.settings.hall})

    async def enroll(request: Request) -> Response:
        body = await _json(request, "code", "csr_pem")
        result = await service.enroll(body["code"], body["csr_pem"], _source(request))
        return JSONResponse(result.as_dict())

    async def list_devices(request: Request) -> Response:
        devices = await asyncio.to_thread(service.devices)
        return JSONResponse({"devices": [d.as_dict() for d in devices]})

    async def create_device(request: Request) -> Response:
        body = await _json(request, "role", "zone", "name")
        issued = await asyncio.to_thread(service.create_slot, body["role"], body["zone"], body["name"])
        return JSONResponse(_issued(issued), status_code=201)

    async def new_code(request: Request) -> Response:
        issued = await asyncio.to_thread(service.new_code, request.path_params["device_id"])
        return JSONResponse(_issued(issued))

    async def retire(request: Request) -> Response:
        rec = await service.retire(request.path_params["device_id"])
        return JSONResponse(rec.as_dict())

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


class _Server(uvicorn.Server):
    """uvicorn inside someone else's event loop: the controller owns SIGTERM/SIGINT, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_enrollment_api(
    service: EnrollmentService,
    *,
    host: str = "0.0.0.0",
    port: int = 8443,
    manager_token: str | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Serve the enrolment API over HTTPS until cancelled; meant for ``tg.create_task(...)`` in the
    controller's TaskGroup. The token defaults to the 0600 file ``{state_dir}/manager.token`` (or
    ``$ONEVISIT_MANAGER_TOKEN``). ``started`` is set once the port is listening."""
    token = manager_token or load_manager_token(service.settings.state_dir / MANAGER_TOKEN)
    config = uvicorn.Config(
        create_app(service, manager_token=token),
        host=host,
        port=port,
        ssl_certfile=str(service.ca.server_cert_path),
        ssl_keyfile=str(service.ca.server_key_path),
        log_level="warning",
        lifespan="off",
        access_log=False,
        server_header=False,
    )
    server = _Server(config)
    # Bind before serving: a taken port fails here, and connections that arrive while uvicorn starts up
    # wait in the listen backlog.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    log.info("enrolment API on https://%s:%d", host, port)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="enrollment-api")
    if started is not None:
        started.set()
    try:
        await asyncio.shield(task)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        sock.close()
