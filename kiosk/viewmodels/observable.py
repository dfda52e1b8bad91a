"""A tiny observer: view-models are plain attributes plus a ``changed`` signal the Kivy layer binds to.

No Kivy import here, so view-models are tested without a window; the screen connects a callback that
schedules its own redraw (on the Kivy thread) whenever a named property changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

Listener = Callable[[str], None]


class Signal:
    """Listeners get the name of what changed; a listener that raises is logged, never breaks the others."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def connect(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def disconnect() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return disconnect

    def emit(self, name: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(name)
            except Exception:  # a broken screen must not take down the kiosk's state
                log.exception("listener for %r failed", name)

    def __len__(self) -> int:
        return len(self._listeners)


class Observable:
    def __init__(self) -> None:
        self.changed = Signal()

    def _notify(self, *names: str) -> None:
        for name in names:
            self.changed.emit(name)
