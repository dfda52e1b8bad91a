"""The controller follows devices for the console through a real Mosquitto and a real agent: presence,
telemetry into the rolling history, and a command answered by the device's UI through the agent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from hall_protocol.devices import CommandName
from hall_protocol.errors import ErrorCode
from onevisit.broker import PrivateBroker
from tests.integration.controller.harness import controller
from tests.integration.edge_agent.helpers import agent_config, running_agent
from tests.integration.edge_agent.test_commands_telemetry import CommandUi

pytestmark = pytest.mark.integration


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - what is awaited has no event of its own
            await asyncio.sleep(0.05)


async def test_presence_telemetry_and_a_self_test_through_the_agent(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    async with controller(mosquitto, tmp_path / "hall.db") as service:
        watch = service.devices
        config = agent_config(mosquitto, tmp_path, device_id="kiosk-1", hall="demo", telemetry_interval_s=1.0)
        async with running_agent(config):
            await _until(lambda: watch.presence.get("kiosk-1") is not None and watch.presence["kiosk-1"].online)
            await _until(lambda: len(watch.history.samples("kiosk-1")) >= 2)
            latest = watch.history.latest("kiosk-1")
            assert latest is not None
            assert latest.telemetry.device_id == "kiosk-1"
            assert watch.last_seen["kiosk-1"] >= latest.received_at

            no_ui = await watch.command("kiosk-1", CommandName.SELF_TEST, by="technician:tech", timeout=5)
            assert not no_ui.result.ok
            assert no_ui.result.code is ErrorCode.UNAVAILABLE  # the agent's own answer: no UI connected

            ui = CommandUi(config.socket_path)
            ready = asyncio.Event()
            ui_task = asyncio.create_task(ui.serve(ready))
            try:
                await asyncio.wait_for(ready.wait(), 5)
                seen = await watch.command("kiosk-1", CommandName.SELF_TEST, by="technician:tech", timeout=10)
                assert seen.result.ok, seen.result
                assert seen.result.data == {"printer": "ok"}
                assert [c.name for c in ui.ran] == ["self-test"]
                diag = await watch.command("kiosk-1", CommandName.SEND_DIAGNOSTICS, by="technician:tech")
                assert diag.result.ok
                assert '"device_id":"kiosk-1"' in diag.result.data["device"].replace(" ", "")
            finally:
                ui_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ui_task
            assert [c.name for c in watch.commands["kiosk-1"]] == [CommandName.SEND_DIAGNOSTICS, CommandName.SELF_TEST,
                                                                  CommandName.SELF_TEST]
        await _until(lambda: not watch.presence["kiosk-1"].online)
        silent = await watch.command("kiosk-1", CommandName.SELF_TEST, by="technician:tech", timeout=1)
        assert silent.result.code is ErrorCode.TIMEOUT
