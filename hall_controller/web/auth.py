"""Who is at the page: the session cookie, the person behind it, CSRF, and the ``requires`` guard.

A view is wrapped with ``requires(action)``: no session → the log-in page (or 401 for ``.json``); a session
whose person may not take ``action`` (``permissions.allowed``) → 403; an unsafe method without the session's
CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) → 403. Cookies are HttpOnly, SameSite=Strict,
and Secure whenever the pages are served over HTTPS.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hall_controller.accounts import Session
from hall_controller.actors import Actor, ActorKind
from hall_controller.permissions import allowed
from hall_controller.web.context import WebContext
from hall_controller.web.render import json_response, lang_of, render, wants_json
from hall_controller.web.texts import text

SESSION_COOKIE = "ov_session"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
View = Callable[[Request], Awaitable[Response]]


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def actor_of(session: Session) -> Actor:
    return Actor(ActorKind.PERSON, session.username, session.role, window=session.window)


async def session_of(request: Request) -> Session | None:
    if not hasattr(request.state, "session"):
        token = request.cookies.get(SESSION_COOKIE, "")
        request.state.session = await context(request).accounts.session(token) if token else None
    found: Session | None = request.state.session
    return found


def origin_of(request: Request) -> str:
    """Where a request came from, for the audit log."""
    return f"web {request.client.host}" if request.client else "web"


def refuse(request: Request, status: int, key: str) -> Response:
    if wants_json(request) or request.headers.get("HX-Request"):
        return json_response({"error": {"code": "forbidden" if status == 403 else "unauthorised",
                                         "message": text(key, "en"), "message_zh": text(key, "zh")}}, status)
    return render(request, "error.html", status, message=text(key, lang_of(request)))


async def csrf_ok(request: Request, session: Session) -> bool:
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = str((await request.form()).get("csrf", ""))
    return bool(sent) and hmac.compare_digest(sent.encode(), session.csrf.encode())


def requires(action: str | None) -> Callable[[View], View]:
    def wrap(view: View) -> View:
        async def guarded(request: Request) -> Response:
            session = await session_of(request)
            if session is None:
                if wants_json(request) or request.headers.get("HX-Request"):
                    return refuse(request, 401, "error.login_required")
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            request.state.actor = actor_of(session)
            if action is not None and not allowed(request.state.actor, action):
                return refuse(request, 403, "error.forbidden")
            if request.method not in SAFE and not await csrf_ok(request, session):
                return refuse(request, 403, "error.csrf")
            return await view(request)

        guarded.__name__ = view.__name__
        guarded.__doc__ = view.__doc__
        return guarded

    return wrap


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
