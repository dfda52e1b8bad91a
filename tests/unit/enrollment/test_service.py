from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from cryptography import x509

from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_controller.enrollment.service import EnrollmentService, EnrollmentSettings
from hall_protocol.devices import Role
from tests.unit.enrollment.conftest import FakeBroker


def _enrolled(service: EnrollmentService, serial: str) -> str:
    d = service.registry.create_slot(Role.KIOSK, "A", "k", service.clock()).device_id
    service.registry.record_enrolment(d, serial, service.clock() + 1e7, service.clock())
    return d


async def test_retire_writes_the_crl_and_asks_the_broker_to_reload(service: EnrollmentService,
                                                                  broker: FakeBroker) -> None:
    reloads: list[int] = []
    service.reload_broker = lambda: reloads.append(1)
    d = _enrolled(service, "abc123")
    rec = await service.retire(d)
    assert rec.status is DeviceStatus.RETIRED
    assert broker.removed == [d]
    assert reloads == [1]
    crl = x509.load_pem_x509_crl(service.ca.crl_path.read_bytes())
    assert 0xABC123 in {r.serial_number for r in crl}
    now = dt.datetime.fromtimestamp(service.clock(), dt.UTC)
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > now + dt.timedelta(days=300)


async def test_retire_stands_when_the_broker_is_down_and_reconcile_finishes_it(
    service: EnrollmentService, broker: FakeBroker
) -> None:
    d = _enrolled(service, "abc124")
    broker.down = True
    with pytest.raises(BrokerAdminError):
        await service.retire(d)
    assert service.registry.get(d).status is DeviceStatus.RETIRED
    broker.down = False
    assert await service.reconcile_broker() == 1
    assert broker.removed == [d]


def test_a_failing_reload_hook_is_logged_not_raised(service: EnrollmentService,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise PermissionError("not allowed")

    service.reload_broker = broken
    service.refresh_crl()
    assert "could not make the broker re-read the CRL" in caplog.text


def test_open_for_the_cli_takes_the_hall_from_the_ca(shared_state: Path, tmp_path: Path) -> None:
    settings = EnrollmentSettings(hall="", db_path=tmp_path / "hall.db", state_dir=shared_state)
    service = EnrollmentService.open(settings, create=False)
    assert service.settings.hall == "h1"
    issued = service.create_slot("evaluator", "C", "评价器", "W3")
    assert issued.device.device_id == "eval-C-01"
    assert issued.link == f"https://127.0.0.1:8443/enroll?code={issued.code}"


def test_create_slot_refuses_unknown_roles(service: EnrollmentService) -> None:
    from hall_controller.enrollment.errors import BadRequest

    with pytest.raises(BadRequest):
        service.create_slot("toaster", "A", "x")


def test_logs_never_carry_the_code(service: EnrollmentService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    issued = service.create_slot("kiosk", "A", "k")
    assert issued.code not in caplog.text
    assert issued.code.replace("-", "")[:12] not in caplog.text
