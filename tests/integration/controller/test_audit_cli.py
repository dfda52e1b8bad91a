"""``onevisit audit`` over the log a real controller wrote: one line per action, CSV, and tampering found."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hall_protocol.devices import Role
from hall_protocol.tickets import ErrorReply, IssueTicket, WindowCommand, WindowOp, WindowReply
from hall_protocol.topics import RpcService
from onevisit.broker import PrivateBroker
from tests.integration.controller.harness import controller, device

pytestmark = pytest.mark.integration


def audit(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "onevisit", "audit", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def window(op: WindowOp, **fields: str) -> WindowCommand:
    return WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=op, **fields)  # type: ignore[arg-type]


async def test_one_line_per_action_exported_and_verified_then_tampering_found(mosquitto: PrivateBroker,
                                                                             tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    async with controller(mosquitto, db) as service, device(mosquitto, "kiosk-1") as kiosk, \
            device(mosquitto, "win-W1", Role.WINDOW_TERMINAL) as terminal:
        for _ in range(2):
            await kiosk.request(RpcService.TICKET, IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD"), 5)
        for cmd in (window(WindowOp.LOGIN, staff_id="zhang"), window(WindowOp.OPEN), window(WindowOp.CALL_NEXT),
                    window(WindowOp.START), window(WindowOp.FINISH)):
            assert isinstance(await terminal.request(RpcService.WINDOW, cmd, 5), WindowReply)
        refused = await kiosk.request(RpcService.WINDOW, window(WindowOp.CALL_NEXT), 5)
        assert isinstance(refused, ErrorReply)
        await terminal.request(RpcService.WINDOW, window(WindowOp.RESUME), 5)  # the engine refuses: not paused
        lines = await service.store.audit_lines()
    assert [(x.entry.actor, x.entry.action, x.entry.outcome) for x in lines] == [
        ("device:kiosk-1", "ticket.issue", "ok"),
        ("device:kiosk-1", "ticket.issue", "ok"),
        ("device:win-W1", "window.login", "ok"),
        ("device:win-W1", "window.open", "ok"),
        ("device:win-W1", "window.call-next", "ok"),
        ("device:win-W1", "window.start", "ok"),
        ("device:win-W1", "window.finish", "ok"),
        ("device:kiosk-1", "window.call-next", "forbidden"),
    ]

    ok = audit(db, "--verify")
    assert (ok.returncode, ok.stdout.strip()) == (0, "审计日志完整，共 8 行 / the audit chain holds: 8 lines")
    shown = audit(db, "--actor", "win-W1", "--action", "window")
    assert shown.returncode == 0
    assert [row.split()[4] for row in shown.stdout.splitlines()] == [
        "window.login", "window.open", "window.call-next", "window.start", "window.finish"]
    assert "staff=zhang" in shown.stdout.splitlines()[0]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert "no matching lines" in audit(db, "--since", tomorrow).stdout
    assert audit(db, "--since", "yesterday-ish").returncode == 2

    exported = tmp_path / "audit.csv"
    assert audit(db, "--actor", "device:kiosk-1", "--csv", str(exported)).returncode == 0
    assert exported.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read it as UTF-8
    with exported.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["seq"], r["action"], r["outcome"]) for r in rows] == [
        ("1", "ticket.issue", "ok"), ("2", "ticket.issue", "ok"), ("8", "window.call-next", "forbidden")]

    with sqlite3.connect(db) as conn:  # someone edits who called a ticket...
        conn.execute("UPDATE audit SET entry = replace(entry, 'device:win-W1', 'device:win-W2') WHERE seq = 5")
    broken = audit(db, "--verify")
    assert broken.returncode == 1
    assert "line 5" in broken.stdout
    with sqlite3.connect(db) as conn:  # ... or puts it back
        conn.execute("UPDATE audit SET entry = replace(entry, 'device:win-W2', 'device:win-W1') WHERE seq = 5")
    assert audit(db, "--verify").returncode == 0
    with sqlite3.connect(db) as conn:  # ... and deletes a line instead
        conn.execute("DELETE FROM audit WHERE seq = 3")
    deleted = audit(db, "--verify")
    assert deleted.returncode == 1
    assert "line 3" in deleted.stdout
