"""Fixtures for the kiosk UI tests: a fake agent and the real UI process under the session's Xvfb."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from hall_protocol.hall_config import HallConfig, load_hall_config
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.remote import ROOT, RemoteUi, kiosk_test_config, ui_env
from tests.fixtures.xvfb import Display

DEMO = ROOT / "configs" / "demo"


@pytest.fixture(scope="module")
def hall() -> HallConfig:
    return load_hall_config(DEMO / "hall.toml")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Unix socket paths are limited to ~107 bytes: keep them short
    return tmp_path_factory.mktemp("ui")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(workdir: Path, hall: HallConfig) -> AsyncIterator[FakeAgent]:
    fake = await FakeAgent(str(workdir / "agent.sock"), hall).start()
    yield fake
    await fake.close()


async def start_ui(xvfb: Display, workdir: Path, agent: FakeAgent, *extra: str, config: str = "") -> RemoteUi:
    """A UI process; ``config``: TOML tables added to its kiosk.toml."""
    return await RemoteUi.start(ui_env(xvfb.env()), workdir, [
        "--config", str(kiosk_test_config(workdir, config)), "--agent-socket", agent.path, *extra,
    ])


@pytest.fixture(autouse=True)
def _numbering_from_001(request: pytest.FixtureRequest) -> None:
    """Each test's tickets start at 001, as on a new day: a screenshot that shows a number must not depend on
    which tests took tickets before it on this worker (pytest-xdist may run a module's tests in another order)."""
    if "agent" in request.fixturenames:
        request.getfixturevalue("agent").restart_numbering()

