"""The citizen's phone page, opened from the QR on the ticket: ``/t/{hall}/{ticket_id}?k={token}``.

Public (no log-in): the token in the URL is the only key, compared in constant time. A wrong hall, id or
token, a ticket of another day, or one whose visit ended more than ``AFTER_END_S`` ago all get the same
404 page, which does not say which part was wrong. The page shows no personal data: number, service,
position, estimated wait as a range, where to go, the call the moment it happens (server-sent events woken
by the hub, no polling), and each step after it (grace, recalls, no-show). ``….json`` is its JSON twin.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import msgspec
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller.engine.clock import local_date, local_datetime
from hall_controller.engine.estimates import estimate, position
from hall_controller.engine.state import EngineState, Ticket
from hall_controller.notify.gateway import DeliveryError
from hall_controller.notify.store import Status
from hall_controller.web.auth import context
from hall_controller.web.context import WebContext
from hall_controller.web.render import ENV, json_response, lang_of, page, render, wants_json
from hall_controller.web.texts import text
from hall_protocol.tickets import TicketState

AFTER_END_S = 30 * 60  # a finished visit's page stays readable this long, then it is gone
LIVE_WAIT_S = 15.0  # a quiet stream still re-checks expiry this often
_DUMMY_TOKEN = "x" * 24
_FINAL = frozenset({TicketState.FINISHED, TicketState.NO_SHOW, TicketState.CANCELLED})
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class PhoneStep(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    at: float
    time: str  # HH:MM on the hall's clock
    text: str


class PhoneView(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the page shows, in ``lang``; no personal data."""

    lang: str
    hall_name: str
    number: str
    service: str
    state: TicketState
    stage: str  # waiting, called, recalled, serving, parked, finished, no-show, cancelled
    headline: str
    detail: str = ""
    position: int = 0  # 1 = next; 0 when not waiting
    wait: str = ""
    where: str = ""
    window: str = ""
    deadline: float = 0.0  # when the next recall or the no-show comes, while called
    recall_count: int = 0
    recall_limit: int = 0
    steps: tuple[PhoneStep, ...] = ()
    notice: str = ""  # the latest message sent to the citizen's phone, when they gave a number


def _t(key: str, lang: str, **params: object) -> str:
    return text(key, lang).format(**params) if params else text(key, lang)


def find_ticket(ctx: WebContext, hall: str, ticket_id: str, token: str, now: float) -> Ticket | None:
    """The ticket, when every part of the address is right and its page has not expired."""
    state = ctx.service.core.state
    t = state.ticket(ticket_id) if hall == ctx.config.hall.id else None
    # compared even when there is no ticket, so the answer takes as long either way
    ok = hmac.compare_digest(token.encode(), (t.token if t is not None else _DUMMY_TOKEN).encode())
    if t is None or not ok or not t.token:
        return None
    if t.day != local_date(now, ctx.config.hall.timezone):
        return None  # yesterday's ticket (the engine drops it with the next day's first change)
    if t.ended_at is not None and now - t.ended_at > AFTER_END_S:
        return None
    return t


def _clock(state: EngineState, at: float) -> str:
    return local_datetime(at, state.config.hall.timezone).strftime("%H:%M")


def _names(state: EngineState, lang: str, t: Ticket) -> tuple[str, str, str]:
    """(service, zone, window) in ``lang``."""
    svc = state.index.services[t.service]
    zone = state.index.zones[svc.zone]
    window = state.index.windows.get(t.window_id) if t.window_id else None
    if lang == "en":
        return svc.name_en, zone.name_en, window.name_en if window else ""
    return svc.name_zh, zone.name_zh, window.name_zh if window else ""


def _wait(state: EngineState, t: Ticket, lang: str, now: float) -> str:
    est = estimate(state, t.ticket_id, now)
    if est.basis == "none":
        return _t("phone.wait_unknown", lang)
    low, high = math.floor(est.low / 60), math.ceil(est.high / 60)
    if high <= 2:
        return _t("phone.wait_soon", lang)
    return _t("phone.wait_range", lang, low=max(low, 1), high=max(high, low + 1))


def _steps(state: EngineState, t: Ticket, lang: str) -> tuple[PhoneStep, ...]:
    out: list[tuple[float, str, str]] = [(t.issued_at, "issued", _t("phone.step.issued", lang))]
    for record in t.history:  # earlier steps of a visit of several services
        name = state.index.services[record.service]
        out.append((record.ended_at, "step-done",
                    _t("phone.step.step_done", lang, service=name.name_en if lang == "en" else name.name_zh)))
    if t.no_show_count and t.state is not TicketState.NO_SHOW:
        out.append((t.order_time, "recycled", _t("phone.step.recycled", lang)))
    _, _, window = _names(state, lang, t)
    if t.called_at is not None:
        out.append((t.called_at, "called", _t("phone.step.called", lang, window=window)))
    if t.recall_count and t.last_call_at is not None:
        out.append((t.last_call_at, "recalled", _t("phone.step.recalled", lang, count=t.recall_count)))
    if t.started_at is not None:
        out.append((t.started_at, "serving", _t("phone.step.serving", lang)))
    if t.ended_at is not None:
        key = {TicketState.FINISHED: "finished", TicketState.NO_SHOW: "no_show"}.get(t.state, "cancelled")
        out.append((t.ended_at, key.replace("_", "-"), _t(f"phone.step.{key}", lang)))
    out.sort(key=lambda s: s[0])
    return tuple(PhoneStep(key=k, at=at, time=_clock(state, at), text=words) for at, k, words in out)


def phone_view(ctx: WebContext, t: Ticket, lang: str, now: float) -> PhoneView:
    state = ctx.service.core.state
    calling = state.config.calling
    service, zone, window = _names(state, lang, t)
    hall = state.config.hall
    base: dict[str, Any] = {
        "lang": lang, "hall_name": hall.name_en if lang == "en" else hall.name_zh, "number": t.number,
        "service": service, "state": t.state, "steps": _steps(state, t, lang), "window": window,
        "recall_limit": calling.recall_limit, "recall_count": t.recall_count, "notice": _notice(ctx, t, lang),
    }
    s = t.state
    if s is TicketState.WAITING:
        pos = position(state, t.ticket_id)
        headline = _t("phone.next", lang) if pos == 1 else _t("phone.ahead", lang, ahead=pos - 1)
        detail = _t("phone.recycled", lang) if t.no_show_count else (
            _t("phone.next_step", lang, step=t.step_index + 1, service=service) if t.step_index else "")
        return PhoneView(stage="waiting", headline=headline, detail=detail, position=pos,
                         wait=_wait(state, t, lang, now), where=zone, **base)
    if s in (TicketState.CALLED, TicketState.RECALLED):
        last = t.last_call_at or now
        recall_next = t.recall_count < calling.recall_limit and calling.recall_after_s > 0
        deadline = last + (calling.recall_after_s if recall_next else calling.grace_s)
        until = _t("phone.until_recall" if recall_next else "phone.until_no_show", lang,
                   time=_clock(state, deadline))
        headline = (_t("phone.recalled", lang, count=t.recall_count, limit=calling.recall_limit, window=window)
                    if t.recall_count else _t("phone.called", lang, window=window))
        stage = "recalled" if t.recall_count else "called"
        return PhoneView(stage=stage, headline=headline, detail=until, where=window, deadline=deadline, **base)
    if s is TicketState.SERVING:
        return PhoneView(stage="serving", headline=_t("phone.serving", lang, window=window), where=window, **base)
    words = {TicketState.PARKED: ("parked", "phone.parked"), TicketState.FINISHED: ("finished", "phone.finished"),
             TicketState.NO_SHOW: ("no-show", "phone.no_show")}.get(s, ("cancelled", "phone.cancelled"))
    return PhoneView(stage=words[0], headline=_t(words[1], lang), **base)


def _notice(ctx: WebContext, t: Ticket, lang: str) -> str:
    """The latest message to the citizen's phone, in words (never the number it went to)."""
    if ctx.notifier is None:
        return ""
    sent = ctx.notifier.deliveries(t.ticket_id)
    if not sent:
        return ""
    last = sent[-1]
    what = _t(f"phone.notify.kind.{last.kind}", lang)
    if last.status is Status.SENT:
        return _t("phone.notify.sent", lang, what=what)
    if last.status is Status.FAILED:
        return _t("phone.notify.failed", lang)
    if last.status in (Status.QUEUED, Status.SENDING, Status.RETRYING):
        return _t("phone.notify.trying", lang, what=what)
    return ""


def _address(request: Request) -> tuple[str, str, str]:
    ticket_id = request.path_params["ticket_id"].removesuffix(".json")
    return request.path_params["hall"], ticket_id, request.query_params.get("k", "")


def _gone(request: Request) -> Response:
    lang = lang_of(request)
    if wants_json(request):
        response = json_response({"error": {"code": "not_found", "message": text("phone.expired", "en"),
                                            "message_zh": text("phone.expired", "zh")}}, 404)
    else:
        response = render(request, "phone_gone.html", 404, message=text("phone.expired", lang),
                          title=text("phone.title", lang))
    response.headers.update(_NO_STORE)
    return response


def _links(request: Request, hall: str, ticket_id: str, token: str, lang: str) -> dict[str, str]:
    path = f"/t/{hall}/{ticket_id}"
    other = "en" if lang == "zh" else "zh"
    return {"switch": f"{path}?{urlencode({'k': token, 'lang': other})}",
            "live": f"{path}/live?{urlencode({'k': token, 'lang': lang})}"}


async def phone_page(request: Request) -> Response:
    ctx = context(request)
    hall, ticket_id, token = _address(request)
    now = ctx.clock()
    t = find_ticket(ctx, hall, ticket_id, token, now)
    if t is None:
        return _gone(request)
    lang = lang_of(request)
    response = page(request, "phone.html", phone_view(ctx, t, lang, now),
                    links=_links(request, hall, ticket_id, token, lang))
    response.headers.update(_NO_STORE)
    return response


async def phone_live(request: Request) -> Response:
    """Server-sent events: the status card, re-rendered whenever the hall changed and the card with it."""
    ctx = context(request)
    hall, ticket_id, token = _address(request)
    if find_ticket(ctx, hall, ticket_id, token, ctx.clock()) is None:
        return _gone(request)
    lang = lang_of(request)
    fragment = ENV.get_template("phone_status.html")

    async def stream() -> AsyncIterator[dict[str, str]]:
        seen, last = -1, ""
        while True:
            seen = await ctx.service.hub.wait_past(seen, LIVE_WAIT_S) if seen >= 0 else ctx.service.hub.version
            now = ctx.clock()
            t = find_ticket(ctx, hall, ticket_id, token, now)
            if t is None:
                yield {"event": "gone", "data": text("phone.expired", lang)}
                return
            html = fragment.render(data=phone_view(ctx, t, lang, now), t=lambda key: text(key, lang))
            if html != last:
                last = html
                yield {"event": "status", "data": html}

    return EventSourceResponse(stream(), ping=15, headers=_NO_STORE)


async def phone_wechat(request: Request) -> Response:
    """``POST …/wechat?k=`` with ``{"code": …}`` from the hall's mini program (``wx.login``, after the citizen
    accepted the subscribe template): messages for this ticket go to their WeChat too."""
    ctx = context(request)
    hall, ticket_id, token = _address(request)
    t = find_ticket(ctx, hall, ticket_id, token, ctx.clock())
    if t is None:
        return _gone(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not 1 <= len(code) <= 128:
        return json_response({"error": {"code": "malformed", "message": "a code is needed"}}, 400)
    try:
        ok = ctx.notifier is not None and await ctx.notifier.subscribe_wechat(t.ticket_id, code)
    except DeliveryError as err:
        return json_response({"error": {"code": "unavailable", "message": err.reason}}, 502)
    if not ok:
        return json_response({"error": {"code": "not_found", "message": "WeChat messages are not set up"}}, 404)
    return json_response({"ok": True})


ROUTES: list[BaseRoute] = [
    Route("/t/{hall}/{ticket_id}/wechat", phone_wechat, methods=["POST"]),
    Route("/t/{hall}/{ticket_id}/live", phone_live),
    Route("/t/{hall}/{ticket_id}", phone_page),
]
