"""The machine misbehaves under load: the agent's outbox volume fills up, the hall server's clock steps forward
and back (an NTP step), and the controller loses power mid-commit again and again."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hall_protocol.errors import ErrorCode
from tests.e2e.faults.hall import FAKETIME_LIB, KIOSKS, check, running_hall
from tests.fixtures.components import unavailable

pytestmark = pytest.mark.e2e

RECOVERY_S = 15.0
POWER_CUTS = int(os.environ.get("OV_POWER_CUTS", "12"))  # more: OV_POWER_CUTS=200


async def _real_ticket_from(hall_ledger: object, device: str, since: float, bound: float) -> float:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        for a in hall_ledger.tickets():  # type: ignore[attr-defined]
            if a.device == device and a.sent_at >= since and not a.reply.ticket.provisional:
                return float(a.sent_at + a.took_s - since)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{device}: no real ticket within {bound:.0f} s")


def _small_volume(path: Path, size: str) -> None:
    """A tmpfs of ``size`` (root only): the outbox's disk, which the test can fill to the last byte."""
    path.mkdir()
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        unavailable("a small tmpfs for the disk-full fault", out.stderr.strip() or "mount refused (needs root)")


def _fill(volume: Path) -> Path:
    """Write a file until the volume has not a byte left."""
    junk = volume / "junk"
    fd = os.open(junk, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return junk


async def test_disk_full_on_the_outbox_volume(tmp_path: Path) -> None:
    volume = tmp_path / "kiosk-1-disk"
    _small_volume(volume, "8m")
    try:
        async with running_hall(tmp_path, agent_dirs={KIOSKS[0]: volume}) as hall:
            hall.start_load()
            await asyncio.sleep(2)
            full_at = time.time()
            junk = await asyncio.to_thread(_fill, volume)
            await asyncio.sleep(4)
            junk.unlink()
            freed_at = time.time()
            took = await _real_ticket_from(hall.ledger, KIOSKS[0], freed_at, RECOVERY_S)
            assert hall.agents[KIOSKS[0]].proc is not None
            assert hall.agents[KIOSKS[0]].proc.poll() is None, "the agent died of a full disk"
            await hall.settle()
            verdict = await check(hall, down=(full_at, freed_at + took),
                                  refusals=(ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE))
            refused = [a for a in hall.ledger.answers if a.device == KIOSKS[0] and full_at <= a.sent_at <= freed_at
                       and not hasattr(a.reply, "ticket")]
    finally:
        await asyncio.to_thread(subprocess.run, ["umount", "-l", str(volume)], check=False)
    assert took <= RECOVERY_S
    print(f"disk full: {verdict.tickets} tickets, {len(refused)} refused on the full kiosk (told: not stored), "
          f"recovered in {took:.1f} s")


def _jump_within_the_day(tz: str = "Asia/Shanghai") -> int:
    """A step that stays inside the hall's local day (a day change is its own, legitimate, event)."""
    now = dt.datetime.now(ZoneInfo(tz))
    to_midnight = (now.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1) - now).seconds
    since_midnight = 86400 - to_midnight
    if to_midnight > 1800:
        return min(3600, to_midnight - 900)
    return -min(3600, since_midnight - 900)


async def test_clock_steps_forward_and_back(tmp_path: Path) -> None:
    """The controller's wall clock jumps (libfaketime reads the offset from a file at every call; its
    monotonic clock is left alone, as an NTP step leaves CLOCK_MONOTONIC): numbering goes on, unique and
    contiguous, and nothing waits for the lost or repeated hour."""
    if not FAKETIME_LIB.exists():
        unavailable("libfaketime", f"{FAKETIME_LIB} missing (Debian package faketime)")
    step = _jump_within_the_day()
    async with running_hall(tmp_path, faketime=True) as hall:
        hall.start_load()
        await asyncio.sleep(2)
        marks = []
        for offset in (step, 0, -abs(step) // 2, 0):
            hall.step_clock(offset)
            at = time.time()
            took = await _real_ticket_from(hall.ledger, KIOSKS[1], at, RECOVERY_S)
            marks.append((offset, took))
            await asyncio.sleep(1.5)
        assert hall.controller is not None
        assert hall.controller.poll() is None
        await hall.settle()
        verdict = await check(hall)
    assert all(took <= 5.0 for _, took in marks), marks
    print(f"clock steps {[m[0] for m in marks]} s: {verdict.tickets} tickets, numbers {verdict.numbers}")


async def test_power_loss_of_the_controller_mid_commit(tmp_path: Path) -> None:
    """SIGKILL at random moments, many times, while three kiosks and two windows keep working (the
    controller's own crash test, tests/integration/controller/test_crash_safety.py, drives one device
    directly; here the agents' outboxes and leases are in the loop). kill -9 keeps the page cache, which a
    power cut does not: that part is synchronous=FULL's job, proven in the unit tests of the stores."""
    rng = random.Random(16)
    async with running_hall(tmp_path) as hall:
        hall.start_load(arrivals_per_s=6.0)
        await asyncio.sleep(2)
        first_down = time.time()
        for _ in range(POWER_CUTS):
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            hall.kill_controller()
            hall.start_controller()
        last_up = time.time()
        took = await _real_ticket_from(hall.ledger, KIOSKS[2], last_up, RECOVERY_S)
        await asyncio.sleep(1)
        await hall.settle(timeout=45)
        verdict = await check(hall, down=(first_down, last_up + took))
    print(f"{POWER_CUTS} power cuts: {verdict.tickets} tickets ({verdict.provisional} provisional), "
          f"recovered in {took:.1f} s")
