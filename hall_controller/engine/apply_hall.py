"""Applying what happens to windows and to the hall as a whole: staff sessions (log in/out, open, close,
pause, resume) and the manager's changes for the day (``rules_hall``: a window's services, a service's
limits, the notices, an alert's acknowledgement). Pure, like the rest of ``apply``; the day's rollover puts
``plan`` back."""

from __future__ import annotations

from typing import Any

import msgspec

from hall_controller.engine import events as ev
from hall_controller.engine.state import AlertAck, ConfigIndex, EngineState, WindowRt
from hall_protocol.hall_config import HallConfig

_replace = msgspec.structs.replace


def set_window(windows: dict[str, WindowRt], window_id: str, **changes: Any) -> dict[str, WindowRt]:
    w = dict(windows)
    w[window_id] = _replace(w[window_id], **changes)
    return w



def _configured(s: EngineState, config: HallConfig) -> EngineState:
    return _replace(s, index=ConfigIndex(config))


def window_skills_set(s: EngineState, e: ev.WindowSkillsSet) -> EngineState:
    # A log replayed over an edited hall.toml may name a window or service that is gone: keep what still fits.
    skills = {code: wt for code, wt in e.skills.items() if code in s.index.services}
    windows = tuple(_replace(w, skills=skills) if w.id == e.window_id else w for w in s.config.windows)
    try:
        return _configured(s, _replace(s.config, windows=windows))
    except ValueError:
        return s


def service_limits_set(s: EngineState, e: ev.ServiceLimitsSet) -> EngineState:
    services = tuple(
        _replace(svc, target_wait_min=e.target_wait_min, daily_cap=e.daily_cap) if svc.code == e.service else svc
        for svc in s.config.services
    )
    return _configured(s, _replace(s.config, services=services))


def notices_set(s: EngineState, e: ev.NoticesSet) -> EngineState:
    return _replace(s, notices=e.notices)


def alert_acknowledged(s: EngineState, e: ev.AlertAcknowledged) -> EngineState:
    return _replace(s, alert_acks={**s.alert_acks, e.alert_id: AlertAck(by=e.by, at=e.at)})


def logged_in(s: EngineState, e: ev.StaffLoggedIn) -> EngineState:
    return _replace(s, windows=set_window(s.windows, e.window_id, staff_id=e.staff_id))


def logged_out(s: EngineState, e: ev.StaffLoggedOut) -> EngineState:
    windows = set_window(s.windows, e.window_id, staff_id=None, open=False, paused=False, pause_reason="")
    return _replace(s, windows=windows)


def opened(s: EngineState, e: ev.WindowOpened) -> EngineState:
    return _replace(s, windows=set_window(s.windows, e.window_id, open=True, paused=False, idle_since=e.at))


def closed(s: EngineState, e: ev.WindowClosed) -> EngineState:
    return _replace(s, windows=set_window(s.windows, e.window_id, open=False, paused=False, pause_reason=""))


def paused(s: EngineState, e: ev.WindowPaused) -> EngineState:
    return _replace(s, windows=set_window(s.windows, e.window_id, paused=True, pause_reason=e.reason))


def resumed(s: EngineState, e: ev.WindowResumed) -> EngineState:
    return _replace(s, windows=set_window(s.windows, e.window_id, paused=False, pause_reason="", idle_since=e.at))
