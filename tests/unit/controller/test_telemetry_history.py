"""The rolling telemetry history: bounded per device and in devices, a retained copy kept once."""

from __future__ import annotations

from hall_controller.telemetry_history import TelemetryHistory
from hall_protocol.devices import Telemetry


def _t(device: str, ts: float) -> Telemetry:
    return Telemetry(device_id=device, ts=ts, cpu_pct=ts)


def test_each_device_keeps_its_newest_samples() -> None:
    history = TelemetryHistory(per_device=3)
    for i in range(5):
        assert history.add(_t("k1", float(i)), 1000.0 + i)
    assert [s.telemetry.ts for s in history.samples("k1")] == [2.0, 3.0, 4.0]
    latest = history.latest("k1")
    assert latest is not None
    assert latest.received_at == 1004.0
    assert history.samples("nobody") == []
    assert history.latest("nobody") is None


def test_the_same_sample_again_is_not_kept_twice() -> None:
    history = TelemetryHistory()
    assert history.add(_t("k1", 1.0), 10.0)
    assert not history.add(_t("k1", 1.0), 20.0)  # the broker's retained copy after a reconnect
    assert len(history.samples("k1")) == 1


def test_the_device_heard_from_longest_ago_makes_room() -> None:
    history = TelemetryHistory(max_devices=2)
    history.add(_t("a", 1.0), 1.0)
    history.add(_t("b", 1.0), 2.0)
    history.add(_t("a", 2.0), 3.0)
    history.add(_t("c", 1.0), 4.0)
    assert history.samples("b") == []
    assert len(history.samples("a")) == 2
    history.forget("a")
    assert history.latest("a") is None
