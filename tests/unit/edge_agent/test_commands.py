"""The remote-command gate (sans-IO) and runner, and diagnostics redaction."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.commands import REDACTED, CommandRunner, flatten, redact, screen
from hall_protocol.codec import encode
from hall_protocol.devices import Command, CommandName, CommandResult
from hall_protocol.errors import ErrorCode

NOW = 1_700_000_000.0


def cmd(name: CommandName = CommandName.SELF_TEST, expires_at: float = NOW + 30, cid: str = "c1") -> bytes:
    return encode(Command(command_id=cid, name=name, expires_at=expires_at))


def test_screen_passes_an_allowed_live_command() -> None:
    out = screen(cmd(), NOW)
    assert isinstance(out, Command)
    assert out.name is CommandName.SELF_TEST


def test_screen_refuses_expired_unknown_and_malformed() -> None:
    late = screen(cmd(expires_at=NOW), NOW)
    assert isinstance(late, CommandResult)
    assert (late.ok, late.code, late.command_id) == (False, ErrorCode.EXPIRED, "c1")
    bogus = json.dumps({"type": "device.command", "command_id": "c9", "name": "shell", "expires_at": NOW + 9})
    unknown = screen(bogus.encode(), NOW)
    assert isinstance(unknown, CommandResult)
    assert (unknown.code, unknown.command_id) == (ErrorCode.FORBIDDEN, "c9")
    no_expiry = screen(b'{"type": "device.command", "command_id": "c2", "name": "self-test"}', NOW)
    assert isinstance(no_expiry, CommandResult)
    assert no_expiry.code is ErrorCode.MALFORMED
    assert screen(b"\xff\x00", NOW).code is ErrorCode.MALFORMED  # type: ignore[union-attr]


@given(st.binary(max_size=300))
def test_screen_never_raises_and_never_passes_garbage(data: bytes) -> None:
    out = screen(data, NOW)
    assert isinstance(out, Command | CommandResult)


async def test_runner_runs_once_and_not_past_expiry() -> None:
    clock = [NOW]
    ran: list[str] = []
    gate = asyncio.Event()

    async def slow(c: Command) -> CommandResult:
        ran.append(c.command_id)
        await gate.wait()
        clock[0] = NOW + 100  # the first command takes long: the second expires while waiting in line
        return CommandResult(command_id=c.command_id, ok=True)

    runner = CommandRunner({CommandName.SELF_TEST: slow}, clock=lambda: clock[0])
    first = asyncio.create_task(runner.handle(cmd(cid="a")))
    second = asyncio.create_task(runner.handle(cmd(cid="b", expires_at=NOW + 50)))
    await asyncio.sleep(0)
    gate.set()
    a, b = await first, await second
    assert a.ok
    assert b.code is ErrorCode.EXPIRED
    assert ran == ["a"]
    again = await runner.handle(cmd(cid="a", expires_at=NOW + 500))
    assert again == a
    assert ran == ["a"]


async def test_runner_reports_a_failing_or_missing_handler() -> None:
    async def broken(c: Command) -> CommandResult:
        raise OSError("printer on fire")

    runner = CommandRunner({CommandName.PRINT_TEST_PAGE: broken}, clock=lambda: NOW)
    failed = await runner.handle(cmd(CommandName.PRINT_TEST_PAGE))
    assert (failed.ok, failed.code) == (False, ErrorCode.INTERNAL)
    assert "fire" not in failed.detail  # the exception text may hold anything; the type is enough
    missing = await runner.handle(cmd(CommandName.RESTART_UI, cid="c2"))
    assert missing.code is ErrorCode.FORBIDDEN


def test_redact_hides_secrets_and_personal_fields() -> None:
    raw = {
        "broker": {"host": "hall", "username": "kiosk-1", "password_file": "/etc/pw", "key_file": ""},
        "api_token": "abc",
        "tickets": [{"masked_name": "张*", "number": "A001"}],
        "device_id": "kiosk-1",
    }
    out = redact(raw)
    assert out["broker"] == {"host": "hall", "username": REDACTED, "password_file": REDACTED, "key_file": ""}
    assert out["api_token"] == REDACTED
    assert out["tickets"] == [{"masked_name": REDACTED, "number": "A001"}]
    assert out["device_id"] == "kiosk-1"
    flat = flatten(raw)
    assert json.loads(flat["broker"])["username"] == REDACTED
    assert flat["device_id"] == "kiosk-1"
