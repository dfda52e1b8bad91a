"""Log-in, log-out, the language switch, and the start page that sends each person to their page."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hall_controller.accounts import AccountError, PersonRole
from hall_controller.web.auth import SESSION_COOKIE, context, requires, session_of, set_session_cookie
from hall_controller.web.render import LANG_COOKIE, lang_of, render
from hall_controller.web.texts import LANGS


def _home_of(role: PersonRole) -> str:
    return "/terminal" if role is PersonRole.STAFF else "/console"


def _safe_next(value: str) -> str:
    """Only a path on this site (an open redirect would let a link send staff to a look-alike page)."""
    parts = urlsplit(value)
    return value if value.startswith("/") and not value.startswith("//") and not parts.netloc else ""


async def home(request: Request) -> Response:
    session = await session_of(request)
    return RedirectResponse(_home_of(session.role) if session else "/login", status_code=303)


async def login_form(request: Request) -> Response:
    await session_of(request)  # a logged-in person sees who they are (and gets a CSRF token to log out)
    return render(request, "login.html", next=_safe_next(request.query_params.get("next", "")), error="",
                  username="")


async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "")))
    try:
        session = await context(request).accounts.login(username, password)
    except AccountError as err:
        message = err.message_en if lang_of(request) == "en" else err.message_zh
        return render(request, "login.html", 401, next=nxt, error=message, username=username)
    response = RedirectResponse(nxt or _home_of(session.role), status_code=303)
    set_session_cookie(response, session.token, context(request).secure_cookies)
    return response


@requires(None)
async def logout(request: Request) -> Response:
    await context(request).accounts.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def set_lang(request: Request) -> Response:
    lang = request.path_params["lang"]
    response = RedirectResponse(_safe_next(request.query_params.get("next", "")) or "/", status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/", max_age=365 * 86400)
    return response
