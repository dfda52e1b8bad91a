"""Issue-time routing (zone, kiosk proposal) and the overflow-window advice for the manager."""

from __future__ import annotations

from typing import Any

from hall_controller.engine.advice import AdviceKind, advice, route_new
from tests.unit.engine.helpers import Hall, cmd, hall_config

MIN = 60.0


def _hall(**routing: Any) -> Hall:
    services = hall_config().services
    raw = [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "prefix": s.prefix,
            "zone": s.zone,
            "issue_from": "00:00",
            "issue_until": "23:59",
            "expected_service_min": s.expected_service_min,
            "queue_alert_threshold": 3,
            "kiosk_capable": s.code == "S1",
        }
        for s in services
    ]
    return Hall(hall_config(services=raw, routing={"call_order": "onevisit", **routing}))


def test_route_sends_to_the_primary_windows_zone() -> None:
    h = _hall()
    h.staff("W1")
    h.staff("W3")
    r = route_new(h.state, "S1", h.now)
    assert (r.zone, r.windows, r.kiosk) == ("A", ("W1",), False)
    assert r.reason.startswith("zone A, windows W1")


def test_kiosk_proposed_when_the_windows_wait_is_longer_than_the_service() -> None:
    h = _hall()
    h.staff("W1")
    for _ in range(4):
        h.issue("S1")
    r = route_new(h.state, "S1", h.now)
    assert r.kiosk
    assert "self-service kiosk" in r.reason
    assert "自助终端" in r.reason_zh
    assert not route_new(h.state, "S2", h.now).kiosk  # S2 cannot be done at a kiosk


def test_no_kiosk_when_the_hall_turns_it_off() -> None:
    h = _hall(kiosk_offer=False)
    h.staff("W1")
    for _ in range(4):
        h.issue("S1")
    assert not route_new(h.state, "S1", h.now).kiosk


def test_advice_opens_an_overflow_window_with_its_reason_then_closes_it() -> None:
    h = _hall(overflow_windows=["W3"])
    h.staff("W1")
    for _ in range(6):
        h.issue("S1")
    (a,) = advice(h.state, h.now)
    assert (a.kind, a.window_id, a.service) == (AdviceKind.OPEN_WINDOW, "W3", "S1")
    assert a.reason.startswith("open W3: 6 waiting for S1 (threshold 3)")
    h.staff("W3")
    assert advice(h.state, h.now) == []  # nothing left to open
    while h.state.waiting_count():
        h.serve("W3", minutes=1)
    h.now += 21 * MIN
    (c,) = advice(h.state, h.now)
    assert (c.kind, c.window_id) == (AdviceKind.CLOSE_WINDOW, "W3")
    h.send(cmd.CloseWindow, window_id="W3")
    assert advice(h.state, h.now) == []


def test_no_advice_without_overflow_windows() -> None:
    h = _hall()
    h.staff("W1")
    for _ in range(6):
        h.issue("S1")
    assert advice(h.state, h.now) == []
