"""Templates and responses: every page renders one template from one data object, and every page has a JSON
twin at the same path with ``.json`` (the data object itself), so the page and the API cannot drift."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hall_controller import permissions
from hall_controller.web.texts import LANGS, text

LANG_COOKIE = "ov_lang"
OVERRIDE_ENV = "ONEVISIT_TEMPLATES"
"""A folder whose templates replace the shipped ones of the same name (a hall's own look)."""

_loaders: list[Any] = []
if os.environ.get(OVERRIDE_ENV):
    _loaders.append(FileSystemLoader(Path(os.environ[OVERRIDE_ENV])))
_loaders.append(PackageLoader("hall_controller.web", "templates"))
ENV = Environment(loader=ChoiceLoader(_loaders), autoescape=select_autoescape(), trim_blocks=True,
                  lstrip_blocks=True)
# ``tojson`` takes a page's structs as they are (chart data, htmx values)
ENV.policies["json.dumps_function"] = lambda obj, **kwargs: json.dumps(msgspec.to_builtins(obj), **kwargs)


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE, "zh")
    return asked if asked in LANGS else "zh"


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


CONSOLE_NAV = (
    ("/console/live", "console.nav.live", permissions.HALL_STATE),
    ("/console/routing", "console.nav.routing", permissions.HALL_MANAGE),
    ("/console/devices", "console.nav.devices", permissions.DEVICES_VIEW),
    ("/console/ratings", "console.nav.ratings", permissions.RATINGS_VIEW),
    ("/console/appointments", "console.nav.appointments", permissions.APPOINTMENTS),
    ("/console/reports", "console.nav.reports", permissions.REPORTS),
    ("/console/audit", "console.nav.audit", permissions.AUDIT),
    ("/console/settings", "console.nav.settings", permissions.HALL_MANAGE),
)


def render_text(request: Request, template: str, **context: Any) -> str:
    """A template as text (a page, or a fragment sent over a server-sent-event stream)."""
    lang = lang_of(request)
    session = getattr(request.state, "session", None)
    actor = getattr(request.state, "actor", None)
    return ENV.get_template(template).render(
        request=request, lang=lang, t=lambda key: text(key, lang), session=session,
        csrf=session.csrf if session is not None else "", console_nav=CONSOLE_NAV,
        allowed=lambda action: actor is not None and permissions.allowed(actor, action), **context,
    )


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render_text(request, template, **context), status_code=status)


def page(request: Request, template: str, data: msgspec.Struct, status: int = 200, **context: Any) -> Response:
    """The page, or its JSON twin when the path ends with ``.json``."""
    if wants_json(request):
        return json_response(data, status)
    return render(request, template, status, data=data, **context)
