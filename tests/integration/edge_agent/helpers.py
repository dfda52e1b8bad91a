"""Helpers for the agent's integration tests: a hall with room for many tickets, the real controller in
process, the real agent (in process or as a child process), and a spy that audits what reached the broker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import msgspec

from edge_agent.app import Agent
from edge_agent.config import AgentConfig, BrokerConfig
from hall_controller.engine.events import Event, TicketIssued, TicketRated
from hall_controller.sequence_audit import DeviceSequence, SequenceAudit
from hall_controller.service import ControllerService
from hall_protocol import topics
from hall_protocol.devices import Role
from hall_runtime.mqtt_client import make_client, payload_bytes, user_properties
from onevisit.broker import PrivateBroker
from tests.integration.controller.harness import controller as in_process_controller

HALL = "outage"
SERVICES = tuple(f"S{i:02d}" for i in range(10))
KIOSKS = ("kiosk-1", "kiosk-2", "kiosk-cmd", "kiosk-noui", "kiosk-tel")
ROOT = Path(__file__).resolve().parents[3]


def hall_toml() -> str:
    services = "\n".join(
        f'[[services]]\ncode = "{code}"\nname_zh = "业务{i}"\nname_en = "Service {i}"\nprefix = "{chr(65 + i)}"\n'
        f'zone = "A"\ndaily_cap = 9999\nopens = "00:00"\ncloses = "23:59"\nissue_from = "00:00"\n'
        f'issue_until = "23:59"\n'
        for i, code in enumerate(SERVICES)
    )
    return (
        f'[hall]\nid = "{HALL}"\nname_zh = "断网测试大厅"\nname_en = "Outage hall"\n\n'
        '[[zones]]\nid = "A"\nname_zh = "A区"\nname_en = "Zone A"\n\n' + services + "\n"
        '[[windows]]\nid = "W0"\nname_zh = "0号窗口"\nname_en = "Window 0"\nzone = "A"\ncomprehensive = true\n\n'
        + "".join(f'[[devices]]\nid = "{d}"\nrole = "kiosk"\nzone = "A"\n\n' for d in KIOSKS)
        + '[[devices]]\nid = "win-W0"\nrole = "window-terminal"\nzone = "A"\nwindow = "W0"\n'
    )


def agent_config(
    broker: PrivateBroker, workdir: Path, /, device_id: str = "kiosk-1", **overrides: object
) -> AgentConfig:
    fields: dict[str, object] = {
        "device_id": device_id,
        "role": Role.KIOSK,
        "hall": HALL,
        "broker": BrokerConfig(host=broker.host, port=broker.port, tls=False),
        "socket_path": str(workdir / f"{device_id}.sock"),
        "data_dir": str(workdir / device_id),
        "reconnect_base_s": 0.1,
        "reconnect_cap_s": 1.0,  # the real default is 30 s; a test cannot wait that long for the return
        "lease_check_interval_s": 0.5,
        "request_timeout_s": 5.0,
    }
    fields.update(overrides)
    return msgspec.convert(fields, AgentConfig, from_attributes=True)


def agent_toml(config: AgentConfig) -> str:
    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    data = msgspec.to_builtins(config)
    broker = data.pop("broker")
    lines = [f"{k} = {value(v)}" for k, v in data.items()]
    lines.append("\n[broker]")
    lines += [f"{k} = {value(v)}" for k, v in broker.items()]
    return "\n".join(lines) + "\n"


@contextlib.asynccontextmanager
async def controller(broker: PrivateBroker, workdir: Path) -> AsyncIterator[ControllerService]:
    toml = workdir / "hall.toml"
    toml.write_text(hall_toml())
    async with in_process_controller(broker, workdir / "hall.db", config_path=toml, tick_s=0.5) as service:
        yield service


@contextlib.asynccontextmanager
async def running_agent(config: AgentConfig) -> AsyncIterator[Agent]:
    agent = await Agent.open(config)
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(10):
            await agent.ready.wait()
        yield agent
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class AgentProcess:
    """``python -m edge_agent`` as a child process (so that it can be killed with SIGKILL)."""

    def __init__(self, config: AgentConfig, workdir: Path) -> None:
        self.config = config
        self.path = workdir / f"{config.device_id}.toml"
        self.path.write_text(agent_toml(config))
        self.log = workdir / f"{config.device_id}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        Path(self.config.socket_path).unlink(missing_ok=True)
        with self.log.open("ab") as logf:
            return subprocess.Popen(
                [sys.executable, "-m", "edge_agent", "--config", str(self.path)],
                stdout=logf, stderr=subprocess.STDOUT, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )

    async def start(self) -> None:
        self.proc = await asyncio.to_thread(self._spawn)
        sock = Path(self.config.socket_path)
        async with asyncio.timeout(15):
            while not await asyncio.to_thread(sock.exists):  # a socket file appearing has no event to await
                assert self.proc.poll() is None, self.log.read_text()[-2000:]
                await asyncio.sleep(0.02)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Seen:
    topic: str
    device_seq: int
    lane: str
    key: str
    payload: bytes


@dataclass
class Spy:
    """A persistent-session subscriber to every rpc and device-event topic: what the broker delivered, with
    each message's device_seq. It reconnects after a broker restart and gets what was queued for it."""

    broker: PrivateBroker
    seen: list[Seen] = field(default_factory=list)
    telemetry: list[bytes] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        while True:
            client = make_client(self.broker.host, self.broker.port, identifier="test-spy", clean_start=False)
            try:
                async with client:
                    await client.subscribe(topics.all_rpc(HALL), qos=1)
                    await client.subscribe(topics.all_device_events(HALL), qos=1)
                    await client.subscribe(topics.all_device_telemetry(HALL), qos=1)
                    self.connected.set()
                    async for m in client.messages:
                        self._take(m)
            except aiomqtt.MqttError:
                self.connected.clear()
                await asyncio.sleep(0.1)

    def _take(self, m: aiomqtt.Message) -> None:
        if "/telemetry" in str(m.topic):
            self.telemetry.append(payload_bytes(m))
        else:
            props = user_properties(m)
            if "device_seq" in props:
                self.seen.append(Seen(str(m.topic), int(props["device_seq"]), props.get("lane", ""),
                                      props.get("key", ""), payload_bytes(m)))
        self.changed.set()

    async def until(self, predicate: object, timeout: float) -> None:
        assert callable(predicate)
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    def request_keys(self) -> set[str]:
        return {s.key for s in self.seen}

    def audit(self) -> DeviceSequence:
        return audit_sequence(s.device_seq for s in self.seen)

    def out_of_order(self) -> dict[str, list[int]]:
        """Per lane, the seqs whose first arrival came after a higher seq's first arrival (should be none)."""
        bad: dict[str, list[int]] = {}
        top: dict[str, int] = {}
        firsts: set[int] = set()
        for s in self.seen:
            if s.device_seq in firsts:
                continue
            firsts.add(s.device_seq)
            if s.device_seq < top.get(s.lane, 0):
                bad.setdefault(s.lane, []).append(s.device_seq)
            top[s.lane] = max(top.get(s.lane, 0), s.device_seq)
        return bad


def audit_sequence(seqs: Iterable[int]) -> DeviceSequence:
    """What the controller's own sequence audit makes of one device's ``seqs``: ``missing`` holds the gaps
    between the lowest and the highest, ``replays`` counts the copies. Fed in ascending order, because lanes
    drain in priority order and the audit counts a number below the first one it saw as a replay (the order
    per lane is :meth:`Spy.out_of_order`'s business)."""
    audit = SequenceAudit(grace_s=0.0)
    for seq in sorted(seqs):
        audit.observe("device", seq, now=0.0)
    return audit.devices.get("device", DeviceSequence())


@contextlib.asynccontextmanager
async def spying(broker: PrivateBroker) -> AsyncIterator[Spy]:
    spy = Spy(broker)
    task = asyncio.create_task(spy.run())
    try:
        async with asyncio.timeout(10):
            await spy.connected.wait()
        yield spy
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def controller_events(service: ControllerService) -> list[Event]:
    stored = await service.store.events_after(0)
    return [msgspec.json.decode(e.body, type=Event) for e in stored]


async def issued_by_request(service: ControllerService) -> dict[str, list[TicketIssued]]:
    out: dict[str, list[TicketIssued]] = {}
    for e in await controller_events(service):
        if isinstance(e, TicketIssued):
            out.setdefault(e.request_id, []).append(e)
    return out


async def rated_by_request(service: ControllerService) -> dict[str, list[TicketRated]]:
    out: dict[str, list[TicketRated]] = {}
    for e in await controller_events(service):
        if isinstance(e, TicketRated):
            out.setdefault(e.request_id, []).append(e)
    return out


async def poll(predicate: object, timeout: float, step: float = 0.05) -> None:
    """For conditions in another process or in SQLite, which have no event to await."""
    assert callable(predicate)
    async with asyncio.timeout(timeout):
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(step)
