"""Helpers for controller tests: an in-process controller and a device-like RPC client on a real broker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from edge_agent.session import AgentSession, SessionOptions
from hall_controller.core import ControllerCore
from hall_controller.service import ControllerService, DeviceListener
from hall_controller.store import Store
from hall_protocol.devices import Role
from hall_protocol.hall_config import HallConfig, load_hall_config
from onevisit.broker import PrivateBroker

ROOT = Path(__file__).resolve().parents[3]
HALL_TOML = ROOT / "configs/demo/hall.toml"


def demo_config() -> HallConfig:
    return load_hall_config(HALL_TOML)


@contextlib.asynccontextmanager
async def controller(
    broker: PrivateBroker,
    db: Path,
    now: float | None = None,
    *,
    config_path: Path = HALL_TOML,
    tick_s: float = 0.2,
    username: str | None = None,
    password: str | None = None,
    on_device: DeviceListener | None = None,
    before_run: Callable[[ControllerService], Awaitable[None]] | None = None,
) -> AsyncIterator[ControllerService]:
    """The real controller service in this process (so a test can look at its state). ``before_run`` wires
    more onto the service before it connects (the notifier, whose key goes out in the first hall state)."""
    store = await Store.open(db)
    core = await ControllerCore.restore(load_hall_config(config_path), store, now=now or time.time())
    service = ControllerService(core, store, tick_s=tick_s, on_device=on_device)
    if before_run is not None:
        await before_run(service)
    task = asyncio.create_task(service.run(broker.host, broker.port, identifier="test-controller",
                                           username=username, password=password))
    try:
        async with asyncio.timeout(10):
            await service.ready.wait()
        yield service
    finally:
        task.cancel()
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            await store.close()  # always: an open store's thread would keep the test process from exiting


@contextlib.asynccontextmanager
async def device(broker: PrivateBroker, device_id: str, role: Role = Role.KIOSK) -> AsyncIterator[AgentSession]:
    session = AgentSession(SessionOptions(device_id=device_id, hall="demo", role=role, host=broker.host,
                                          port=broker.port))
    task = asyncio.create_task(session.run())
    try:
        async with asyncio.timeout(10):
            await session.connected.wait()
        yield session
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
