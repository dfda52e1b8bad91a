"""A hall for enrolment tests: a private Mosquitto with mutual TLS and dynamic security, the hall CA, the
enrolment service, its HTTPS API, and the presence follower, all on loopback in a temp dir."""

from __future__ import annotations

import asyncio
import signal
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import httpx
import pytest

from hall_controller.enrollment import dynsec
from hall_controller.enrollment.broker_config import BrokerFiles, find_dynsec_plugin, private_extra_config
from hall_controller.enrollment.registry import DeviceRecord
from hall_controller.enrollment.service import (
    ADMIN_SECRET,
    EnrollmentService,
    EnrollmentSettings,
    controller_broker_password,
    init_state,
)
from hall_controller.http_api import serve_enrollment_api
from hall_runtime.mqtt_client import make_client
from onevisit.broker import BrokerError, PrivateBroker
from tests.fixtures.components import free_port, unavailable
from tests.integration.controller.harness import HALL_TOML
from tests.integration.controller.harness import controller as in_process_controller

CHECKIN_KEY = bytes(range(32))
HALL = "h1"
TOKEN = "test-manager-token-0123456789"
OBSERVER = "test-observer"
"""A test-only account that sees every topic: the controller's own account is pinned to one client id (the
in-process controller's here), so a second session with it would take the controller's over."""
OBSERVER_PASSWORD = "test-observer-password-0123456789"


@dataclass
class BrokerSetup:
    settings: EnrollmentSettings
    broker: PrivateBroker
    tls_port: int

    def reload(self) -> None:
        assert self.broker.proc is not None
        self.broker.proc.send_signal(signal.SIGHUP)


@pytest.fixture(scope="module")
def hall_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerSetup]:
    plugin = find_dynsec_plugin()
    if plugin is None:
        unavailable("mosquitto dynamic-security plugin", "mosquitto_dynamic_security.so not found")
    assert plugin is not None
    root = tmp_path_factory.mktemp("hall")
    tls_port = free_port()
    broker = PrivateBroker(workdir=root / "broker")
    (root / "broker").mkdir()
    settings = EnrollmentSettings(
        hall=HALL, db_path=root / "unused.db", state_dir=root / "state", broker_host="127.0.0.1",
        broker_tls_port=tls_port, admin_host="127.0.0.1", admin_port=0, checkin_key=CHECKIN_KEY,
    )
    dynsec_file = root / "broker" / "dynamic-security.json"
    init_state(settings, dynsec_file)
    files = BrokerFiles.in_dirs(settings.ca_dir, dynsec_file)
    broker.extra_config = private_extra_config(files, tls_port, plugin)
    try:
        broker.start()
    except BrokerError as err:
        unavailable("mosquitto", str(err))
    settings = EnrollmentSettings(**{**settings.__dict__, "admin_port": broker.port})
    admin_password = (settings.state_dir / ADMIN_SECRET).read_text().strip()
    admin = dynsec.BrokerAdmin("127.0.0.1", broker.port, password=admin_password)
    asyncio.run(admin.execute([
        {"command": "setClientId", "username": dynsec.CONTROLLER_USER, "clientid": f"test-controller-{HALL}"},
        {"command": "createClient", "username": OBSERVER, "password": OBSERVER_PASSWORD,
         "roles": [{"rolename": dynsec.CONTROLLER_ROLE}]},
    ]))
    yield BrokerSetup(settings, broker, tls_port)
    broker.close()


@dataclass
class Hall:
    service: EnrollmentService
    setup: BrokerSetup
    url: str
    api: httpx.AsyncClient
    """Verified against the hall CA, with the manager token."""

    @property
    def settings(self) -> EnrollmentSettings:
        return self.service.settings

    def controller_client(self, identifier: str = "test-observer") -> aiomqtt.Client:
        return make_client("127.0.0.1", self.setup.broker.port, identifier=identifier, username=OBSERVER,
                           password=OBSERVER_PASSWORD, clean_start=True, session_expiry_s=0)

    async def wait_device(self, device_id: str, check: Callable[[DeviceRecord], bool], what: str,
                          timeout: float = 5.0) -> DeviceRecord:
        deadline = time.monotonic() + timeout
        while True:
            rec = await asyncio.to_thread(self.service.registry.get, device_id)
            if check(rec):
                return rec
            if time.monotonic() > deadline:
                raise AssertionError(f"{device_id}: {what} not seen within {timeout}s; last {rec}")
            await asyncio.sleep(0.02)


@pytest.fixture
async def hall(hall_broker: BrokerSetup, tmp_path: Path) -> AsyncIterator[Hall]:
    settings = EnrollmentSettings(**{**hall_broker.settings.__dict__, "db_path": tmp_path / "hall.db"})
    port = free_port()
    settings = EnrollmentSettings(**{**settings.__dict__, "controller_url": f"https://127.0.0.1:{port}"})
    service = EnrollmentService.open(settings, reload_broker=hall_broker.reload)
    started = asyncio.Event()
    tasks = [
        asyncio.create_task(serve_enrollment_api(service, host="127.0.0.1", port=port, manager_token=TOKEN,
                                                 started=started)),
    ]
    await asyncio.wait_for(started.wait(), 10)
    hall_toml = tmp_path / "hall.toml"
    hall_toml.write_text(HALL_TOML.read_text().replace('id = "demo"', f'id = "{settings.hall}"', 1))
    trust = ssl.create_default_context(cafile=str(service.ca.ca_cert_path))
    # presence and self-tests reach the registry through the real controller's connection
    async with (
        in_process_controller(hall_broker.broker, tmp_path / "events.db", config_path=hall_toml,
                              username=dynsec.CONTROLLER_USER, password=controller_broker_password(settings),
                              on_device=service.on_device_message),
        httpx.AsyncClient(verify=trust, base_url=settings.controller_url, timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as api,
    ):
        yield Hall(service, hall_broker, settings.controller_url, api)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
