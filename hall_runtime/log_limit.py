"""Logging that a hostile or broken peer cannot turn into a flood.

``LogLimiter.allow(key)`` says whether to write a line now: the first event of a key in each interval is
written, the rest are counted, and the next line written says how many were held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class LogLimiter:
    def __init__(self, interval_s: float = 10.0, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 4096) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._max_keys = max_keys
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def allow(self, key: str) -> tuple[bool, int]:
        """(write now?, how many lines of this key were held back since the last one written)."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._held[key] = self._held.get(key, 0) + 1
            return False, 0
        if len(self._last) >= self._max_keys:  # many distinct keys: forget old ones rather than grow
            self._last.clear()
        self._last[key] = now
        return True, self._held.pop(key, 0)

    def log(self, logger: logging.Logger, level: int, key: str, msg: str, *args: object) -> None:
        write, held = self.allow(key)
        if write:
            suffix = f" ({held} more like this held back)" if held else ""
            logger.log(level, msg + suffix, *args)


class RateLimitFilter(logging.Filter):
    """A filter for a library's logger: one record per message template per interval."""

    def __init__(self, interval_s: float = 10.0) -> None:
        super().__init__()
        self._limiter = LogLimiter(interval_s)

    def filter(self, record: logging.LogRecord) -> bool:
        write, held = self._limiter.allow(f"{record.name}:{record.msg}")
        if write and held:
            record.msg = f"{record.msg} ({held} more like this held back)"
        return write
