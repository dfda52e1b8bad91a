"""A small hall for engine tests, and a driver that checks every step against a rebuild from the log."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from hall_controller.engine import EngineState, apply, fold, handle
from hall_controller.engine import commands as cmd
from hall_controller.engine.events import Event
from hall_protocol.config_files import convert
from hall_protocol.hall_config import HallConfig

TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str, sec: float = 0.0) -> float:
    """Epoch seconds of a wall-clock time in the test hall's zone."""
    hh, mm = hhmm.split(":")
    return datetime.fromisoformat(f"{day}T{hh}:{mm}:00").replace(tzinfo=TZ).timestamp() + sec


DAY = "2025-03-10"
T0 = at(DAY, "09:00")
SECRET = b"test-hall-secret-0123456789abcde"  # 32 bytes: fixed, so that test runs repeat


def hall_config(**overrides: Any) -> HallConfig:
    """Zones A, B; services S1 (A, prefix A), S2 (A, prefix B), S3 (B, prefix C, 09:00-12:00 issuing);
    W1 serves S1 (1.0) and S2 (0.5); W2 serves S2; W3 is comprehensive."""
    raw: dict[str, Any] = {
        "hall": {"id": "test", "name_zh": "测试大厅", "name_en": "Test hall"},
        "zones": [
            {"id": "A", "name_zh": "A区", "name_en": "Zone A"},
            {"id": "B", "name_zh": "B区", "name_en": "Zone B"},
        ],
        "services": [
            {
                "code": "S1",
                "name_zh": "业务一",
                "name_en": "Service 1",
                "prefix": "A",
                "zone": "A",
                "issue_from": "00:00",
                "issue_until": "23:59",
                "daily_cap": 50,
                "expected_service_min": 5,
                "target_wait_min": 20,
                "queue_alert_threshold": 5,
            },
            {
                "code": "S2",
                "name_zh": "业务二",
                "name_en": "Service 2",
                "prefix": "B",
                "zone": "A",
                "issue_from": "00:00",
                "issue_until": "23:59",
                "expected_service_min": 10,
            },
            {
                "code": "S3",
                "name_zh": "业务三",
                "name_en": "Service 3",
                "prefix": "C",
                "zone": "B",
                "issue_from": "09:00",
                "issue_until": "12:00",
                "daily_cap": 3,
            },
        ],
        "windows": [
            {"id": "W1", "name_zh": "1号窗口", "name_en": "Window 1", "zone": "A", "skills": {"S1": 1.0, "S2": 0.5}},
            {"id": "W2", "name_zh": "2号窗口", "name_en": "Window 2", "zone": "A", "skills": {"S2": 1.0}},
            {"id": "W3", "name_zh": "3号综合窗口", "name_en": "Window 3", "zone": "B", "comprehensive": True},
        ],
    }
    for key, value in overrides.items():
        raw[key] = value
    return convert(raw, HallConfig)


class Hall:
    """Drives the engine like the service would, keeping the event log and checking rebuilds."""

    def __init__(self, config: HallConfig | None = None, now: float = T0) -> None:
        self.config = config or hall_config()
        self.now = now
        self.initial = EngineState.initial(self.config, now, secret=SECRET)
        self.state = self.initial
        self.log: list[Event] = []
        self._ids = itertools.count(1)

    def rid(self) -> str:
        return f"r{next(self._ids)}"

    def do(self, command: Any, now: float | None = None) -> list[Event]:
        if now is not None:
            self.now = now
        new, events = handle(self.state, command, self.now)
        self.state = new
        self.log.extend(events)
        return events

    def send(self, kind: type[Any], now: float | None = None, **fields: Any) -> list[Event]:
        return self.do(kind(request_id=self.rid(), **fields), now)

    def issue(self, service: str = "S1", now: float | None = None, **fields: Any) -> str:
        events = self.send(cmd.IssueTicket, now, service=service, **fields)
        ticket_id: str = events[-1].ticket_id  # type: ignore[union-attr]
        return ticket_id

    def ticket_numbered(self, number: str) -> str:
        """The id of today's ticket with this number."""
        return next(tid for tid, t in self.state.tickets.items() if t.number == number)

    def staff(self, window: str) -> None:
        self.send(cmd.Login, window_id=window, staff_id=f"staff-{window}")
        self.send(cmd.OpenWindow, window_id=window)

    def call(self, window: str, now: float | None = None) -> str:
        events = self.send(cmd.CallNext, now, window_id=window)
        ticket_id: str = events[-1].ticket_id  # type: ignore[union-attr]
        return ticket_id

    def serve(self, window: str, minutes: float = 5) -> str:
        """Call next at ``window``, start, finish after ``minutes``."""
        ticket_id = self.call(window)
        self.send(cmd.StartService, window_id=window)
        self.send(cmd.FinishService, now=self.now + minutes * 60, window_id=window)
        return ticket_id

    def rebuilt(self) -> EngineState:
        """Fold the log, after a JSON round trip, over the initial state."""
        data = [msgspec.json.encode(e) for e in self.log]
        decoded = [msgspec.json.decode(d, type=Event) for d in data]
        return fold(self.initial, decoded)

    def check_rebuild(self) -> None:
        assert self.rebuilt() == self.state


__all__ = ["DAY", "SECRET", "T0", "Hall", "apply", "at", "cmd", "hall_config"]
