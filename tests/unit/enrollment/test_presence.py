from __future__ import annotations

import logging

import pytest

from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_controller.enrollment.service import EnrollmentService, selftest_summary
from hall_protocol.codec import encode
from hall_protocol.devices import CommandResult, DeviceState, Role, SelfTestReport
from hall_protocol.health import HealthState, PeripheralHealth


@pytest.fixture
def enrolled(service: EnrollmentService) -> str:
    d = service.registry.create_slot(Role.KIOSK, "A", "k", service.clock()).device_id
    service.registry.record_enrolment(d, "ab", service.clock() + 1e6, service.clock())
    return d


def test_birth_selftest_and_last_will(service: EnrollmentService, enrolled: str) -> None:
    birth = encode(DeviceState(device_id=enrolled, role=Role.KIOSK, online=True))
    assert service.handle_device_message(enrolled, "state", birth).status is DeviceStatus.ONLINE  # type: ignore[union-attr]
    report = SelfTestReport(request_id="r", device_id=enrolled, ok=False, results={
        "printer": PeripheralHealth(state=HealthState.FAULT, reasons=("media-empty",)),
        "reader": PeripheralHealth.ok(),
    })
    rec = service.handle_device_message(enrolled, "events", encode(report))
    assert rec is not None
    assert rec.selftest_ok is False
    assert rec.selftest_summary == "printer: fault (media-empty)"
    assert not rec.ready
    will = encode(DeviceState(device_id=enrolled, role=Role.KIOSK, online=False))
    assert service.handle_device_message(enrolled, "state", will).status is DeviceStatus.OFFLINE  # type: ignore[union-attr]


def test_bad_and_foreign_messages_change_nothing(service: EnrollmentService, enrolled: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert service.handle_device_message(enrolled, "state", b"{oops") is None
    assert "bad state message" in caplog.text
    other = encode(DeviceState(device_id="someone-else", role=Role.KIOSK, online=True))
    assert service.handle_device_message(enrolled, "state", other) is None
    unknown = encode(DeviceState(device_id="ghost", role=Role.KIOSK, online=True))
    assert service.handle_device_message("ghost", "state", unknown) is None
    caplog.clear()
    result = encode(CommandResult(command_id="c", ok=True))  # another kind of event: not a self-test
    assert service.handle_device_message(enrolled, "events", result) is None
    assert "bad events message" not in caplog.text
    assert service.registry.get(enrolled).status is DeviceStatus.PROVISIONED


def test_summary_for_all_ok() -> None:
    report = SelfTestReport(request_id="r", device_id="d", ok=True, results={"a": PeripheralHealth.ok()})
    assert selftest_summary(report) == "1 checks ok"
