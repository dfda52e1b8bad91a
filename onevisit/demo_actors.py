"""Scripted people for the headless demo: citizens at the kiosk, staff at windows, a hall screen watching.

They speak to real edge agents over the local socket, exactly as the device UIs do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from dataclasses import dataclass, field

from hall_protocol.errors import ErrorCode
from hall_protocol.hall import CallEvent
from hall_protocol.hall_config import HallConfig
from hall_protocol.identity import mask_name
from hall_protocol.local import Subscribe
from hall_protocol.tickets import (
    ErrorReply,
    IssueTicket,
    Priority,
    TicketReply,
    WindowCommand,
    WindowOp,
    WindowReply,
)
from kiosk.agent_client import AgentClient

log = logging.getLogger(__name__)

# Business outcomes a citizen can meet (the day's cap, outside hours): told plainly, not an error.
REFUSALS = {ErrorCode.CAP_REACHED, ErrorCode.CLOSED}


@dataclass
class Tally:
    issued: int = 0
    refused: int = 0
    called: int = 0
    started: int = 0
    finished: int = 0
    screen_calls: int = 0
    errors: int = 0
    error_reasons: list[str] = field(default_factory=list)
    called_ids: set[str] = field(default_factory=set)
    screen_ids: set[str] = field(default_factory=set)
    phone_ids: set[str] = field(default_factory=set)  # tickets whose holder asked for messages

    def error(self, why: str) -> None:
        self.errors += 1
        if len(self.error_reasons) < 20:
            self.error_reasons.append(why)


def _rid() -> str:
    return uuid.uuid4().hex


# Identified citizens (as their ID cards would say) and the mobile numbers some give with consent. The demo's
# privacy check looks for exactly these in every topic, log and database: none may appear unmasked.
DEMO_NAMES = ("张伟", "王秀英", "欧阳娜娜", "司马相如", "李娜", "刘洋")
DEMO_PHONES = tuple(f"1390013{n:04d}" for n in range(1, 7))


async def citizens(
    socket_path: str, config: HallConfig, tally: Tally, *, rate_per_min: float, rng: random.Random,
    device_id: str, stop: asyncio.Event,
) -> None:
    """Poisson arrivals at the kiosk, each taking a ticket for a service a window can serve."""
    services = [s.code for s in config.services if not s.kiosk_capable]
    priorities = [Priority.NORMAL] * 9 + [Priority.GREEN]  # VIP is a staff decision, never a kiosk's
    async with AgentClient(socket_path) as link:
        await link.wait_online(30)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), rng.expovariate(rate_per_min / 60.0))
                return
            except TimeoutError:
                pass
            # as the kiosk sends it: the masked name of an identified citizen, a number only with consent
            name = rng.choice((*DEMO_NAMES, ""))
            phone = rng.choice(DEMO_PHONES) if rng.random() < 0.5 else None
            request = IssueTicket(
                request_id=_rid(), service=rng.choice(services), source_device=device_id,
                priority=rng.choice(priorities), masked_name=mask_name(name), notify_phone=phone,
            )
            reply = await link.request(request)
            if isinstance(reply, TicketReply):
                tally.issued += 1
                if phone is not None:
                    tally.phone_ids.add(reply.ticket.ticket_id)
            elif isinstance(reply, ErrorReply) and reply.code in REFUSALS:
                tally.refused += 1
            else:
                tally.error(f"issue: {reply}")


async def staff(
    socket_path: str, window_id: str, tally: Tally, *, speed: float, config: HallConfig, rng: random.Random,
    stop: asyncio.Event,
) -> None:
    """One member of staff: log in, open, then call, start and finish for as long as the demo runs."""
    expected = {s.code: s.expected_service_min * 60 for s in config.services}
    async with AgentClient(socket_path) as link:
        await link.wait_online(30)

        async def op(o: WindowOp, *, ticket_id: str | None = None, staff_id: str | None = None) -> WindowReply | None:
            reply = await link.request(
                WindowCommand(request_id=_rid(), window_id=window_id, op=o, ticket_id=ticket_id, staff_id=staff_id)
            )
            if isinstance(reply, WindowReply):
                return reply
            if isinstance(reply, ErrorReply) and reply.code is ErrorCode.NOT_FOUND and o is WindowOp.CALL_NEXT:
                return None  # nobody waiting for this window
            tally.error(f"{window_id} {o.value}: {reply}")
            return None

        login = await op(WindowOp.LOGIN, staff_id=f"staff-{window_id}")
        if login is not None and login.window_state == "closed":
            await op(WindowOp.OPEN)
        elif login is None:
            return
        while not stop.is_set():
            called = await op(WindowOp.CALL_NEXT)
            if called is None or called.ticket is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.5)
                continue
            ticket = called.ticket
            tally.called += 1
            tally.called_ids.add(ticket.ticket_id)
            await asyncio.sleep(rng.uniform(0.05, 0.3))  # the citizen walks to the window
            if await op(WindowOp.START, ticket_id=ticket.ticket_id) is not None:
                tally.started += 1
            # serving takes its time, but the end of the demo cuts it short (the ticket is still finished)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), rng.expovariate(1.0 / expected.get(ticket.service, 300)) / speed)
            if await op(WindowOp.FINISH, ticket_id=ticket.ticket_id) is not None:
                tally.finished += 1


async def hall_screen(socket_path: str, tally: Tally, stop: asyncio.Event) -> None:
    """Counts the calls that reach the hall screen's agent."""

    async def count(link: AgentClient) -> None:
        async for event in link.events():
            if isinstance(event, CallEvent):
                tally.screen_calls += 1
                tally.screen_ids.add(event.call.ticket_id)

    async with AgentClient(socket_path, subscribe=Subscribe(calls=True, hall_state=True)) as link:
        await link.wait_online(30)
        reader = asyncio.create_task(count(link))
        await stop.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
