"""What the controller hears from devices on its one broker connection, for the console: presence, telemetry
(a rolling history), self-test reports, and the answers to the commands the console sends.

A command goes to ``device/{id}/cmd`` (``hall_protocol.devices.Command``, allow-listed by the agent, with an
expiry) with the device's own ``events`` topic as its MQTT v5 response topic and the command id as its
correlation data. The answer must come back on that device's topic: the broker lets a device publish only
under its own id, so an answer cannot be forged by another device, and the controller already subscribes
there. Only devices the controller knows (the enrolment registry or the hall config) are followed, so a
stranger cannot make these tables grow.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiomqtt

from hall_controller.live import LiveHub
from hall_controller.publications import Publication
from hall_controller.telemetry_history import TelemetryHistory
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.devices import Command, CommandName, CommandResult, DeviceState, SelfTestReport, Telemetry
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.health import HealthState, PeripheralHealth
from hall_runtime.log_limit import LogLimiter

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 30.0  # a UI's self-test may take the agent's whole UI command timeout (30 s by default)
RESULTS_KEPT = 10  # per device

Publish = Callable[[Publication], Awaitable[None]]


class NotConnected(Exception):
    """The controller is not connected to the broker just now."""


@dataclass(frozen=True, slots=True)
class Presence:
    online: bool
    at: float  # when the controller heard it
    role: str = ""
    software_version: str = ""
    boot_id: str = ""


@dataclass(frozen=True, slots=True)
class SelfTestSeen:
    report: SelfTestReport
    at: float


@dataclass(frozen=True, slots=True)
class CommandSeen:
    name: CommandName
    sent_at: float
    by: str
    result: CommandResult
    answered_at: float


_STATES = frozenset(s.value for s in HealthState)


def selftest_of(device_id: str, result: CommandResult) -> SelfTestReport:
    """A self-test command's answer as a self-test report: each data entry is a peripheral, its value a health
    state (``ok``, ``fault``…) or, when it is not one, the UI's own words about it."""
    fallback = HealthState.OK if result.ok else HealthState.FAULT
    results = {
        name: PeripheralHealth(state=HealthState(value)) if value in _STATES
        else PeripheralHealth(state=fallback, detail=value)
        for name, value in result.data.items()
    }
    return SelfTestReport(request_id=result.command_id, device_id=device_id, ok=result.ok, results=results)


class DeviceWatch:
    def __init__(self, hall: str, *, known: Callable[[str], bool], clock: Callable[[], float] = time.time,
                 history: TelemetryHistory | None = None) -> None:
        self.hall = hall
        self.known = known
        self.clock = clock
        self.history = history or TelemetryHistory()
        self.hub = LiveHub()  # the devices pages' own: telemetry must not re-render the live hall
        self.presence: dict[str, Presence] = {}
        self.last_seen: dict[str, float] = {}
        self.selftests: dict[str, SelfTestSeen] = {}
        self.commands: dict[str, deque[CommandSeen]] = {}
        self.publish: Publish | None = None  # set by the service while it is connected
        self._pending: dict[bytes, tuple[str, asyncio.Future[CommandResult]]] = {}
        self._log = LogLimiter()

    # -- hearing -----------------------------------------------------------------------------------

    def on_message(self, device_id: str, leaf: topics.DeviceLeaf, payload: bytes, correlation: bytes | None) -> None:
        """One message on a device's state, telemetry or events topic. Never raises."""
        if not self.known(device_id):
            return
        now = self.clock()
        try:
            if leaf is topics.DeviceLeaf.TELEMETRY:
                sample: Telemetry = decode(payload, Telemetry)
                self._same_device(device_id, sample.device_id)
                self.history.add(sample, now)
            elif leaf is topics.DeviceLeaf.STATE:
                state: DeviceState = decode(payload, DeviceState)
                self._same_device(device_id, state.device_id)
                self.presence[device_id] = Presence(state.online, now, state.role.value, state.software_version,
                                                    state.boot_id)
            elif leaf is topics.DeviceLeaf.EVENTS:
                self._event(device_id, payload, correlation, now)
            else:
                return
        except ProtocolError as err:
            if not (leaf is topics.DeviceLeaf.EVENTS and err.code is ErrorCode.UNKNOWN_TYPE):
                self._log.log(log, logging.WARNING, f"{leaf}:{device_id}", "device %s: bad %s message: %s",
                              device_id, leaf.value, err)
            return
        self.last_seen[device_id] = now
        self.hub.bump()

    def _same_device(self, topic_id: str, payload_id: str) -> None:
        if payload_id != topic_id:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"payload names device {payload_id!r}", "device_id")

    def _event(self, device_id: str, payload: bytes, correlation: bytes | None, now: float) -> None:
        message: CommandResult | SelfTestReport = decode(payload, CommandResult | SelfTestReport)
        if isinstance(message, SelfTestReport):
            self._same_device(device_id, message.device_id)
            self.selftests[device_id] = SelfTestSeen(message, now)
            return
        pending = self._pending.get(correlation) if correlation is not None else None
        if pending is None or pending[0] != device_id:
            log.info("device %s: a command result nobody waits for (%s)", device_id, message.command_id)
            return
        if not pending[1].done():
            pending[1].set_result(message)

    # -- commands ----------------------------------------------------------------------------------

    async def command(self, device_id: str, name: CommandName, by: str, timeout: float = COMMAND_TIMEOUT_S,
                      args: dict[str, str] | None = None) -> CommandSeen:
        """Send one command and wait for its result (a TIMEOUT or UNAVAILABLE result when none comes)."""
        sent_at = self.clock()
        command = Command(command_id=uuid.uuid4().hex, name=name, expires_at=sent_at + timeout, args=args or {})
        correlation = command.command_id.encode()
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._pending[correlation] = (device_id, future)
        try:
            if self.publish is None:
                raise NotConnected
            await self.publish(Publication(
                topics.device_cmd(self.hall, device_id), encode(command), expiry_s=max(1, round(timeout)),
                correlation=correlation, response_topic=topics.device_events(self.hall, device_id)))
            result = await asyncio.wait_for(future, timeout + 2)  # the agent answers EXPIRED itself at the limit
        except TimeoutError:
            result = CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.TIMEOUT,
                                   detail=f"no answer within {timeout:.0f} s (is the device online?)")
        except (NotConnected, aiomqtt.MqttError):
            result = CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.UNAVAILABLE,
                                   detail="the controller is not connected to the broker; try again shortly")
        finally:
            self._pending.pop(correlation, None)
        seen = CommandSeen(name, sent_at, by, result, self.clock())
        self.commands.setdefault(device_id, deque(maxlen=RESULTS_KEPT)).appendleft(seen)
        if name is CommandName.SELF_TEST and result.code is None:  # the device ran it (no refusal, no timeout)
            self.selftests[device_id] = SelfTestSeen(selftest_of(device_id, result), seen.answered_at)
        log.info("command %s (%s) to %s by %s: %s", command.command_id, name.value, device_id, by,
                 "ok" if result.ok else result.code)
        self.hub.bump()
        return seen
