"""The hall manager's changes for the day: a window's services, a service's limits, the screens' notices, and
the acknowledgement of an efficiency alert.

A changed configuration is checked exactly as a config file is (``hall_protocol.config_files.convert`` over
the whole edited configuration), so a bad value is refused with the same sentence, naming the field and the
value. The console calls the same functions before it sends a change, to show that sentence at the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.checks import fail, illegal, service_or_fail, window_or_fail
from hall_controller.engine.state import EngineState
from hall_protocol.config_files import ConfigError, ConfigProblem, convert
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import MAX_NOTICES, NOTICE_CHARS, Notice
from hall_protocol.hall_config import HallConfig

SOURCE = "console"
MAX_ALERT_ID = 300


def problem_text(problem: ConfigProblem) -> str:
    """A config problem as the config file check words it, without the file name."""
    if not problem.field:
        return problem.message
    return f"{problem.field}: {problem.message} (value: {problem.value})"


def _edited(config: HallConfig, section: str, key: str, ident: str, changes: Mapping[str, Any]) -> HallConfig:
    raw = msgspec.to_builtins(config)
    for item in raw[section]:
        if item[key] == ident:
            item.update(changes)
            break
    else:
        raise KeyError(ident)
    return convert(raw, HallConfig, source=SOURCE)


def window_skills_config(config: HallConfig, window_id: str, skills: Mapping[str, Any]) -> HallConfig:
    """``config`` with the window's services replaced (``ConfigError`` as for a config file; KeyError for an
    unknown window). Values are taken as given (a form's text that is not a number stays text, and is
    refused with the file check's sentence)."""
    return _edited(config, "windows", "id", window_id, {"skills": dict(skills)})


def service_limits_config(config: HallConfig, service: str, target_wait_min: Any, daily_cap: Any) -> HallConfig:
    """``config`` with the service's target wait and daily cap replaced (errors as above)."""
    return _edited(config, "services", "code", service,
                   {"target_wait_min": target_wait_min, "daily_cap": daily_cap})


def _checked_config(build: Callable[[], HallConfig]) -> HallConfig:
    try:
        config = build()
    except ConfigError as err:
        text = "; ".join(problem_text(p) for p in err.problems)
        fail(ErrorCode.MALFORMED, text, f"设置有误：{text}")
    return config


def set_window_skills(state: EngineState, c: cmd.SetWindowSkills, now: float) -> list[ev.Event]:
    window_or_fail(state, c.window_id)
    config = _checked_config(lambda: window_skills_config(state.config, c.window_id, c.skills))
    window = next(w for w in config.windows if w.id == c.window_id)
    if window == state.index.windows[c.window_id]:
        return []
    return [ev.WindowSkillsSet(request_id=c.request_id, at=now, window_id=c.window_id, skills=dict(window.skills))]


def set_service_limits(state: EngineState, c: cmd.SetServiceLimits, now: float) -> list[ev.Event]:
    service_or_fail(state, c.service)
    config = _checked_config(lambda: service_limits_config(state.config, c.service, c.target_wait_min, c.daily_cap))
    svc = config.service(c.service)
    if svc == state.index.services[c.service]:
        return []
    return [ev.ServiceLimitsSet(request_id=c.request_id, at=now, service=c.service,
                                target_wait_min=svc.target_wait_min, daily_cap=svc.daily_cap)]


def set_notices(state: EngineState, c: cmd.SetNotices, now: float) -> list[ev.Event]:
    if len(c.notices) > MAX_NOTICES:
        fail(ErrorCode.MALFORMED, f"at most {MAX_NOTICES} notices", f"最多{MAX_NOTICES}条公告")
    notices = []
    for n in c.notices:
        zh, en = n.text_zh.strip(), n.text_en.strip()
        if not zh:
            fail(ErrorCode.MALFORMED, "a notice needs its Chinese text", "公告须有中文内容")
        if len(zh) > NOTICE_CHARS or len(en) > NOTICE_CHARS:
            fail(ErrorCode.MALFORMED, f"a notice has at most {NOTICE_CHARS} characters",
                 f"每条公告最多{NOTICE_CHARS}字")
        if n.zone is not None and n.zone not in state.index.zones:
            fail(ErrorCode.NOT_FOUND, f"unknown zone {n.zone!r}", f"没有这个区域：{n.zone}")
        notices.append(Notice(text_zh=zh, text_en=en, zone=n.zone))
    if tuple(notices) == state.notices:
        return []
    return [ev.NoticesSet(request_id=c.request_id, at=now, notices=tuple(notices))]


def acknowledge_alert(state: EngineState, c: cmd.AcknowledgeAlert, now: float) -> list[ev.Event]:
    if not c.alert_id or len(c.alert_id) > MAX_ALERT_ID or not c.by:
        fail(ErrorCode.MALFORMED, "an acknowledgement names the alert and the person", "确认须写明提醒和确认人")
    done = state.alert_acks.get(c.alert_id)
    if done is not None:
        illegal(f"alert already acknowledged by {done.by}", f"该提醒已由{done.by}确认")
    return [ev.AlertAcknowledged(request_id=c.request_id, at=now, alert_id=c.alert_id, by=c.by)]
