"""Redraws wait for the finger: a screen rebuilt under a tap replaces the button it landed on, and the tap is lost.

The kiosk redraws its screen from the view-model after every change, and changes also come on their own (a
device's health report, the hall going offline). A redraw between a finger's press and its release would
give the release to a new widget that never saw the press; inside a ScrollView the release even reaches the
button 0.2 s after the finger lifts. So a redraw asked for in that time is held until it has passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

SCROLL_TAP_S = 0.3  # Kivy's ScrollView hands a tap's release to its child 0.2 s after the finger lifts
STUCK_FINGER_S = 5.0  # a press never released (a lost event) stops holding redraws after this long


class RenderGate:
    def __init__(self, redraw: Callable[[], None], in_scroll_area: Callable[[float, float], bool]) -> None:
        self._redraw = redraw
        self._in_scroll_area = in_scroll_area
        self._fingers: dict[Any, float] = {}
        self._quiet_until = 0.0
        self._held = False

    def down(self, touch: Any) -> None:
        self._fingers[touch.uid] = time.monotonic()

    def up(self, touch: Any) -> None:
        self._fingers.pop(touch.uid, None)
        if self._in_scroll_area(*touch.pos):
            self._quiet_until = time.monotonic() + SCROLL_TAP_S

    @property
    def held(self) -> bool:
        """A redraw is waiting for a tap to go through."""
        return self._held

    def hold(self) -> bool:
        """True when a redraw must wait; it is then asked for again once the tap has gone through."""
        now = time.monotonic()
        for uid, since in list(self._fingers.items()):
            if now - since > STUCK_FINGER_S:
                del self._fingers[uid]
        wait = self._quiet_until - now
        if not self._fingers and wait <= 0:
            return False
        if not self._held:
            self._held = True
            Clock.schedule_once(self._release, max(wait, 0.05))
        return True

    def _release(self, _dt: float) -> None:
        self._held = False
        self._redraw()
