"""Services and windows as the manager changes them in a day: a window's services and weights, opening and
closing it, a service's target wait and daily cap, and the screens' notices.

A change is checked exactly as the config file is (``engine.rules_hall``: the edited configuration goes
through ``hall_protocol.config_files.convert``), so a bad value gets the file check's sentence naming the
field and the value; it takes effect at once, through the controller's single writer, with its audit line,
and holds for the rest of the day. Everything else (names, prefixes, zones, hours, materials, adding or
removing a service or window, calling and priority rules, devices) stays in ``hall.toml``: those change the
printed tickets, the kiosks' catalog and the screens, and are checked and loaded at start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.engine import commands as cmd
from hall_controller.engine.rules_hall import problem_text, service_limits_config, window_skills_config
from hall_controller.engine.state import EngineState
from hall_controller.engine.views import window_state
from hall_controller.web.auth import context, origin_of, refuse, requires
from hall_controller.web.console_common import answered, refused
from hall_controller.web.live_data import notices_form
from hall_controller.web.render import page
from hall_controller.web.views_console import request_id
from hall_protocol.config_files import ConfigError
from hall_protocol.errors import ErrorCode
from hall_protocol.hall_config import HallConfig


class ServiceSetting(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    zone: str
    target_wait_min: float
    target_wait_text: str  # as the config file would write it: what the form shows and sends back unchanged
    daily_cap: int
    issued: int
    changed: bool  # differs from hall.toml today


class SkillSetting(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_zh: str
    name_en: str
    on: bool
    weight: float  # the weight in force, or 1 as the suggestion for a service the window does not serve
    weight_text: str


class WindowSetting(msgspec.Struct, frozen=True, kw_only=True):
    window_id: str
    name_zh: str
    name_en: str
    zone: str
    state: str
    open: bool
    comprehensive: bool
    changed: bool
    skills: tuple[SkillSetting, ...]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    services: tuple[ServiceSetting, ...]
    windows: tuple[WindowSetting, ...]


def settings_of(state: EngineState) -> Settings:
    config, plan = state.config, state.plan
    planned_services = {s.code: s for s in plan.services}
    planned_windows = {w.id: w for w in plan.windows}
    services = tuple(
        ServiceSetting(code=s.code, name_zh=s.name_zh, name_en=s.name_en, zone=s.zone,
                       target_wait_min=s.target_wait_min, target_wait_text=f"{s.target_wait_min:g}",
                       daily_cap=s.daily_cap, issued=state.issued.get(s.code, 0),
                       changed=planned_services.get(s.code) != s)
        for s in config.services
    )
    windows = tuple(
        WindowSetting(
            window_id=w.id, name_zh=w.name_zh, name_en=w.name_en, zone=w.zone,
            state=window_state(state, state.windows[w.id]), open=state.windows[w.id].open,
            comprehensive=w.comprehensive, changed=planned_windows.get(w.id) != w,
            skills=tuple(SkillSetting(code=s.code, name_zh=s.name_zh, name_en=s.name_en, on=s.code in w.skills,
                                      weight=w.skills.get(s.code, 1.0), weight_text=f"{w.skills.get(s.code, 1.0):g}")
                    for s in config.services),
        )
        for w in config.windows
    )
    return Settings(services=services, windows=windows)


@requires(permissions.HALL_MANAGE)
async def settings(request: Request) -> Response:
    state = context(request).service.core.state
    return page(request, "console_settings.html", settings_of(state), notices_form=notices_form(state))


def _number(text: str) -> Any:
    """A form's number as the config file would hold it; anything else stays text (and is refused as such)."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _edit(build: Callable[[], HallConfig]) -> HallConfig | Response:
    try:
        config = build()
    except ConfigError as err:
        words = "; ".join(problem_text(p) for p in err.problems)
        return refused(ErrorCode.MALFORMED, words, f"设置有误：{words}")
    except KeyError:
        return refused(ErrorCode.NOT_FOUND, "no such service or window", "没有这项业务或窗口")
    return config


async def _perform(request: Request, command: cmd.Command, audit: tuple[str, str, str], key: str) -> Response:
    service = context(request).service
    answer = await service.perform(request.state.actor, lambda now: service.core.on_command(command, now, audit),
                                   origin=origin_of(request))
    return answered(answer, key)


@requires(permissions.HALL_MANAGE)
async def save_service(request: Request) -> Response:
    code = request.path_params["code"]
    form = await request.form()
    target, cap = _number(str(form.get("target_wait_min", ""))), _number(str(form.get("daily_cap", "")))
    state = context(request).service.core.state
    edited = _edit(lambda: service_limits_config(state.config, code, target, cap))
    if isinstance(edited, Response):
        return edited
    svc = edited.service(code)
    command = cmd.SetServiceLimits(request_id=request_id(), service=code, target_wait_min=svc.target_wait_min,
                                   daily_cap=svc.daily_cap)
    audit = ("service.limits", code, f"target_wait_min={svc.target_wait_min:g} daily_cap={svc.daily_cap}")
    return await _perform(request, command, audit, "console.settings.saved")


def _skills(form: FormData, config: HallConfig) -> dict[str, Any]:
    return {s.code: _number(str(form.get(f"weight_{s.code}", ""))) for s in config.services
            if form.get(f"on_{s.code}")}


@requires(permissions.HALL_MANAGE)
async def save_window(request: Request) -> Response:
    window_id = request.path_params["window_id"]
    state = context(request).service.core.state
    if window_id not in state.index.windows:
        return refuse(request, 404, "error.not_found")
    skills = _skills(await request.form(), state.config)
    edited = _edit(lambda: window_skills_config(state.config, window_id, skills))
    if isinstance(edited, Response):
        return edited
    window = next(w for w in edited.windows if w.id == window_id)
    command = cmd.SetWindowSkills(request_id=request_id(), window_id=window_id, skills=dict(window.skills))
    detail = " ".join(f"{code}={wt:g}" for code, wt in window.skills.items())
    return await _perform(request, command, ("window.skills", window_id, detail), "console.settings.saved")


ROUTES: list[BaseRoute] = [
    Route("/console/settings", settings),
    Route("/console/settings.json", settings),
    Route("/console/settings/services/{code}", save_service, methods=["POST"]),
    Route("/console/settings/windows/{window_id}", save_window, methods=["POST"]),
]
