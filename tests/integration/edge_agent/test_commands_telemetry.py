"""Remote commands (allow-list, expiry, UI forwarding, redacted diagnostics) and latest-value telemetry,
through a real Mosquitto and the real agent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import msgspec
import pytest

from edge_agent.config import BrokerConfig
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.devices import Command, CommandName, CommandResult, Telemetry
from hall_protocol.errors import ErrorCode
from hall_protocol.local import (
    LineFramer,
    LocalCommand,
    LocalCommandResult,
    Subscribe,
    decode_to_ui,
    frame,
)
from hall_runtime.mqtt_client import correlation_of, make_client, payload_bytes, publish_properties
from onevisit.broker import PrivateBroker
from tests.integration.edge_agent.helpers import HALL, agent_config, agent_toml, running_agent, spying

pytestmark = pytest.mark.integration

REPLIES = "test/command-replies"


class Commander:
    """The console's side: publishes commands with a response topic and correlation, collects results."""

    def __init__(self, client: aiomqtt.Client, device_id: str) -> None:
        self.client = client
        self.topic = topics.device_cmd(HALL, device_id)
        self.results: dict[bytes, CommandResult] = {}
        self.arrived = asyncio.Event()

    async def listen(self) -> None:
        async for m in self.client.messages:
            corr = correlation_of(m)
            if corr is not None:
                self.results[corr] = decode(payload_bytes(m), CommandResult)
                self.arrived.set()

    async def send_raw(self, payload: bytes, timeout: float = 10) -> CommandResult:
        corr = uuid.uuid4().bytes
        props = publish_properties(response_topic=REPLIES, correlation=corr, expiry_s=30)
        await self.client.publish(self.topic, payload, qos=1, properties=props)
        async with asyncio.timeout(timeout):
            while corr not in self.results:
                self.arrived.clear()
                await self.arrived.wait()
        return self.results[corr]

    async def send(self, name: CommandName, *, expires_in: float = 30, command_id: str | None = None,
                   **args: str) -> CommandResult:
        cmd = Command(command_id=command_id or uuid.uuid4().hex, name=name, expires_at=time.time() + expires_in,
                      args=args)
        return await self.send_raw(encode(cmd))


@contextlib.asynccontextmanager
async def commander(broker: PrivateBroker, device_id: str) -> AsyncIterator[Commander]:
    async with make_client(broker.host, broker.port, identifier=f"console-{uuid.uuid4().hex[:8]}",
                           clean_start=True, session_expiry_s=0) as client:
        await client.subscribe(REPLIES, qos=1)
        c = Commander(client, device_id)
        task = asyncio.create_task(c.listen())
        try:
            yield c
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class CommandUi:
    """A UI that runs remote commands: records them and answers each with a LocalCommandResult."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.ran: list[LocalCommand] = []

    async def serve(self, ready: asyncio.Event) -> None:
        reader, writer = await asyncio.open_unix_connection(self.path)
        writer.write(frame(Subscribe(commands=True)))
        await writer.drain()
        ready.set()
        framer = LineFramer()
        try:
            while data := await reader.read(65536):
                for raw in framer.feed(data):
                    msg = decode_to_ui(raw)
                    if isinstance(msg, LocalCommand):
                        self.ran.append(msg)
                        result = LocalCommandResult(command_id=msg.command_id, ok=True,
                                                    detail=f"{msg.name} done", data={"printer": "ok"})
                        writer.write(frame(result))
                        await writer.drain()
        finally:
            writer.close()


async def test_commands_allow_list_expiry_ui_and_diagnostics(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    secret = tmp_path / "broker-password"
    secret.write_text("hunter2-very-secret\n")
    config = agent_config(mosquitto, tmp_path, device_id="kiosk-cmd", telemetry_interval_s=30.0,
                          broker=BrokerConfig(host=mosquitto.host, port=mosquitto.port, tls=False,
                                              username="kiosk-cmd", password_file=str(secret)))
    config_path = tmp_path / "agent.toml"
    config_path.write_text(agent_toml(config))
    async with running_agent(config) as agent:
        agent.config_path = config_path
        await asyncio.wait_for(agent.session.connected.wait(), 10)
        ui = CommandUi(config.socket_path)
        ui_ready = asyncio.Event()
        ui_task = asyncio.create_task(ui.serve(ui_ready))
        try:
            await asyncio.wait_for(ui_ready.wait(), 5)
            async with commander(mosquitto, config.device_id) as console:
                # expired: refused with EXPIRED and never run (neither in the agent nor in the UI)
                late = await console.send(CommandName.RESTART_UI, expires_in=-1)
                assert not late.ok
                assert late.code is ErrorCode.EXPIRED
                # not on the allow-list: the name does not decode into CommandName
                bogus = await console.send_raw(
                    json.dumps({"type": "device.command", "command_id": "c-bad", "name": "rm-rf",
                                "expires_at": time.time() + 30}).encode()
                )
                assert not bogus.ok
                assert bogus.code is ErrorCode.FORBIDDEN
                assert bogus.command_id == "c-bad"
                garbage = await console.send_raw(b"{not json")
                assert garbage.code is ErrorCode.MALFORMED
                assert agent.commands.executed == []
                assert ui.ran == []

                # a UI command is forwarded, run once, and its result comes back; a redelivery is not rerun
                ok = await console.send(CommandName.PRINT_TEST_PAGE, command_id="c-print")
                assert ok.ok, ok
                assert ok.data == {"printer": "ok"}
                again = await console.send(CommandName.PRINT_TEST_PAGE, command_id="c-print")
                assert again == ok
                assert [c.command_id for c in ui.ran] == ["c-print"]

                # diagnostics: useful, and redacted
                diag = await console.send(CommandName.SEND_DIAGNOSTICS)
                assert diag.ok
                text = json.dumps(diag.data, ensure_ascii=False)
                assert "hunter2" not in text
                assert json.loads(diag.data["device"])["device_id"] == "kiosk-cmd"
                assert json.loads(diag.data["outbox"])["durability"] == {"journal_mode": "wal",
                                                                         "synchronous": "FULL"}

                # reload-config applies what can change live and names what needs a restart
                changed = msgspec.structs.replace(config, telemetry_interval_s=7.0, zone="B")
                config_path.write_text(agent_toml(changed))
                reloaded = await console.send(CommandName.RELOAD_CONFIG)
                assert reloaded.ok, reloaded
                assert reloaded.data["applied"] == "telemetry_interval_s"
                assert reloaded.data["restart_needed"] == "zone"
                assert agent.config.telemetry_interval_s == 7.0
                assert agent.config.zone == "A"
        finally:
            ui_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ui_task


async def test_ui_command_without_a_ui_is_refused_not_hung(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    config = agent_config(mosquitto, tmp_path, device_id="kiosk-noui")
    async with running_agent(config) as agent, commander(mosquitto, config.device_id) as console:
        await asyncio.wait_for(agent.session.connected.wait(), 10)
        result = await console.send(CommandName.SELF_TEST)
        assert not result.ok
        assert result.code is ErrorCode.UNAVAILABLE


async def test_telemetry_is_latest_value_across_an_outage(outage_broker: PrivateBroker, tmp_path: Path) -> None:
    broker = outage_broker
    config = agent_config(broker, tmp_path, device_id="kiosk-tel", telemetry_interval_s=1.0)
    async with spying(broker) as spy, running_agent(config) as agent:
        await spy.until(lambda: len(spy.telemetry) >= 1, 10)
        await asyncio.to_thread(broker.stop)
        down_at = time.time()
        sent_before = agent.telemetry_sent
        # several samples are taken while the broker is away: each replaces the unsent one before it
        replaced = agent.telemetry.replaced
        async with asyncio.timeout(10):
            while agent.telemetry.replaced < replaced + 2:  # noqa: ASYNC110 - samples come on a 1 s timer
                await asyncio.sleep(0.2)
        up_at = time.time()
        seen = len(spy.telemetry)
        await asyncio.to_thread(broker.start)

        def after_outage() -> list[Telemetry]:
            # the broker also hands the spy the retained sample from before the outage again: skip it
            return [t for p in spy.telemetry[seen:] if (t := decode(p, Telemetry)).ts >= down_at]

        await spy.until(lambda: len(after_outage()) >= 2, 15)
        samples = after_outage()
        from_outage = [s for s in samples if s.ts <= up_at]
        assert len(from_outage) <= 1, "telemetry from the outage was queued instead of replaced"
        assert agent.telemetry_sent > sent_before
        assert samples[0].device_id == "kiosk-tel"
        assert samples[0].ts >= up_at - 1.5  # the newest sample, not the first one of the outage
