"""Fakes and builders for enrolment unit tests: a real CA in a temp dir, a broker that records calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hall_controller.enrollment.attempts import AttemptLimiter
from hall_controller.enrollment.ca import HallCA
from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.enrollment.registry import DeviceRegistry
from hall_controller.enrollment.service import EnrollmentService, EnrollmentSettings, init_state
from hall_protocol.devices import Role


@dataclass
class FakeBroker:
    """Records what enrolment asks of the broker; ``down`` makes every call fail like an unreachable broker."""

    clients: dict[str, tuple[Role, str, str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    suspended: set[str] = field(default_factory=set)
    down: bool = False

    async def add_device(self, hall: str, device_id: str, role: Role, zone: str, password: str,
                         *, text_name: str = "") -> None:
        if self.down:
            raise BrokerAdminError("broker down", "消息服务器不可达")
        self.clients[device_id] = (role, zone, password)

    async def remove_device(self, device_id: str) -> None:
        if self.down:
            raise BrokerAdminError("broker down", "消息服务器不可达")
        self.clients.pop(device_id, None)
        self.removed.append(device_id)

    async def suspend_device(self, device_id: str) -> None:
        if self.down:
            raise BrokerAdminError("broker down", "消息服务器不可达")
        self.suspended.add(device_id)

    async def resume_devices(self, device_ids: Sequence[str]) -> None:
        if self.down:
            raise BrokerAdminError("broker down", "消息服务器不可达")
        self.suspended.difference_update(device_ids)


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def shared_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CA for the whole session: EC key generation is quick, but not free."""
    state = tmp_path_factory.mktemp("enrollment-state")
    init_state(EnrollmentSettings(hall="h1", db_path=state / "unused.db", state_dir=state))
    return state


@pytest.fixture
def ca(shared_state: Path) -> HallCA:
    return HallCA.open(shared_state / "ca")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def service(shared_state: Path, tmp_path: Path, ca: HallCA, broker: FakeBroker, clock: Clock) -> EnrollmentService:
    settings = EnrollmentSettings(hall="h1", db_path=tmp_path / "hall.db", state_dir=shared_state,
                                  broker_host="hall.local", broker_tls_port=8883,
                                  controller_url="https://hall.local:8443")
    return EnrollmentService(settings, DeviceRegistry(settings.db_path), ca, broker, limiter=AttemptLimiter(),
                             clock=clock)
