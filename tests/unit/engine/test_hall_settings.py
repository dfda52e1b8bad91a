"""The manager's changes for the day: a window's services, a service's limits, notices, alert acknowledgements."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from hall_controller.engine import EngineError, alerts, display_message, fold, hall_state_message
from hall_controller.engine import events as ev
from hall_controller.engine.rules_hall import problem_text, service_limits_config, window_skills_config
from hall_protocol.config_files import ConfigError, load_toml
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import Notice
from hall_protocol.hall_config import HallConfig
from tests.unit.engine.helpers import DAY, T0, Hall, at, cmd, hall_config


def test_a_window_takes_a_service_at_once_and_the_log_rebuilds_it() -> None:
    h = Hall()
    h.staff("W2")
    h.issue("S1")
    with pytest.raises(EngineError) as refused:
        h.send(cmd.CallNext, window_id="W2")
    assert refused.value.code is ErrorCode.NOT_FOUND  # W2 serves S2 only
    events = h.send(cmd.SetWindowSkills, window_id="W2", skills={"S1": 1.0, "S2": 0.5})
    assert [type(e) for e in events] == [ev.WindowSkillsSet]
    assert h.state.index.skill("W2", "S1") == 1.0
    assert h.state.plan.windows[1].skills == {"S2": 1.0}  # what was loaded stays known
    assert h.state.index.service_windows["S1"] == (("W1", 1.0), ("W2", 1.0), ("W3", 0.5))
    assert h.state.tickets[h.call("W2")].number == "A001"
    h.check_rebuild()


def test_same_services_again_changes_nothing() -> None:
    h = Hall()
    assert h.send(cmd.SetWindowSkills, window_id="W2", skills={"S2": 1.0}) == []
    assert h.send(cmd.SetServiceLimits, service="S1", target_wait_min=20, daily_cap=50) == []


@pytest.mark.parametrize(
    ("skills", "words"),
    [
        ({"S1": 0.0}, "windows[1].skills"),
        ({"S1": 1.5}, "windows[1].skills"),
        ({"NOPE": 1.0}, "windows[1].skills: 'NOPE' is not a configured service"),
        ({}, "windows[1] (W2): give it skills or make it comprehensive"),
    ],
)
def test_bad_services_are_refused_with_the_config_files_sentence(skills: dict[str, float], words: str) -> None:
    h = Hall()
    with pytest.raises(EngineError) as refused:
        h.send(cmd.SetWindowSkills, window_id="W2", skills=skills)
    assert refused.value.code is ErrorCode.MALFORMED
    assert words in refused.value.message
    assert words in refused.value.message_zh
    assert h.log == []


def _file_problem(tmp_path: Path, config: HallConfig, section: str, index: int, **changes: object) -> str:
    """The sentence the config-file check gives for the same edit written into a TOML file."""
    raw = msgspec.to_builtins(config)
    raw[section][index].update(changes)
    lines = []
    for key in ("hall",):
        lines.append(f"[{key}]")
        lines += [f"{k} = {_toml(v)}" for k, v in raw[key].items()]
    for key in ("zones", "services", "windows"):
        for item in raw[key]:
            lines.append(f"[[{key}]]")
            lines += [f"{k} = {_toml(v)}" for k, v in item.items() if v is not None]
    path = tmp_path / "hall.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_toml(path, HallConfig)
    return problem_text(err.value.problems[0])


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("target_wait_min", 0), ("target_wait_min", "soon"), ("daily_cap", 0), ("daily_cap", 10_000), ("daily_cap", 2.5)],
)
def test_service_limits_are_checked_word_for_word_as_the_file_is(tmp_path: Path, field: str, value: object) -> None:
    config = hall_config()
    limits = {"target_wait_min": 20, "daily_cap": 50, field: value}
    with pytest.raises(ConfigError) as err:
        service_limits_config(config, "S1", limits["target_wait_min"], limits["daily_cap"])
    console = problem_text(err.value.problems[0])
    assert console == _file_problem(tmp_path, config, "services", 0, **{field: value})
    assert console.startswith(f"services[0].{field}: ")
    assert f"(value: {value!r})" in console


def test_window_services_are_checked_word_for_word_as_the_file_is(tmp_path: Path) -> None:
    config = hall_config()
    with pytest.raises(ConfigError) as err:
        window_skills_config(config, "W1", {"S1": 2})
    assert problem_text(err.value.problems[0]) == _file_problem(tmp_path, config, "windows", 0, skills={"S1": 2})


def test_a_lower_daily_cap_stops_issuing_and_a_shorter_target_raises_alerts() -> None:
    h = Hall()
    h.issue("S1")
    h.issue("S1")
    h.send(cmd.SetServiceLimits, service="S1", target_wait_min=1, daily_cap=2)
    with pytest.raises(EngineError) as refused:
        h.issue("S1")
    assert refused.value.code is ErrorCode.CAP_REACHED
    over = [a for a in alerts(h.state, T0 + 90) if a.kind == "ticket-over-target"]
    assert len(over) == 2
    assert over[0].limit == 60
    h.check_rebuild()


def test_the_days_changes_end_with_the_day_but_notices_stay() -> None:
    h = Hall()
    h.send(cmd.SetWindowSkills, window_id="W2", skills={"S1": 1.0})
    h.send(cmd.SetServiceLimits, service="S1", target_wait_min=5, daily_cap=10)
    h.send(cmd.SetNotices, notices=(Notice(text_zh="今日下午系统升级"),))
    h.send(cmd.AcknowledgeAlert, alert_id="window-idle/W1@1", by="manager")
    assert h.state.config is not h.state.plan
    h.issue("S1", now=at("2025-03-11", "08:30"))
    assert isinstance(h.log[-2], ev.DayStarted)
    assert h.state.config == h.state.plan
    assert h.state.index.skill("W2", "S1") == 0.0
    assert h.state.config.service("S1").daily_cap == 50
    assert h.state.notices == (Notice(text_zh="今日下午系统升级"),)
    assert h.state.alert_acks == {}
    h.check_rebuild()


def test_notices_reach_the_hall_state_and_their_zones_displays() -> None:
    h = Hall()
    hall_wide = Notice(text_zh=" 午间12:00-13:30照常办理 ", text_en="Open over lunch")
    zone_b = Notice(text_zh="B区3号窗口暂停", zone="B")
    h.send(cmd.SetNotices, notices=(hall_wide, zone_b))
    stored = h.state.notices
    assert stored[0].text_zh == "午间12:00-13:30照常办理"  # trimmed
    assert hall_state_message(h.state, T0, 1).notices == stored
    assert display_message(h.state, "A", T0, 1).notices == (stored[0],)
    assert display_message(h.state, "B", T0, 1).notices == stored
    h.send(cmd.SetNotices, notices=())
    assert hall_state_message(h.state, T0, 2).notices == ()
    h.check_rebuild()


@pytest.mark.parametrize(
    ("notices", "code"),
    [
        (tuple(Notice(text_zh=f"公告{i}") for i in range(6)), ErrorCode.MALFORMED),
        ((Notice(text_zh="   "),), ErrorCode.MALFORMED),
        ((Notice(text_zh="长" * 201),), ErrorCode.MALFORMED),
        ((Notice(text_zh="有效", zone="Z"),), ErrorCode.NOT_FOUND),
    ],
)
def test_bad_notices_are_refused(notices: tuple[Notice, ...], code: ErrorCode) -> None:
    h = Hall()
    with pytest.raises(EngineError) as refused:
        h.send(cmd.SetNotices, notices=notices)
    assert refused.value.code is code


def test_an_alert_episode_is_acknowledged_once() -> None:
    h = Hall()
    h.send(cmd.AcknowledgeAlert, now=T0 + 5, alert_id="queue-over-threshold/S1@100", by="manager")
    ack = h.state.alert_acks["queue-over-threshold/S1@100"]
    assert (ack.by, ack.at) == ("manager", T0 + 5)
    with pytest.raises(EngineError) as refused:
        h.send(cmd.AcknowledgeAlert, alert_id="queue-over-threshold/S1@100", by="other")
    assert refused.value.code is ErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(EngineError):
        h.send(cmd.AcknowledgeAlert, alert_id="", by="manager")
    h.check_rebuild()


def test_a_log_replayed_over_an_edited_config_keeps_what_still_fits() -> None:
    h = Hall()
    h.send(cmd.SetWindowSkills, window_id="W2", skills={"S1": 1.0, "S3": 0.5})
    # hall.toml edited the same day: S3 is gone
    services = [s for s in msgspec.to_builtins(hall_config())["services"] if s["code"] != "S3"]
    edited = hall_config(services=services)
    rebuilt = fold(Hall(edited).initial, h.log)
    assert rebuilt.index.skill("W2", "S1") == 1.0
    assert "S3" not in rebuilt.index.services
    assert rebuilt.day == DAY
