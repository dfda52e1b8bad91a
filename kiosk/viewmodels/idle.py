"""Idle timeout (sans-IO: the time is passed in). A visible countdown comes at least 20 s before the reset."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kiosk.i18n import Text

MIN_WARNING_S = 20.0
"""Shortest warning a citizen gets before the kiosk resets (and wipes) their session."""


class IdlePhase(StrEnum):
    INACTIVE = "inactive"  # no session (attract loop): nothing to time out
    ACTIVE = "active"
    WARNING = "warning"  # show the countdown and a "continue" button
    EXPIRED = "expired"  # reset now


@dataclass(frozen=True, slots=True)
class IdleStatus:
    phase: IdlePhase
    seconds_left: int  # whole seconds until reset, rounded up (the countdown the screen shows)

    @property
    def message(self) -> Text | None:
        if self.phase is IdlePhase.WARNING:
            return Text("idle.warning", seconds=self.seconds_left)
        return None


class IdleTimer:
    def __init__(self, timeout_s: float = 120.0, warning_s: float = 30.0) -> None:
        if warning_s < MIN_WARNING_S:
            raise ValueError(f"idle warning must be at least {MIN_WARNING_S:.0f} s, not {warning_s}")
        if timeout_s <= warning_s:
            raise ValueError(f"idle timeout ({timeout_s} s) must be longer than its warning ({warning_s} s)")
        self.timeout_s = timeout_s
        self.warning_s = warning_s
        self._last: float | None = None

    @property
    def running(self) -> bool:
        return self._last is not None

    def start(self, now: float) -> None:
        self._last = now

    def touch(self, now: float) -> None:
        """Any touch, key or card resets the countdown (also the "continue" button on the warning)."""
        if self._last is not None:
            self._last = max(self._last, now)

    def stop(self) -> None:
        self._last = None

    def status(self, now: float) -> IdleStatus:
        if self._last is None:
            return IdleStatus(IdlePhase.INACTIVE, 0)
        left = self.timeout_s - (now - self._last)
        if left <= 0:
            return IdleStatus(IdlePhase.EXPIRED, 0)
        phase = IdlePhase.WARNING if left <= self.warning_s else IdlePhase.ACTIVE
        return IdleStatus(phase, math.ceil(left))
