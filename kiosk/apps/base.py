"""What every device UI shares: the theme as Kivy properties, language, time, background tasks, speech.

The theme's colours and sizes are App properties, so the .kv rules bind to them and elder mode (长辈版)
re-lays out every widget by changing them once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty

from kiosk.agent_client import AgentClient
from kiosk.apps.widgets import STYLE, theme_colours, theme_sizes
from kiosk.i18n import Lang, t
from kiosk.speech import Speaker
from kiosk.viewmodels.theme import Theme, theme_for

log = logging.getLogger(__name__)

COMMON_KV = Path(__file__).resolve().with_name("common.kv")
_loaded: set[Path] = set()


def load_kv(path: Path) -> None:
    """Load a .kv file (each App's lies beside its module) once per process."""
    if path not in _loaded:
        Builder.load_file(str(path))
        _loaded.add(path)


class OneVisitApp(App):  # type: ignore[misc]
    """Base of the four device Apps. Subclasses implement ``build`` and ``speech_text``."""

    lang = StringProperty("zh")
    elder = BooleanProperty(False)
    colours = DictProperty(theme_colours(theme_for(False)))
    sizes = DictProperty(theme_sizes(theme_for(False)))
    target_dp = NumericProperty(theme_for(False).scale.min_target_dp)
    connected = BooleanProperty(False)  # local socket to the agent
    online = BooleanProperty(False)  # the hall, as the agent sees it
    volume = NumericProperty(70)

    def __init__(self, *, speaker: Speaker | None = None, started_at: float | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.speaker = speaker
        if speaker is not None:
            self.volume = speaker.volume
        self.started_at = started_at if started_at is not None else time.monotonic()
        self.first_frame_s: float | None = None
        self.clock_offset = 0.0  # tests move time forward to reach the idle timeout without waiting
        self.wall_clock: Callable[[], float] = time.time
        self._tasks: set[asyncio.Task[Any]] = set()
        self.failed_tasks = 0
        self.stopped = False
        self.agent: AgentClient | None = None  # set by the runtime

    def load_kv(self, filename: str | None = None) -> bool:
        """Kivy would load ``<name>.kv`` beside the App's module on its own (``kiosk.kv`` for KioskApp), on top
        of what ``build`` loads with the module-level ``load_kv``: a rule applied twice draws its widgets twice."""
        return False

    # time ---------------------------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() + self.clock_offset

    def wall(self) -> float:
        return self.wall_clock() + self.clock_offset

    # text ---------------------------------------------------------------------------------------------

    def tr(self, key: str, lang: str, **params: Any) -> str:
        """For .kv rules: ``text: app.tr('common.back', app.lang)`` re-renders when the language changes."""
        return t(key, self.lang_code(lang), **params)

    @staticmethod
    def lang_code(lang: str) -> Lang:
        return "en" if lang == "en" else "zh"

    @property
    def current_lang(self) -> Lang:
        return self.lang_code(self.lang)

    # theme --------------------------------------------------------------------------------------------

    def apply_theme(self, theme: Theme) -> None:
        STYLE.set(theme)
        self.colours = theme_colours(theme)
        self.sizes = theme_sizes(theme)
        self.target_dp = theme.scale.min_target_dp
        for top in Window.children:  # widgets made earlier (the frame) take the new theme
            for widget in top.walk(restrict=False):
                restyle = getattr(widget, "restyle", None)
                if restyle is not None:
                    restyle()

    # tasks --------------------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "ui") -> asyncio.Task[Any]:
        """Run a view-model coroutine from a touch; its failure is logged, never raised into Kivy."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.failed_tasks += 1
            log.error("UI task %s failed", task.get_name(), exc_info=task.exception())

    async def idle_tasks(self) -> None:
        """Until every task started from a touch has finished (tests and benchmarks wait on this)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # speech -------------------------------------------------------------------------------------------

    def speech_text(self) -> str:
        """The main text of what is on screen now, in the current language."""
        return ""

    def speak(self) -> None:
        if self.speaker is None:
            return
        text = self.speech_text()
        if text:
            self.speaker.say(text, self.current_lang)

    def louder(self) -> None:
        if self.speaker is not None:
            self.volume = self.speaker.louder()

    def softer(self) -> None:
        if self.speaker is not None:
            self.volume = self.speaker.softer()

    # start-up -----------------------------------------------------------------------------------------

    def on_start(self) -> None:
        Window.bind(on_flip=self._first_flip)
        Clock.schedule_once(lambda _dt: Window.canvas.ask_update(), 0)

    def on_stop(self) -> None:
        self.stopped = True  # renders still scheduled on the Clock must not build widgets any more

    def _first_flip(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._first_flip)
        self.first_frame_s = time.monotonic() - self.started_at
        log.info("first interactive frame after %.3f s", self.first_frame_s)
