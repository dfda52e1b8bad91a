"""A notifier for tests: the engine's test hall, the simulator gateway, a store in a temporary folder."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from hall_controller.committed import Committed, NewContact
from hall_controller.engine import events as ev
from hall_controller.notify.config import Limits, NotifyConfig
from hall_controller.notify.gateway import Gateway
from hall_controller.notify.keys import sealing_key
from hall_controller.notify.service import NotificationService
from hall_controller.notify.simulator import Simulator
from hall_controller.notify.store import NotifyStore
from tests.unit.engine.helpers import SECRET, Hall, cmd

PHONE = "13812345678"


class Rig:
    def __init__(self, hall: Hall, service: NotificationService, sim: Simulator) -> None:
        self.hall = hall
        self.service = service
        self.sim = sim

    async def feed(self, events: list[ev.Event], contacts: tuple[NewContact, ...] = ()) -> None:
        await self.service.take(Committed(self.hall.now, tuple(events), contacts))

    async def issue(self, service: str = "S1", phone: str | None = PHONE, **fields: Any) -> str:
        events = self.hall.send(cmd.IssueTicket, service=service, **fields)
        ticket_id: str = events[-1].ticket_id  # type: ignore[union-attr]
        await self.feed(events, (NewContact(ticket_id, phone=phone),) if phone else ())
        return ticket_id

    async def do(self, kind: type[Any], **fields: Any) -> list[ev.Event]:
        events = self.hall.send(kind, **fields)
        await self.feed(events)
        return events


@contextlib.asynccontextmanager
async def notifier(tmp_path: Path, *, gateways: list[Gateway] | None = None, hall: Hall | None = None,
                   run: bool = True, **limits: Any) -> AsyncIterator[Rig]:
    hall = hall or Hall()
    sim = Simulator()
    limits = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, **limits}
    config = NotifyConfig(limits=Limits(**limits))
    store = await NotifyStore.open(tmp_path / "notify.db", tmp_path / "contacts.key")
    service = NotificationService(config, gateways if gateways is not None else [sim], store,
                                  state=lambda: hall.state, seal_key=sealing_key(SECRET),
                                  status_base_url="https://hall.test", clock=lambda: hall.now)
    task = asyncio.create_task(service.run()) if run else None
    try:
        if task is not None:
            await asyncio.wait_for(service.started.wait(), 5)
        yield Rig(hall, service, sim)
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            await store.close()
