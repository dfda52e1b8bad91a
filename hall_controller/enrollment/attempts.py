"""Rate limit on wrong one-time codes (sans-IO: time is an argument).

A code has 60 random bits, so guessing is hopeless anyway; the limit keeps a scanner from even trying and
makes a burst of failures visible in the log. Per source address, plus a hall-wide ceiling against many
sources at once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hall_controller.enrollment.errors import TooManyAttempts

MAX_SOURCES = 10_000


@dataclass
class AttemptLimiter:
    max_failures: int = 5
    window_s: float = 300.0
    global_max_failures: int = 100
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _global: deque[float] = field(default_factory=deque)

    def _prune(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window_s:
            times.popleft()

    def check(self, source: str, now: float) -> None:
        """Raise TooManyAttempts while ``source`` (or the whole hall) is over its limit."""
        self._prune(self._global, now)
        times = self._failures.get(source)
        if times is not None:
            self._prune(times, now)
            if len(times) >= self.max_failures:
                self._refuse(times[0] + self.window_s - now)
        if len(self._global) >= self.global_max_failures:
            self._refuse(self._global[0] + self.window_s - now)

    @staticmethod
    def _refuse(retry_after: float) -> None:
        minutes = max(1, round(retry_after / 60))
        raise TooManyAttempts(
            f"too many wrong codes; try again in {retry_after:.0f} s",
            f"授权码错误次数过多，请 {minutes} 分钟后再试，或在控制台重新生成授权码。",
            retry_after_s=max(0.0, retry_after),
        )

    def failed(self, source: str, now: float) -> None:
        if source not in self._failures and len(self._failures) >= MAX_SOURCES:
            for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window_s]:
                del self._failures[key]
            if len(self._failures) >= MAX_SOURCES:
                self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(source, deque()).append(now)
        self._global.append(now)

    def succeeded(self, source: str) -> None:
        self._failures.pop(source, None)
