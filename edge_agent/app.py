"""Wires one device's agent: MQTT session, outbox and drain, offline tickets, telemetry, remote commands,
local socket for the UI, systemd readiness and watchdog.

:meth:`Agent.open` opens the two files (outbox, leases) and builds every part with its collaborators, so a
UI request takes one path: local socket → :class:`edge_agent.drain.Forwarder` → session.

Every long-running task runs under :meth:`Agent._supervise`: a task that fails (or returns) is logged and
started again after a jittered backoff, so one bug costs one task a restart, not the device its agent.
The watchdog pings only while the main loop is healthy (its heartbeat is recent, the local socket serves,
no task is crash-looping); otherwise systemd restarts the whole agent at ``WatchdogSec``.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiomqtt
import msgspec
import psutil

from edge_agent.checkin import IdCheckIn, load_checkin_key
from edge_agent.commands import CommandRunner, flatten, redact
from edge_agent.config import AgentConfig, load_agent_config
from edge_agent.contacts import sealed_request
from edge_agent.drain import Forwarder
from edge_agent.leases import LeaseStore
from edge_agent.local_server import LocalServer
from edge_agent.offline_tickets import OfflineTickets
from edge_agent.outbox_store import Outbox
from edge_agent.session import AgentSession, SessionOptions
from edge_agent.telemetry import LatestValue, TelemetryCollector
from hall_protocol import roles, topics
from hall_protocol.codec import SCHEMA_VERSION, decode, encode
from hall_protocol.config_files import ConfigError
from hall_protocol.devices import Command, CommandName, CommandResult, Telemetry
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
from hall_protocol.local import Event, Hello, LocalCommand
from hall_protocol.tickets import IssueTicket, RpcReply, RpcRequest
from hall_runtime.backoff import Backoff
from hall_runtime.mqtt_client import correlation_of, payload_bytes, response_topic_of
from hall_runtime.systemd_notify import SystemdNotifier, Watchdog

log = logging.getLogger(__name__)

HallFeed = CallEvent | TicketEvent | HallState | DisplayState
SOFTWARE_VERSION = "0.1.0"
HEARTBEAT_S = 1.0
HEARTBEAT_STALE_S = 10.0  # the loop is wedged when its heartbeat is older than this
CRASH_LOOP = 5  # failures of one task within CRASH_WINDOW_S count as a crash loop (unhealthy)
CRASH_WINDOW_S = 60.0
# Settings that reload-config applies live; the rest need a restart (they shape the connection or files).
LIVE_SETTINGS = ("request_timeout_s", "telemetry_interval_s", "lease_size", "lease_services",
                 "lease_check_interval_s", "ui_command_timeout_s", "timezone", "outbox_alarm_fraction")


def tls_context_for(config: AgentConfig) -> ssl.SSLContext | None:
    b = config.broker
    if not b.tls:
        return None
    ctx = ssl.create_default_context(cafile=b.ca_file or None)
    if b.cert_file:
        ctx.load_cert_chain(b.cert_file, b.key_file or None)
    return ctx


def capabilities(config: AgentConfig) -> tuple[str, ...]:
    caps = ["outbox", "telemetry", "commands"]
    if config.lease_services and config.lease_size:
        caps.append("offline-tickets")
    return tuple(caps)


class Agent:
    """One device's agent. Create with :meth:`open`; :meth:`run` serves until cancelled, then closes what
    :meth:`open` opened."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        outbox: Outbox,
        leases: LeaseStore,
        config_path: str | Path | None = None,
        notifier: SystemdNotifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.config_path = Path(config_path) if config_path is not None else None
        self.clock = clock
        self.notifier = notifier or SystemdNotifier.from_env()
        password = Path(config.broker.password_file).read_text().strip() if config.broker.password_file else None
        self.boot_id = uuid.uuid4().hex
        self.session = AgentSession(
            SessionOptions(
                device_id=config.device_id,
                hall=config.hall,
                role=config.role,
                host=config.broker.host,
                port=config.broker.port,
                username=config.broker.username or None,
                password=password,
                tls_context=tls_context_for(config),
                software_version=SOFTWARE_VERSION,
                capabilities=capabilities(config),
                extra_subscriptions=tuple(
                    t
                    for t in roles.subscribe_topics(config.hall, config.device_id, config.role, config.zone)
                    if t not in (topics.device_reply(config.hall, config.device_id),
                                 topics.device_cmd(config.hall, config.device_id))
                ),
                boot_id=self.boot_id,
                reconnect_base_s=config.reconnect_base_s,
                reconnect_cap_s=config.reconnect_cap_s,
            ),
            on_message=self._on_message,
            on_connectivity=self._on_connectivity,
        )
        self.outbox = outbox
        self.leases = leases
        self.offline = OfflineTickets(leases, zone=config.zone_info, device_id=config.device_id)
        self.forwarder = Forwarder(
            outbox, self.session, hall=config.hall, device_id=config.device_id, tickets=self.offline,
            request_timeout_s=config.request_timeout_s, window=config.drain_window, clock=clock,
        )
        self.session.on_outbox_reply = self.forwarder.on_reply
        self.local = LocalServer(
            config.socket_path,
            Hello(device_id=config.device_id, role=config.role.value, hall=config.hall),
            self._submit,
            on_print=self.forwarder.record_print,
            print_timeout_s=config.request_timeout_s,
            on_checkin_by_id=IdCheckIn(load_checkin_key(config.checkin_key_file), self.forwarder.submit),
        )
        self.commands = CommandRunner(
            {
                CommandName.RESTART_UI: self._ui_command,
                CommandName.SELF_TEST: self._ui_command,
                CommandName.PRINT_TEST_PAGE: self._ui_command,
                CommandName.RELOAD_CONFIG: self._reload_config,
                CommandName.SEND_DIAGNOSTICS: self._diagnostics_command,
            },
            clock=clock,
        )
        self.telemetry = LatestValue[Telemetry]()
        self.telemetry_sent = 0
        self.collector = TelemetryCollector(config.device_id, disk_path=config.data_path)
        self.ready = asyncio.Event()
        self.last_beat = time.monotonic()
        self.restarts: dict[str, int] = {}
        self._failures: dict[str, list[float]] = {}
        self._spawned: set[asyncio.Task[None]] = set()
        self.contact_key = ""  # the controller's, from the hall state: phone numbers are sealed with it

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        config: AgentConfig,
        *,
        config_path: str | Path | None = None,
        notifier: SystemdNotifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Agent:
        """Open the device's outbox and lease store, then build the agent around them."""
        data = config.data_path
        data.mkdir(parents=True, exist_ok=True)
        outbox = await Outbox.open(
            data / "outbox.db",
            max_bytes=int(config.outbox_max_mib * 1024 * 1024),
            max_age_s=config.outbox_max_age_h * 3600,
            device_id=config.device_id,
            alarm_fraction=config.outbox_alarm_fraction,
        )
        try:
            leases = await LeaseStore.open(data / "leases.db")
        except BaseException:
            await outbox.close()
            raise
        try:
            return cls(config, outbox=outbox, leases=leases, config_path=config_path, notifier=notifier, clock=clock)
        except BaseException:
            await leases.close()
            await outbox.close()
            raise

    async def run(self) -> None:
        try:
            await self.local.start()
            self.ready.set()
            self.notifier.ready(f"serving {self.config.socket_path}; outbox {self.outbox.stats(self.clock()).depth}")
            watchdog = Watchdog.from_env(self.notifier, self.healthy)
            async with asyncio.TaskGroup() as tg:
                for name, factory in (
                    ("mqtt-session", self.session.run),
                    ("outbox-drain", self.forwarder.drain),
                    ("telemetry-sample", self._sample_telemetry),
                    ("telemetry-send", self._send_telemetry),
                    ("lease-top-up", self._keep_leases),
                    ("heartbeat", self._heartbeat),
                ):
                    tg.create_task(self._supervise(name, factory), name=name)
                if watchdog is not None:
                    log.info("systemd watchdog every %.1f s", watchdog.interval_s / 2)
                    tg.create_task(watchdog.run(), name="watchdog")
        finally:
            self.notifier.stopping("stopping")
            for task in list(self._spawned):
                task.cancel()
            await self.session.close()
            await self.local.close()
            await self.leases.close()
            await self.outbox.close()

    async def _supervise(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        backoff = Backoff(base=0.5, cap=30.0)
        while True:
            started = time.monotonic()
            try:
                await factory()
                log.error("task %s returned unexpectedly; restarting it", name)
            except Exception:
                log.exception("task %s failed; restarting it", name)
            now = time.monotonic()
            self.restarts[name] = self.restarts.get(name, 0) + 1
            recent = [t for t in self._failures.get(name, []) if now - t < CRASH_WINDOW_S] + [now]
            self._failures[name] = recent
            if now - started > CRASH_WINDOW_S:
                backoff.reset()
            await asyncio.sleep(backoff.next_delay())

    def healthy(self) -> bool:
        """The watchdog's question: is the main loop alive and doing its job?"""
        now = time.monotonic()
        if now - self.last_beat > HEARTBEAT_STALE_S or not self.local.listening:
            return False
        return all(
            len([t for t in times if now - t < CRASH_WINDOW_S]) < CRASH_LOOP for times in self._failures.values()
        )

    async def _heartbeat(self) -> None:
        while True:
            self.last_beat = time.monotonic()
            depth = self.outbox.stats(self.clock()).depth
            self.local.set_connectivity(self.forwarder.hall_reachable, depth)
            await asyncio.sleep(HEARTBEAT_S)

    # -- connectivity --------------------------------------------------------------------------

    def _on_connectivity(self, online: bool) -> None:
        log.info("broker %s", "reachable" if online else "unreachable")
        self.forwarder.on_connectivity(online)
        depth = self.outbox.stats(self.clock()).depth
        self.local.set_connectivity(online, depth)
        if online:
            self.notifier.status(f"connected to {self.config.broker.host}:{self.config.broker.port}")
        else:
            self.notifier.status("hall unreachable: offline mode")

    # -- hall feeds and commands -----------------------------------------------------------------

    async def _on_message(self, message: aiomqtt.Message) -> None:
        try:
            parsed = topics.parse(str(message.topic))
        except ValueError as err:
            log.warning("message on an unexpected topic ignored: %s", err)
            return
        if parsed.kind in (topics.TopicKind.HALL, topics.TopicKind.DISPLAY, topics.TopicKind.EVENTS):
            try:
                body: HallFeed = decode(payload_bytes(message), HallFeed)
            except ProtocolError as err:
                log.warning("malformed hall feed on %s dropped: %s", message.topic, err)
                return
            if isinstance(body, HallState) and body.contact_key:
                self.contact_key = body.contact_key
            self.local.push(Event(body=body))
        elif parsed.is_device(topics.DeviceLeaf.CMD) and parsed.name == self.config.device_id:
            # A UI command may take seconds: never hold up the session's message loop (and its replies).
            task = asyncio.create_task(self._answer_command(message), name="command")
            self._spawned.add(task)
            task.add_done_callback(self._spawned.discard)

    async def _submit(self, body: RpcRequest, timeout: float) -> RpcReply:
        """A UI's request; a phone number in it is sealed before anything stores or sends it."""
        if isinstance(body, IssueTicket):
            body = sealed_request(body, self.contact_key)
        return await self.forwarder.submit(body, timeout)

    async def _answer_command(self, message: aiomqtt.Message) -> None:
        result = await self.commands.handle(payload_bytes(message))
        response_topic = response_topic_of(message)
        correlation = correlation_of(message)
        if not response_topic:
            response_topic = topics.device_events(self.config.hall, self.config.device_id)
            log.info("command %s had no response topic: result sent to %s", result.command_id, response_topic)
        try:
            await self.session.publish(response_topic, encode(result), qos=1, correlation=correlation)
        except aiomqtt.MqttError as err:
            log.warning("result of command %s not sent: %s", result.command_id, err)

    async def _ui_command(self, command: Command) -> CommandResult:
        timeout = max(0.1, min(self.config.ui_command_timeout_s, command.expires_at - self.clock()))
        local = LocalCommand(command_id=command.command_id, name=command.name.value,
                             expires_at=command.expires_at, args=command.args)
        result = await self.local.run_ui_command(local, timeout)
        if result is None:
            return CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.UNAVAILABLE,
                                 detail="no UI that runs commands is connected, or it did not answer in time")
        return CommandResult(command_id=command.command_id, ok=result.ok, detail=result.detail,
                             data=result.data)

    async def _reload_config(self, command: Command) -> CommandResult:
        if self.config_path is None:
            return CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.UNAVAILABLE,
                                 detail="this agent was not started from a config file")
        try:
            new = await asyncio.to_thread(load_agent_config, self.config_path)
        except ConfigError as err:
            return CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.MALFORMED,
                                 detail=f"config not reloaded: {err}")
        old = self.config
        changed = [f for f in old.__struct_fields__ if getattr(old, f) != getattr(new, f)]
        live = [f for f in changed if f in LIVE_SETTINGS]
        later = [f for f in changed if f not in LIVE_SETTINGS]
        if live:
            self.config = msgspec.structs.replace(old, **{f: getattr(new, f) for f in live})
            self.offline.zone = self.config.zone_info
            self.outbox.alarm_fraction = self.config.outbox_alarm_fraction
            self.forwarder.request_timeout_s = self.config.request_timeout_s
        log.info("config reloaded: applied %s; needs a restart: %s", live or "nothing", later or "nothing")
        return CommandResult(
            command_id=command.command_id, ok=True,
            detail=f"applied: {', '.join(live) or 'nothing'}; needs a restart: {', '.join(later) or 'nothing'}",
            data={"applied": ",".join(live), "restart_needed": ",".join(later)},
        )

    async def _diagnostics_command(self, command: Command) -> CommandResult:
        return CommandResult(command_id=command.command_id, ok=True, detail="diagnostics (redacted)",
                             data=flatten(await self.diagnostics()))

    async def diagnostics(self) -> dict[str, Any]:
        """What a technician needs, with no secrets and no personal data (see commands.redact)."""
        now = self.clock()
        out: dict[str, Any] = {
            "device": {"device_id": self.config.device_id, "role": self.config.role.value,
                       "hall": self.config.hall, "zone": self.config.zone, "boot_id": self.boot_id,
                       "software_version": SOFTWARE_VERSION, "schema_version": SCHEMA_VERSION,
                       "python": platform.python_version()},
            "session": {"online": self.session.online, "connects": self.session.connects,
                        "hall_reachable": self.forwarder.hall_reachable},
            "tasks": {"restarts": dict(self.restarts), "healthy": self.healthy()},
            "peripherals": {k: {"state": v.state.value, "reasons": list(v.reasons)}
                            for k, v in self.local.peripherals.items()},
            "config": redact(msgspec.to_builtins(self.config)),
            "process": {"rss_mib": round(psutil.Process().memory_info().rss / 2**20, 1)},
        }
        st = self.outbox.stats(now)
        out["outbox"] = {"depth": st.depth, "bytes": st.bytes, "oldest_age_s": round(st.oldest_age_s, 1),
                         "alarm": st.alarm, "max_bytes": st.max_bytes, "max_age_s": st.max_age_s,
                         "next_seq": self.outbox.next_seq,
                         "lanes": {str(k): v.depth for k, v in st.per_lane.items()},
                         "durability": await self.outbox.durability()}
        out["leases"] = await self.offline.remaining(self.config.lease_services, now)
        out["forwarder"] = {"sent": self.forwarder.sent, "refused_later": len(self.forwarder.refused_later)}
        return out

    # -- telemetry and leases --------------------------------------------------------------------

    async def _sample_telemetry(self) -> None:
        while True:
            now = self.clock()
            sample = await self.collector.sample_async(
                now=now, outbox=self.outbox.stats(now), peripherals=self.local.peripherals
            )
            self.telemetry.set(sample)
            await asyncio.sleep(self.config.telemetry_interval_s)

    async def _send_telemetry(self) -> None:
        """Latest-value: while offline, newer samples replace unsent ones; only the newest goes out."""
        topic = topics.device_telemetry(self.config.hall, self.config.device_id)
        retry = Backoff(base=self.config.reconnect_base_s, cap=self.config.reconnect_cap_s)
        while True:
            await self.session.connected.wait()
            sample = await self.telemetry.wait()
            if not self.session.online:
                self.telemetry.put_back(sample)
                continue
            # retained with an expiry: a console that subscribes sees the latest value, never a stale one
            expiry = max(60, int(3 * self.config.telemetry_interval_s))
            try:
                await self.session.publish(topic, encode(sample), qos=1, retain=True, expiry_s=expiry)
                self.telemetry_sent += 1
                retry.reset()
            except aiomqtt.MqttError as err:
                log.debug("telemetry not sent: %s", err)
                self.telemetry.put_back(sample)
                await asyncio.sleep(retry.next_delay())  # a refusal while connected must not spin

    async def _keep_leases(self) -> None:
        while True:
            await self.session.connected.wait()
            c = self.config
            if c.lease_services and c.lease_size:
                added = await self.offline.top_up(
                    self.session, c.lease_services, c.lease_size, now=self.clock(), timeout=c.request_timeout_s
                )
                if added:
                    log.info("leased %d new offline ticket block(s)", added)
            await asyncio.sleep(c.lease_check_interval_s)
