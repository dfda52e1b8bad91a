"""Reconnect delays: exponential backoff with full jitter.

Sans-IO: the caller sleeps, and the random source is injected.

Full jitter (delay drawn uniformly from [0, min(cap, base * 2**attempt))) spreads the reconnects of every
device in a hall after a broker restart, instead of having them all arrive in the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_MAX_EXPONENT = 62  # beyond this base * 2**n is far above any cap; avoids float overflow on long outages


class Backoff:
    def __init__(
        self, *, base: float = 0.5, cap: float = 30.0, rand: Callable[[], float] = random.random
    ) -> None:
        """``rand`` returns a float in [0, 1), like ``random.random``."""
        if not base > 0:
            raise ValueError(f"base must be > 0, not {base}")
        if not cap >= base:
            raise ValueError(f"cap ({cap}) must be >= base ({base})")
        self.base = base
        self.cap = cap
        self._rand = rand
        self.attempts = 0

    def ceiling(self, attempt: int | None = None) -> float:
        """The upper bound of the delay for ``attempt`` (default: the next one)."""
        n = self.attempts if attempt is None else attempt
        return min(self.cap, self.base * 2.0 ** min(n, _MAX_EXPONENT))

    def next_delay(self) -> float:
        """The delay before the next attempt; each call counts one more failed attempt."""
        upper = self.ceiling()
        self.attempts += 1
        r = self._rand()
        if not 0.0 <= r < 1.0:
            raise ValueError(f"rand() returned {r}, outside [0, 1)")
        return r * upper

    def reset(self) -> None:
        """Call after a successful connection."""
        self.attempts = 0
