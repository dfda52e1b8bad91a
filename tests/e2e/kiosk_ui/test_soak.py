"""A short soak: 30 citizen sessions through the kiosk UI; nothing may pile up (bench.kiosk runs 1,000, and the
hall soak of tests/e2e/faults/test_soak.py keeps a kiosk UI busy for two minutes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.kiosk_ui.conftest import start_ui
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.remote import RemoteUi
from tests.fixtures.xvfb import Display

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SESSIONS = 30
WARM_UP = 10


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ui(xvfb: Display, workdir: Path, agent: FakeAgent) -> AsyncIterator[RemoteUi]:
    sub = workdir / "soak"
    sub.mkdir()
    remote = await start_ui(xvfb, sub, agent)
    await remote.wait("the agent link", lambda s: s["connected"] and s["online"])
    yield remote
    assert await remote.close() == 0


async def test_thirty_sessions_leave_nothing_behind(ui: RemoteUi) -> None:
    for _ in range(WARM_UP):
        await ui.call("session")
    start = await ui.call("resources")
    for _ in range(SESSIONS - WARM_UP):
        steps = await ui.call("session")
        assert set(steps) == {"attract.browse", "finder.group.cards", "finder.item.SB-CARD", "ticket.done"}
    end = await ui.call("resources")
    state = await ui.state()
    assert state["receipts_printed"] == SESSIONS
    assert state["failed_tasks"] == 0
    assert all(w["reason"] == "finished" for w in state["wipes"])
    assert state["session_empty"]
    assert end["fds"] <= start["fds"], "file descriptors leaked"
    assert end["print_temp_files"] == 0
    assert end["speech_files"] <= start["speech_files"], "speech files piled up"
    assert end["textures"] <= start["textures"] + 5, "textures piled up"  # a few are held by what is on screen
    assert end["app_observers"] == start["app_observers"], "widgets left bindings on the App"
    assert end["rss"] < start["rss"] * 1.05, f"RSS grew {end['rss'] / start['rss'] - 1:.1%}"
