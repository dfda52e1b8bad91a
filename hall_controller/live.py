"""Tells the pages that the hall changed, without a polling loop: a version number and a wake-up.

The service bumps the version after every commit that changed the hall (and after each tick that did); a
page's server-sent-event stream waits for a version it has not seen, renders the current state once and
sends it. Many changes in a burst cost one render per stream, not one per change.
"""

from __future__ import annotations

import asyncio
import contextlib


class LiveHub:
    def __init__(self) -> None:
        self.version = 0
        self._changed = asyncio.Event()

    def bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_past(self, seen: int, timeout: float) -> int:
        """The current version once it differs from ``seen`` (or after ``timeout``, whatever it is then)."""
        if self.version == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        return self.version
