"""Calls said aloud on a hall screen, for visitors who cannot read it (optional, off by default: ``[announce]``
in kiosk.toml): a chime, then the number and the window in each configured language.

Which calls to say is the board's choice (``HallBoard.to_announce``, time passed in); this plays them through
the device's Speaker, one call after another, never two at once. A burst of calls must not keep the screen
talking for minutes: past ``MAX_WAITING`` waiting announcements the oldest is dropped (the screen shows it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from pathlib import Path

from kiosk.chime import write_chime
from kiosk.config import AnnounceConfig
from kiosk.i18n import Bilingual, Lang, Text
from kiosk.speech import Speaker, SpeechError

log = logging.getLogger(__name__)

MAX_WAITING = 3
Line = tuple[str, Lang]


def call_lines(number: str, window: Bilingual, recalled: bool, languages: tuple[Lang, ...]) -> tuple[Line, ...]:
    """What is said for one call: 请 A012 号到 1号窗口办理 / Number A012, please go to Window 1."""
    key = "hall_screen.announce.recall" if recalled else "hall_screen.announce"
    return tuple((Text(key, number=number, window=window).render(lang), lang) for lang in languages)


class Announcer:
    def __init__(self, speaker: Speaker, config: AnnounceConfig) -> None:
        self.speaker = speaker
        self.config = config
        self._waiting: deque[tuple[Line, ...]] = deque()
        self._ready = asyncio.Event()
        self._chime: Path | None = None
        self.said: deque[str] = deque(maxlen=20)  # what was announced, newest last (diagnostics, tests)
        self.dropped = 0
        self.idle = asyncio.Event()  # set when everything asked for has been said
        self.idle.set()

    def announce(self, lines: tuple[Line, ...]) -> None:
        self.idle.clear()
        self._waiting.append(lines)
        while len(self._waiting) > MAX_WAITING:
            self._waiting.popleft()
            self.dropped += 1
        self._ready.set()

    async def run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._waiting:
                lines = self._waiting.popleft()
                try:
                    await self._say(lines)
                except SpeechError as err:  # the screen still shows the call; only the sound is lost
                    log.warning("a call could not be said: %s", err)
                self.said.append(" / ".join(text for text, _lang in lines))
            self.idle.set()

    async def _say(self, lines: tuple[Line, ...]) -> None:
        if self.config.chime:
            if self._chime is None:
                self._chime = await asyncio.to_thread(write_chime, self.speaker.folder / "chime.wav",
                                                      self.speaker.volume)
            await self.speaker.play_file(self._chime)
        if self.config.speak:
            for text, lang in lines:
                await self.speaker.say(text, lang)
