"""Helpers for the serial-device integration tests (real pyserial drivers against emulators on a pty)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def eventually(predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 3.0) -> None:
    """For conditions that only time produces (a key held long enough to count as stuck)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
