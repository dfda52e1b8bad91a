"""What the device-UI unit tests share: the demo hall, a call on it, and a speaker that renders only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hall_protocol.hall import CallView
from hall_protocol.hall_config import HallConfig, load_hall_config
from kiosk.config import SpeechConfig
from kiosk.speech import Speaker
from tests.fixtures.components import require_binary

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo"
NOW = 1_000_000.0


@pytest.fixture(scope="module")
def hall() -> HallConfig:
    return load_hall_config(DEMO / "hall.toml")


def call(number: str, window: str = "W1", *, ts: float = NOW, zone: str = "A", recalls: int = 0) -> CallView:
    return CallView(call_id=f"c-{number}", ticket_id=f"T-{number}", number=number, window_id=window,
                    window_name=window, zone=zone, masked_name="张*", recall_count=recalls, ts=ts)


@pytest.fixture
async def speaker() -> AsyncIterator[Speaker]:
    """espeak-ng for real, no audio player: speech is rendered to WAV files only."""
    require_binary("espeak-ng", "espeak-ng")
    s = Speaker(SpeechConfig(player="none"))
    yield s
    await s.aclose()
