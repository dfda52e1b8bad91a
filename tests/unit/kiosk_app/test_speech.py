"""Read aloud: espeak-ng renders Mandarin (and English) to WAV files that are really audio; volume; wipe."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.config import SpeechConfig
from kiosk.speech import Speaker, find_player


def seconds_of(wav: Path) -> float:
    if shutil.which("soxi") is None:
        pytest.skip("soxi (sox) is not installed")
    return float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True, check=True).stdout)


async def test_mandarin_is_rendered_to_a_playable_wav(speaker: Speaker) -> None:
    utterance = await speaker.say("您好，请刷身份证", "zh")
    assert utterance is not None
    assert not utterance.played  # no player configured: rendered only
    assert utterance.wav.parent == speaker.folder
    assert seconds_of(utterance.wav) > 1.0
    assert oct(speaker.folder.stat().st_mode & 0o777) == "0o700"


async def test_repeat_reads_again_and_keeps_one_file(speaker: Speaker) -> None:
    first = await speaker.say("请取走号票", "zh")
    second = await speaker.say("请取走号票", "zh")
    assert first is not None
    assert second is not None
    assert second.text == first.text
    assert [p.name for p in speaker.files()] == [second.wav.name]


async def test_a_new_press_stops_the_old_reading(speaker: Speaker) -> None:
    long = speaker.say("一二三四五六七八九十" * 30, "zh")
    short = speaker.say("好", "zh")
    assert await short is not None
    with pytest.raises(asyncio.CancelledError):
        await long


async def test_volume_is_clamped_and_changes_the_audio(speaker: Speaker) -> None:
    assert speaker.set_volume(150) == 100
    loud = await speaker.say("音量测试", "zh")
    assert speaker.set_volume(-5) == 0
    assert speaker.louder() == 10
    assert speaker.softer() == 0
    quiet = await speaker.say("音量测试", "zh")
    assert loud is not None
    assert quiet is not None
    stat = await asyncio.to_thread(subprocess.run, ["sox", str(quiet.wav), "-n", "stat"], capture_output=True,
                                   text=True, check=False)
    peak = stat.stderr
    assert "Maximum amplitude:     0.000000" in peak


async def test_fixed_prompts_are_kept_and_session_audio_is_wiped(speaker: Speaker) -> None:
    assert await speaker.prerender([("请刷身份证、社保卡或扫码开始", "zh"), ("Tap a card to start", "en")]) == 2
    assert await speaker.prerender([("请刷身份证、社保卡或扫码开始", "zh")]) == 0
    fixed = await speaker.say("请刷身份证、社保卡或扫码开始", "zh")
    assert fixed is not None
    assert fixed.wav.parent.name == "fixed"
    await speaker.say("张*，您好！", "zh")
    assert speaker.forget() == 1
    assert all(p.parent.name == "fixed" for p in speaker.files())


async def test_english_and_empty_text(speaker: Speaker) -> None:
    english = await speaker.say("Please take your ticket", "en")
    assert english is not None
    assert seconds_of(english.wav) > 0.5
    assert await speaker.say("   ", "zh") is None


async def test_without_espeak_nothing_is_said() -> None:
    s = Speaker(SpeechConfig(player="none"), espeak=None)
    s._espeak = None
    assert not s.available
    assert await s.say("你好", "zh") is None
    await s.aclose()
    assert not s.folder.exists()


def test_no_player_means_render_only() -> None:
    assert find_player("none") is None
