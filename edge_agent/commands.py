"""Remote commands to this device: allow-listed, never executed once expired, each run at most once.

A command arrives on ``device/{id}/cmd`` as a ``hall_protocol.devices.Command`` with an MQTT v5 response
topic and correlation data; the answer is a ``CommandResult`` on that topic. :func:`screen` is the sans-IO
gate (bytes and the time in, a command to run or the refusal out): a name outside ``CommandName`` fails to
decode and is refused (FORBIDDEN), a malformed one is refused (MALFORMED), one past ``expires_at`` is
refused (EXPIRED) without running. :class:`CommandRunner` runs the rest one at a time through handlers the
agent wires (some run in the agent, the UI ones go over the local socket), checking the expiry again just
before each runs (a command that waited in line past its expiry is not run either), and answers a
redelivered command id with its first result instead of running it twice.

:func:`redact` makes the diagnostics safe to send: no secrets, no personal data.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from hall_protocol.codec import decode
from hall_protocol.devices import Command, CommandName, CommandResult
from hall_protocol.errors import ErrorCode, ProtocolError

log = logging.getLogger(__name__)

Handler = Callable[[Command], Awaitable[CommandResult]]

_REMEMBERED = 256
_COMMAND_ID = re.compile(rb'"command_id"\s*:\s*"([A-Za-z0-9_.:-]{1,128})"')
# Field names whose values are never sent: credentials, and anything that could hold personal data.
_SECRET = re.compile(r"pass|secret|token|key|credential|user|phone|name_full|id_number|masked_name", re.I)
REDACTED = "<redacted>"


def _loose_command_id(payload: bytes) -> str:
    """The command id of a payload that did not decode, when one can be read, so the refusal names it."""
    m = _COMMAND_ID.search(payload[:4096])
    return m.group(1).decode() if m else ""


def screen(payload: bytes, now: float) -> Command | CommandResult:
    """The command to run, or the refusal to send back (without running anything)."""
    try:
        command: Command = decode(payload, Command)
    except ProtocolError as err:
        cid = _loose_command_id(payload)
        if err.field == "name":
            log.warning("refused command %r: not on the allow-list (%s)", cid, err.message)
            return CommandResult(command_id=cid, ok=False, code=ErrorCode.FORBIDDEN,
                                 detail=f"command not allowed: {err.message}")
        log.warning("refused malformed command %r: %s", cid, err)
        return CommandResult(command_id=cid, ok=False, code=err.code, detail=f"malformed command: {err}")
    if command.expires_at <= now:
        log.warning("refused command %s (%s): expired %.1f s ago", command.command_id, command.name,
                    now - command.expires_at)
        return expired(command, now)
    return command


def expired(command: Command, now: float) -> CommandResult:
    return CommandResult(
        command_id=command.command_id, ok=False, code=ErrorCode.EXPIRED,
        detail=f"{command.name} expired {now - command.expires_at:.1f} s ago; not executed",
    )


class CommandRunner:
    """Runs screened commands one at a time; see the module docstring."""

    def __init__(self, handlers: Mapping[CommandName, Handler], *, clock: Callable[[], float] = time.time) -> None:
        self.handlers = dict(handlers)
        self.clock = clock
        self._lock = asyncio.Lock()
        self._results: OrderedDict[str, CommandResult] = OrderedDict()
        self.executed: list[str] = []  # command ids actually run, in order (diagnostics and tests)

    async def handle(self, payload: bytes) -> CommandResult:
        screened = screen(payload, self.clock())
        if isinstance(screened, CommandResult):
            return screened
        command = screened
        if (first := self._results.get(command.command_id)) is not None:
            log.info("command %s delivered again: answering with its first result", command.command_id)
            return first
        async with self._lock:
            if (first := self._results.get(command.command_id)) is not None:
                return first
            now = self.clock()
            if command.expires_at <= now:
                result = expired(command, now)  # it waited behind another command past its expiry
            else:
                result = await self._run(command)
            self._results[command.command_id] = result
            while len(self._results) > _REMEMBERED:
                self._results.popitem(last=False)
            return result

    async def _run(self, command: Command) -> CommandResult:
        handler = self.handlers.get(command.name)
        if handler is None:
            return CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.FORBIDDEN,
                                 detail=f"{command.name} is not available on this device")
        log.info("running command %s (%s)", command.command_id, command.name)
        self.executed.append(command.command_id)
        try:
            return await handler(command)
        except Exception as err:  # a failing handler is the command's failure, not the agent's
            log.exception("command %s (%s) failed", command.command_id, command.name)
            return CommandResult(command_id=command.command_id, ok=False, code=ErrorCode.INTERNAL,
                                 detail=f"{command.name} failed: {type(err).__name__}")


def redact(value: Any) -> Any:
    """A copy of ``value`` (builtins: dicts, lists, scalars) with secret or personal fields replaced."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if _SECRET.search(key) and not isinstance(v, Mapping):
                out[key] = REDACTED if v not in ("", None, (), []) else v
            else:
                out[key] = redact(v)
        return out
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def flatten(diagnostics: Mapping[str, Any]) -> dict[str, str]:
    """``CommandResult.data`` holds strings: nested values become JSON text, top-level keys stay."""
    return {
        str(k): v if isinstance(v, str) else msgspec.json.encode(v).decode()
        for k, v in redact(diagnostics).items()
    }
