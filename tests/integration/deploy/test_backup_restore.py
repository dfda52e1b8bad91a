"""`onevisit backup` while the controller serves, `onevisit restore` elsewhere: the same hall comes back —
the engine's state equal to the one at the backup, the CA byte for byte — and what happened after the backup
is not in it. A damaged archive is refused before anything is replaced."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import msgspec
import pytest

from hall_controller.engine.state import EngineState
from hall_controller.enrollment.service import EnrollmentSettings, init_state
from hall_protocol.devices import Role
from hall_protocol.tickets import IssueTicket, TicketReply, WindowCommand, WindowOp, WindowReply
from hall_protocol.topics import RpcService
from onevisit.backup import BackupError, read_archive
from onevisit.broker import PrivateBroker
from tests.integration.controller.harness import controller, device

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def onevisit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "onevisit.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


async def _tickets(broker: PrivateBroker, n: int) -> list[str]:
    out = []
    async with device(broker, "kiosk-1") as kiosk:
        for _ in range(n):
            r = await kiosk.request(RpcService.TICKET, IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD",
                                                                   source_device="kiosk-1"), 5)
            assert isinstance(r, TicketReply), r
            out.append(r.ticket.number)
    return out


def _comparable(state: EngineState) -> EngineState:
    """A window never opened has no history: its idle_since is the moment the state was first built (the
    restore's start), not something the hall did."""
    windows = {wid: rt if rt.open or rt.served else msgspec.structs.replace(rt, idle_since=0.0)
               for wid, rt in state.windows.items()}
    return msgspec.structs.replace(state, windows=windows)


async def test_backup_while_serving_then_restore_gives_the_same_hall(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    db, state = tmp_path / "live" / "hall.db", tmp_path / "live" / "enrollment"
    db.parent.mkdir()
    init_state(EnrollmentSettings(hall="demo", db_path=db, state_dir=state))
    archive = tmp_path / "hall.tar"
    async with controller(mosquitto, db) as service:
        before = await _tickets(mosquitto, 8)
        async with device(mosquitto, "win-W1", Role.WINDOW_TERMINAL) as win:
            for op in (WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT):
                r = await win.request(RpcService.WINDOW, WindowCommand(request_id=uuid.uuid4().hex, window_id="W1",
                                                                       op=op, staff_id="s1"), 5)
                assert isinstance(r, WindowReply), r
        at_backup = service.core.state
        out = onevisit("backup", "--db", str(db), "--state-dir", str(state), "--out", str(archive),
                       "--dynsec-file", "")
        assert out.returncode == 0, out.stdout + out.stderr
        after = await _tickets(mosquitto, 3)  # not in the backup
    assert archive.stat().st_mode & 0o777 == 0o600

    restored_db, restored_state = tmp_path / "new" / "hall.db", tmp_path / "new" / "enrollment"
    out = onevisit("restore", str(archive), "--db", str(restored_db), "--state-dir", str(restored_state),
                   "--dynsec-file", "")
    assert out.returncode == 0, out.stdout + out.stderr
    for f in state.rglob("*"):
        if f.is_file():
            assert (restored_state / f.relative_to(state)).read_bytes() == f.read_bytes(), f
            assert (restored_state / f.relative_to(state)).stat().st_mode == f.stat().st_mode, f

    async with controller(mosquitto, restored_db, now=time.time()) as service:
        assert _comparable(service.core.state) == _comparable(at_backup)
        numbers = sorted(t.number for t in service.core.state.tickets.values())
        assert numbers == sorted(before)
        assert not set(after) & set(numbers)
        # the hall goes on numbering from where the backup left it
        assert await _tickets(mosquitto, 1) == [after[0]]

    refused = onevisit("restore", str(archive), "--db", str(restored_db), "--state-dir", str(restored_state),
                       "--dynsec-file", "")
    assert refused.returncode == 1
    assert "already exist" in refused.stdout
    forced = onevisit("restore", str(archive), "--db", str(restored_db), "--state-dir", str(restored_state),
                      "--dynsec-file", "", "--force")
    assert forced.returncode == 0, forced.stdout
    assert (restored_db.parent / "hall.db.before-restore").exists()


def test_a_damaged_archive_is_refused_before_anything_is_replaced(tmp_path: Path) -> None:
    import sqlite3

    from onevisit.backup import backup, restore

    db, state = tmp_path / "hall.db", tmp_path / "enrollment"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    init_state(EnrollmentSettings(hall="demo", db_path=db, state_dir=state))
    archive = tmp_path / "hall.tar"
    backup(db, state, archive)
    data = bytearray(archive.read_bytes())
    at = data.find(b"BEGIN CERTIFICATE")
    data[at + 40] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged"):
        read_archive(archive)
    target = tmp_path / "restore" / "hall.db"
    with pytest.raises(BackupError):
        restore(archive, target, tmp_path / "restore" / "enrollment")
    assert not target.exists()
