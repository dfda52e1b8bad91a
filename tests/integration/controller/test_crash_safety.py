"""kill -9 the controller at 20 random moments during a traffic run: no ticket lost, none duplicated."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import uuid
from pathlib import Path

import msgspec
import pytest

from hall_controller.engine.apply import fold
from hall_controller.engine.events import Event
from hall_controller.engine.state import EngineState
from hall_controller.store import Store
from hall_protocol.devices import Role
from hall_protocol.tickets import (
    IssueTicket,
    TicketReply,
    TicketStatus,
    TicketView,
    WindowCommand,
    WindowOp,
)
from hall_protocol.topics import RpcService
from onevisit.broker import PrivateBroker
from tests.integration.controller.harness import HALL_TOML, demo_config, device

pytestmark = pytest.mark.integration

KILLS = 20


def start_controller(broker: PrivateBroker, db: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as f:
        return subprocess.Popen(
            [sys.executable, "-m", "hall_controller", "--config", str(HALL_TOML),
             "--broker", f"127.0.0.1:{broker.port}", "--db", str(db), "--web-port", "0"],
            stdout=f, stderr=subprocess.STDOUT,
        )


async def test_kill_9_at_random_moments_loses_and_duplicates_nothing(
    private_mosquitto: PrivateBroker, tmp_path: Path
) -> None:
    mosquitto = private_mosquitto
    db, log = tmp_path / "hall.db", tmp_path / "controller.log"
    rng = random.Random(20261122)
    proc = start_controller(mosquitto, db, log)
    answered: dict[str, TicketView] = {}
    services = ["SB-CARD", "GJJ-DRAW", "QY-START", "HJ-BIRTH"]
    requests = [IssueTicket(request_id=uuid.uuid4().hex, service=rng.choice(services), source_device="kiosk-1")
                for _ in range(150)]
    kills_done = asyncio.Event()

    async def killer() -> None:
        nonlocal proc
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.3, 0.9))
            proc.kill()  # SIGKILL: no chance to flush anything
            await asyncio.to_thread(proc.wait)
            proc = start_controller(mosquitto, db, log)
        kills_done.set()

    async def kiosk_traffic() -> None:
        async with device(mosquitto, "kiosk-1") as kiosk:
            pending = list(requests)
            while pending or not kills_done.is_set():
                if not pending:
                    await asyncio.sleep(0.05)
                    continue
                req = pending[0]
                reply = await kiosk.request(RpcService.TICKET, req, 1.0)
                if isinstance(reply, TicketReply):
                    answered[req.request_id] = reply.ticket
                    pending.pop(0)
                # otherwise (hall unreachable or no answer) the same request is sent again, like the outbox does

    async def window_traffic() -> None:
        async with device(mosquitto, "win-W1", Role.WINDOW_TERMINAL) as win:
            ops = [WindowOp.LOGIN, WindowOp.OPEN] + [WindowOp.CALL_NEXT, WindowOp.START, WindowOp.FINISH] * 15
            for op in ops:
                command = WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=op, staff_id="s1")
                while not kills_done.is_set():
                    reply = await win.request(RpcService.WINDOW, command, 1.0)
                    if getattr(reply, "code", None) not in ("unavailable", "timeout"):
                        break  # answered (an error such as "nobody waiting" is an answer too)

    await asyncio.gather(killer(), kiosk_traffic(), window_traffic())
    try:
        assert len(answered) == len(requests)
        numbers = [t.number for t in answered.values()]
        assert len(set(numbers)) == len(numbers), "a number was handed out twice"
        assert len({t.ticket_id for t in answered.values()}) == len(answered)
        async with device(mosquitto, "kiosk-1") as kiosk:
            for req in requests[:: 10]:
                again = await kiosk.request(RpcService.TICKET, req, 5.0)
                assert isinstance(again, TicketReply)
                assert again.ticket.number == answered[req.request_id].number
            for ticket in answered.values():
                status = await kiosk.request(RpcService.TICKET, TicketStatus(ticket_id=ticket.ticket_id), 5.0)
                assert isinstance(status, TicketReply), f"ticket {ticket.number} was lost"
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait)

    store = await Store.open(db)
    try:
        stored = await store.events_after(0)
    finally:
        await store.close()
    rebuilt = fold(EngineState.initial(demo_config(), stored[0].ts),
                   (msgspec.json.decode(e.body, type=Event) for e in stored))
    assert {t.ticket_id for t in answered.values()} <= set(rebuilt.tickets.keys())
    assert len(rebuilt.tickets) == len(answered)
