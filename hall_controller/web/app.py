"""The pages' Starlette application: routes of every page module, static files, error pages."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from hall_controller.web import (
    api_v1,
    api_v1_schema,
    views_appointments,
    views_auth,
    views_console,
    views_console_audit,
    views_console_devices,
    views_console_routing,
    views_console_settings,
    views_phone,
    views_ratings,
    views_reports,
    views_terminal,
)
from hall_controller.web.auth import refuse
from hall_controller.web.context import WebContext

STATIC = Path(__file__).parent / "static"


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith(api_v1_schema.PREFIX + "/"):
        return api_v1.not_routed(request.url.path, status)
    return refuse(request, status, "error.not_found" if status == 404 else "error.forbidden")


def routes() -> list[BaseRoute]:
    # each page module lists its own routes (ROUTES); one line per module here
    pages: list[BaseRoute] = []
    pages += views_ratings.ROUTES + views_appointments.ROUTES + views_reports.ROUTES + api_v1.ROUTES
    pages += [*views_console.ROUTES, *views_console_devices.ROUTES, *views_console_audit.ROUTES,
              *views_console_settings.ROUTES]
    pages += views_phone.ROUTES
    pages += views_console_routing.ROUTES
    pages += views_terminal.ROUTES
    return [
        *pages,
        Route("/", views_auth.home),
        Route("/login", views_auth.login_form, methods=["GET"]),
        Route("/login", views_auth.login, methods=["POST"]),
        Route("/logout", views_auth.logout, methods=["POST"]),
        Route("/lang/{lang}", views_auth.set_lang),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(ctx: WebContext, extra: list[BaseRoute] | None = None) -> Starlette:
    app = Starlette(routes=[*(extra or []), *routes()], exception_handlers={404: _not_found, 405: _not_found})
    app.state.ctx = ctx
    return app
