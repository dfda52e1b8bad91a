from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from edge_agent.outbox_items import Lane, LaneStats, OutboxStats
from edge_agent.telemetry import LatestValue, TelemetryCollector, read_temperature
from hall_protocol.codec import decode_as, encode
from hall_protocol.devices import Telemetry
from hall_protocol.health import HealthState, PeripheralHealth


def make_zone(root: Path, n: int, content: str) -> None:
    zone = root / f"thermal_zone{n}"
    zone.mkdir(parents=True)
    (zone / "temp").write_text(content)


@pytest.fixture
def thermal(tmp_path: Path) -> Path:
    root = tmp_path / "thermal"
    make_zone(root, 0, "48500\n")
    make_zone(root, 1, "61250\n")
    make_zone(root, 2, "garbage\n")  # unreadable sensors are skipped
    make_zone(root, 3, "-273000\n")  # "no sensor" sentinel
    return root


def test_temperature_is_the_hottest_readable_zone(thermal: Path) -> None:
    assert read_temperature(thermal) == 61.25


def test_no_thermal_zones_means_none(tmp_path: Path) -> None:
    assert read_temperature(tmp_path / "absent") is None


async def test_sample_builds_a_wire_telemetry(thermal: Path, tmp_path: Path) -> None:
    collector = TelemetryCollector("kiosk-1", disk_path=tmp_path, thermal_root=thermal)
    outbox = OutboxStats(
        depth=7, bytes=900, oldest_age_s=42.5, alarm=True,
        per_lane={lane: LaneStats(0, 0, 0.0) for lane in Lane}, max_bytes=1000, max_age_s=100.0,
    )
    printer = PeripheralHealth(state=HealthState.DEGRADED, reasons=("media-low",))
    t = await collector.sample_async(now=1234.5, outbox=outbox, peripherals={"printer": printer})
    assert t.device_id == "kiosk-1"
    assert t.ts == 1234.5
    assert 0.0 <= t.cpu_pct <= 100.0
    assert 0.0 < t.mem_pct <= 100.0
    assert 1.0 < t.rss_mib < 4096.0  # this very test process
    assert 0.0 < t.disk_pct <= 100.0
    assert t.uptime_s > 0.0
    assert t.temp_c == 61.25
    assert (t.outbox_depth, t.outbox_oldest_s, t.outbox_alarm) == (7, 42.5, True)
    assert t.peripherals == {"printer": printer}
    assert decode_as(encode(t), Telemetry) == t


def test_sample_without_outbox_or_peripherals(tmp_path: Path) -> None:
    t = TelemetryCollector("d", disk_path=tmp_path, thermal_root=tmp_path / "none").sample(now=1.0)
    assert t.temp_c is None
    assert t.outbox_depth == 0
    assert not t.outbox_alarm
    assert t.peripherals == {}


def test_unreadable_disk_path_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    t = TelemetryCollector("d", disk_path=tmp_path / "gone", thermal_root=tmp_path).sample(now=1.0)
    assert t.disk_pct == 0.0
    assert "disk usage" in caplog.text


def test_latest_value_keeps_only_the_newest() -> None:
    lv: LatestValue[int] = LatestValue()
    assert lv.take() is None
    lv.set(1)
    lv.set(2)
    lv.set(3)
    assert lv.replaced == 2
    assert lv.peek() == 3
    assert lv.take() == 3
    assert lv.take() is None  # taken means gone: nothing queues up behind it


def test_put_back_never_overwrites_a_newer_value() -> None:
    lv: LatestValue[str] = LatestValue()
    lv.set("old")
    sent = lv.take()
    assert sent == "old"
    lv.set("new")
    lv.put_back(sent)  # the send of "old" failed, but "new" arrived meanwhile
    assert lv.take() == "new"
    lv.put_back("retry")
    assert lv.take() == "retry"


async def test_wait_returns_the_newest_value() -> None:
    lv: LatestValue[int] = LatestValue()
    waiter = asyncio.create_task(lv.wait())
    await asyncio.sleep(0)  # let the waiter block on the event first
    assert not waiter.done()
    lv.set(5)
    lv.set(6)
    async with asyncio.timeout(5):
        assert await waiter == 6
    assert lv.take() is None
