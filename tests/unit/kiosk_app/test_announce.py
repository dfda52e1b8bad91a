"""Calls said aloud on a hall screen: which calls (the board, time passed in), what is said, the chime's sound,
and the announcer's order and bound (with espeak-ng rendering for real, no player)."""

from __future__ import annotations

import asyncio
import itertools
import math
import wave
from array import array
from pathlib import Path

import msgspec
import pytest

from hall_protocol.config_files import ConfigError, load_toml
from hall_protocol.hall import CallEvent, DisplayState, HallState
from hall_protocol.hall_config import HallConfig
from kiosk.announce import MAX_WAITING, Announcer, call_lines
from kiosk.apps.hall_screen.board import ANNOUNCE_WITHIN_S, HallBoard
from kiosk.chime import RATE, TONE_S, TONES_HZ, write_chime
from kiosk.config import AnnounceConfig, KioskConfig
from kiosk.i18n import Bilingual
from kiosk.speech import Speaker
from tests.unit.kiosk_app.conftest import NOW, call


def said(board: HallBoard, now: float = NOW) -> list[str]:
    return [f"{r.number}{'+' if r.recalled else ''}" for r in board.to_announce(now)]


def test_each_fresh_call_and_recall_is_said_once_and_old_ones_never(hall: HallConfig) -> None:
    board = HallBoard(hall)
    # a screen that starts: the retained state's calls are shown, none is said (all older than the bound)
    old = NOW - ANNOUNCE_WITHIN_S - 1
    board.on_event(HallState(hall="demo", ts=NOW, seq=1, recent_calls=(call("A001", ts=old),)), NOW)
    assert said(board) == []
    board.on_event(CallEvent(call=call("A002", ts=NOW - 2), expires_at=NOW + 300), NOW)
    board.on_event(CallEvent(call=call("B001", "W2", ts=NOW - 1, zone="B"), expires_at=NOW + 300), NOW)
    assert said(board) == ["A002", "B001"]  # oldest first
    # the same calls again (a display state repeats them): nothing new to say
    board.on_event(DisplayState(zone="A", ts=NOW, seq=1, calls=(call("A002", ts=NOW - 2),)), NOW)
    assert said(board) == []
    # a recall is said again, marked; the old call recalled now is fresh
    board.on_event(CallEvent(call=call("A001", ts=NOW, recalls=1), expires_at=NOW + 300), NOW)
    assert said(board) == ["A001+"]
    assert said(board) == []


def test_a_zone_screen_says_only_its_zone(hall: HallConfig) -> None:
    board = HallBoard(hall, zone="B")
    board.on_event(CallEvent(call=call("A003", ts=NOW), expires_at=NOW + 300), NOW)
    board.on_event(CallEvent(call=call("B004", "W2", ts=NOW, zone="B"), expires_at=NOW + 300), NOW)
    assert said(board) == ["B004"]


def test_what_is_said_names_the_number_and_the_window_in_each_language() -> None:
    window = Bilingual("1号窗口", "Window 1")
    assert call_lines("A012", window, False, ("zh", "en")) == (
        ("请A012号到1号窗口办理", "zh"), ("Number A012, please go to Window 1.", "en"))
    assert call_lines("A012", window, True, ("zh",)) == (("再次呼叫：请A012号到1号窗口办理", "zh"),)


def test_announcing_is_off_by_default_and_a_bad_language_is_named(tmp_path: Path) -> None:
    assert not KioskConfig(device_id="screen-1").announce.enabled
    p = tmp_path / "kiosk.toml"
    p.write_text('device_id = "screen-1"\nrole = "hall-screen"\n[announce]\nspeak = true\nlanguages = ["fr"]\n')
    with pytest.raises(ConfigError) as info:
        load_toml(p, KioskConfig)
    assert "announce.languages" in str(info.value)
    assert msgspec.convert({"chime": True}, AnnounceConfig).enabled


def test_the_chime_is_two_falling_tones_at_the_speakers_volume(tmp_path: Path) -> None:
    loud, soft = write_chime(tmp_path / "loud.wav", 100), write_chime(tmp_path / "soft.wav", 20)
    with wave.open(str(loud)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        samples = array("h", w.readframes(w.getnframes()))
    assert len(samples) == len(TONES_HZ) * int(TONE_S * RATE)
    half = len(samples) // 2

    def crossings(part: array[int]) -> float:  # zero crossings per second: twice the tone's frequency
        return sum(1 for a, b in itertools.pairwise(part) if (a < 0) != (b < 0)) / (len(part) / RATE) / 2

    assert math.isclose(crossings(samples[:half]), TONES_HZ[0], rel_tol=0.03)
    assert math.isclose(crossings(samples[half:]), TONES_HZ[1], rel_tol=0.03)
    with wave.open(str(soft)) as w:
        quiet = array("h", w.readframes(w.getnframes()))
    assert max(map(abs, quiet)) < max(map(abs, samples)) / 4


async def test_the_announcer_says_calls_in_turn_and_drops_the_oldest_of_a_burst(speaker: Speaker) -> None:
    announcer = Announcer(speaker, AnnounceConfig(chime=True, speak=True, languages=("zh", "en")))
    window = Bilingual("1号窗口", "Window 1")
    for n in range(MAX_WAITING + 2):  # a burst before the announcer runs
        announcer.announce(call_lines(f"A00{n}", window, False, ("zh", "en")))
    assert announcer.dropped == 2
    task = asyncio.create_task(announcer.run())
    try:
        await asyncio.wait_for(announcer.idle.wait(), 30)
    finally:
        task.cancel()
    assert list(announcer.said) == [f"请A00{n}号到1号窗口办理 / Number A00{n}, please go to Window 1."
                                    for n in range(2, MAX_WAITING + 2)]
    assert speaker.last is not None  # rendered for real: the last line said
    assert speaker.last.lang == "en"
    assert (speaker.folder / "chime.wav").stat().st_size > 44
