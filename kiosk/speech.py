"""Read aloud (适老化 语音播报): espeak-ng renders the screen's main text to a WAV, a player plays it.

Everything runs in subprocesses awaited on the event loop, so the UI never waits for speech. Files live in a
private temporary folder (0700): fixed prompts are rendered once and kept (``prerender``); anything else is
one file per utterance, removed when the next one starts and by ``forget()`` at every session wipe. With no
audio player (or no sound card) speech is only rendered — the button still works and the WAV is checkable.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hall_protocol.errors import OneVisitError
from kiosk.config import SpeechConfig
from kiosk.i18n import Lang

log = logging.getLogger(__name__)

MAX_CHARS = 600  # one screen's main text; longer input is cut rather than read for minutes
VOLUME_STEP = 10
PLAYERS: dict[str, tuple[str, ...]] = {
    "aplay": ("aplay", "-q"),
    "paplay": ("paplay",),
    "pw-play": ("pw-play",),
}


class SpeechError(OneVisitError):
    """espeak-ng is missing or failed; the citizen sees the text, only the sound is lost."""


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    lang: Lang
    wav: Path
    played: bool  # False when no player is available: rendered only


def _wav_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def find_player(choice: str) -> tuple[str, ...] | None:
    """The player command to use, or None to render only."""
    if choice == "none":
        return None
    names = list(PLAYERS) if choice == "auto" else [choice]
    for name in names:
        if shutil.which(PLAYERS[name][0]) is not None:
            return PLAYERS[name]
    return None


class Speaker:
    def __init__(self, config: SpeechConfig, *, espeak: str | None = None, player: tuple[str, ...] | None = None,
                 use_player: bool = True) -> None:
        self.config = config
        self.volume = config.volume
        self._espeak = espeak or shutil.which("espeak-ng")
        self._player = player if player is not None else (find_player(config.player) if use_player else None)
        self._dir = Path(tempfile.mkdtemp(prefix="onevisit-speech-"))  # mkdtemp makes it 0700
        (self._dir / "fixed").mkdir()
        self._fixed: set[str] = set()
        self._current: asyncio.Task[Utterance | None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._serial = 0
        self.last: Utterance | None = None

    @property
    def available(self) -> bool:
        return self.config.enabled and self._espeak is not None

    @property
    def can_play(self) -> bool:
        return self._player is not None

    @property
    def folder(self) -> Path:
        return self._dir

    # volume ------------------------------------------------------------------------------------------

    def set_volume(self, percent: int) -> int:
        self.volume = max(0, min(100, percent))
        return self.volume

    def louder(self) -> int:
        return self.set_volume(self.volume + VOLUME_STEP)

    def softer(self) -> int:
        return self.set_volume(self.volume - VOLUME_STEP)

    # speaking ----------------------------------------------------------------------------------------

    def say(self, text: str, lang: Lang) -> asyncio.Task[Utterance | None]:
        """Start reading ``text`` (stopping whatever is being read); the task's result says what happened.

        Pressing the button again reads again from the start: that is the "repeat".
        """
        self.stop()
        self._current = asyncio.get_running_loop().create_task(self._say(text, lang), name="speech")
        return self._current

    def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        if self._current is not None and not self._current.done():
            self._current.cancel()
        self._current = None

    async def prerender(self, texts: list[tuple[str, Lang]]) -> int:
        """Render fixed prompts ahead (at start-up, in the background); returns how many were new."""
        made = 0
        for text, lang in texts:
            target = self._fixed_path(text, lang)
            if not target.exists():
                await self.render(text, lang, target)
                self._fixed.add(target.name)
                made += 1
        return made

    async def render(self, text: str, lang: Lang, target: Path) -> Path:
        """espeak-ng → ``target`` (WAV). Raises SpeechError."""
        if self._espeak is None:
            raise SpeechError("espeak-ng is not installed")
        voice = self.config.voice_zh if lang == "zh" else self.config.voice_en
        amplitude = str(round(self.volume * 2))  # espeak-ng amplitude 0 … 200, 100 is its default
        proc = await asyncio.create_subprocess_exec(
            self._espeak, "-v", voice, "-a", amplitude, "-s", str(self.config.words_per_minute),
            "-w", str(target), "--stdin",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        self._proc = proc
        try:
            _, err = await proc.communicate(text[:MAX_CHARS].encode())
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        if proc.returncode != 0 or await asyncio.to_thread(_wav_bytes, target) <= 44:  # 44: a bare WAV header
            raise SpeechError(f"espeak-ng exited {proc.returncode}: {err.decode(errors='replace').strip()[:200]}")
        return target

    def forget(self) -> int:
        """Session wipe: stop speaking and remove every per-utterance file. Returns how many were removed."""
        self.stop()
        removed = 0
        for path in self._dir.glob("say-*.wav"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        self.last = None
        return removed

    def files(self) -> list[Path]:
        return sorted(p for p in self._dir.rglob("*.wav"))

    async def aclose(self) -> None:
        self.stop()
        await asyncio.sleep(0)
        shutil.rmtree(self._dir, ignore_errors=True)

    # ---------------------------------------------------------------------------------------------------

    def _fixed_path(self, text: str, lang: Lang) -> Path:
        key = f"{lang}:{self.volume}:{self.config.words_per_minute}:{text}"
        return self._dir / "fixed" / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".wav")

    async def _say(self, text: str, lang: Lang) -> Utterance | None:
        if not self.available or not text.strip():
            return None
        for old in self._dir.glob("say-*.wav"):  # one utterance at a time; nothing personal lingers
            with contextlib.suppress(OSError):
                old.unlink()
        fixed = self._fixed_path(text, lang)
        if fixed.exists():
            wav = fixed
        else:
            self._serial += 1
            wav = await self.render(text, lang, self._dir / f"say-{self._serial}.wav")
        played = await self.play_file(wav)
        self.last = Utterance(text=text, lang=lang, wav=wav, played=played)
        return self.last

    async def play_file(self, wav: Path) -> bool:
        """Play a WAV through the player; False when there is none or it failed (then it is rendered only)."""
        if self._player is None:
            return False
        proc = await asyncio.create_subprocess_exec(
            *self._player, str(wav), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        self._proc = proc
        try:
            played = await proc.wait() == 0
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        if not played:
            log.warning("audio player %s failed; sound is rendered only", self._player[0])
        return played
