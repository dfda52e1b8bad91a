"""Cutting a hostile device off at the broker: when (Strikes, time passed in) and how (cut_off, a fake switch)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.flood_guard import Strikes, cut_off


def test_a_device_is_cut_off_past_its_burst_once_per_cool_down() -> None:
    strikes = Strikes(rate=1.0, burst=5.0, cool_down_s=60.0)
    assert [strikes.strike("kiosk-1", 100.0) for _ in range(6)] == [False] * 5 + [True]
    assert strikes.cooling("kiosk-1", 100.0)
    assert not any(strikes.strike("kiosk-1", 101.0) for _ in range(100))  # one cut-off, not a hundred
    assert strikes.devices_cooling(159.9) == ["kiosk-1"]
    assert not strikes.cooling("kiosk-1", 160.0)
    assert strikes.devices_cooling(160.0) == []
    # back with a clean record: the full burst again before the next cut-off
    assert [strikes.strike("kiosk-1", 160.0) for _ in range(6)] == [False] * 5 + [True]


def test_strikes_at_an_honest_pace_never_cut_off_and_devices_are_counted_apart() -> None:
    strikes = Strikes(rate=1.0, burst=5.0)
    # a misconfigured agent refused once a second: each refusal is refilled before the next
    assert not any(strikes.strike("kiosk-1", 1000.0 + i) for i in range(1000))
    for _ in range(5):
        assert not strikes.strike("kiosk-2", 5000.0)
    assert not strikes.strike("kiosk-3", 5000.0)  # kiosk-2's flood is not kiosk-3's
    assert strikes.strike("kiosk-2", 5000.0)
    assert strikes.devices_cooling(5000.0) == ["kiosk-2"]


class Switch:
    def __init__(self, failures: int = 0, suspend_fails: bool = False) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.failures, self.suspend_fails = failures, suspend_fails

    async def suspend_device(self, device_id: str) -> None:
        self.calls.append(("suspend", (device_id,)))
        if self.suspend_fails:
            raise BrokerAdminError("no admin listener", "消息服务器不可达")

    async def resume_devices(self, device_ids: Sequence[str]) -> None:
        self.calls.append(("resume", tuple(device_ids)))
        if self.failures:
            self.failures -= 1
            raise BrokerAdminError("broker restarting", "消息服务器不可达")


async def test_cut_off_disables_then_enables_after_the_cool_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hall_controller.flood_guard.RESUME_RETRY_S", 0.01)
    switch = Switch(failures=2)
    task = asyncio.create_task(cut_off(switch, "kiosk-9", cool_down_s=0.05))
    await asyncio.sleep(0.02)
    assert switch.calls == [("suspend", ("kiosk-9",))]  # still cooling down
    await asyncio.wait_for(task, 5)
    # the broker refused twice (restarting): tried again until it took it
    assert switch.calls == [("suspend", ("kiosk-9",))] + [("resume", ("kiosk-9",))] * 3


async def test_a_cut_off_the_broker_refuses_is_logged_and_not_resumed(caplog: pytest.LogCaptureFixture) -> None:
    switch = Switch(suspend_fails=True)
    await asyncio.wait_for(cut_off(switch, "kiosk-9", cool_down_s=60), 5)
    assert switch.calls == [("suspend", ("kiosk-9",))]
    assert "could not be cut off at the broker" in caplog.text
