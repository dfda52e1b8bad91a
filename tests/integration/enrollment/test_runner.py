"""``run_enrollment`` as the controller will run it: inside a TaskGroup, cancelled on shutdown."""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path

import httpx
import pytest

from hall_controller.enrollment.dynsec import BrokerAdmin
from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.enrollment.registry import DeviceRegistry
from hall_controller.enrollment.runner import open_enrollment, run_enrollment
from hall_controller.enrollment.service import EnrollmentSettings
from hall_protocol.devices import Role
from tests.fixtures.components import free_port
from tests.integration.enrollment.conftest import TOKEN, BrokerSetup

pytestmark = pytest.mark.integration


async def test_serves_until_cancelled_and_reconciles_retired_devices(hall_broker: BrokerSetup, tmp_path: Path) -> None:
    port = free_port()
    settings = EnrollmentSettings(**{**hall_broker.settings.__dict__, "db_path": tmp_path / "hall.db"})
    # A device retired while the broker was unreachable: its broker client is still there.
    registry = DeviceRegistry(settings.db_path)
    gone = registry.create_slot(Role.KIOSK, "Z", "old", time.time()).device_id
    admin = BrokerAdmin("127.0.0.1", settings.admin_port,
                        password=(settings.state_dir / "broker-admin.secret").read_text().strip())
    await admin.add_device("h1", gone, Role.KIOSK, "Z", "pw")
    registry.retire(gone, time.time())
    assert (await admin.execute([{"command": "getClient", "username": gone}]))[0]["data"]["client"]["username"] == gone

    started = asyncio.Event()
    service = await open_enrollment(settings)
    task = asyncio.create_task(run_enrollment(service, api_host="127.0.0.1", api_port=port, manager_token=TOKEN,
                                              started=started))
    await asyncio.wait_for(started.wait(), 10)
    trust = ssl.create_default_context(cafile=str(settings.ca_dir / "ca.crt"))
    async with httpx.AsyncClient(verify=trust, base_url=f"https://127.0.0.1:{port}", timeout=5) as api:
        r = await api.post("/api/v1/devices", json={"role": "kiosk", "zone": "A", "name": "x"},
                           headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 201
        assert (await api.get("/api/v1/ca")).json()["hall"] == "h1"
    with pytest.raises(BrokerAdminError, match="not found"):
        await admin.execute([{"command": "getClient", "username": gone}])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(verify=trust, timeout=2) as api:
            await api.get(f"https://127.0.0.1:{port}/api/v1/ca")
