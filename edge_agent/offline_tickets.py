"""Provisional tickets while the hall is away: numbers from leased blocks, and keeping those blocks topped up.

The numbers come from :class:`edge_agent.leases.LeaseStore` (each handed out once, durably). A provisional
IssueTicket is the citizen's request converted to carry its number and real arrival time
(``provisional``); the :class:`edge_agent.drain.Forwarder` stores it in the outbox, and the controller
merges it on reconnect, keeping the printed number. A UI that retries a request gets the same number.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from zoneinfo import ZoneInfo

import msgspec

from edge_agent.leases import LeaseBlock, LeaseError, LeaseStore, ProvisionalNumber
from edge_agent.replies import unavailable
from edge_agent.session import AgentSession
from hall_protocol import topics
from hall_protocol.tickets import (
    ErrorReply,
    IssueTicket,
    LeaseGranted,
    LeaseRequest,
    Priority,
    TicketReply,
    TicketState,
    TicketView,
)

log = logging.getLogger(__name__)

_RECENT_PROVISIONAL = 1024  # request ids remembered so that a UI retry gets the same provisional number


def hall_day(now: float, zone: ZoneInfo) -> str:
    """The hall's local date (YYYY-MM-DD) at ``now``: the day a leased block is valid on."""
    return dt.datetime.fromtimestamp(now, zone).date().isoformat()


class OfflineTickets:
    """Provisional numbers from leased blocks, and keeping those blocks topped up while connected."""

    def __init__(self, store: LeaseStore, *, zone: ZoneInfo, device_id: str) -> None:
        self.store = store
        self.zone = zone
        self.device_id = device_id
        self._recent: OrderedDict[str, TicketReply] = OrderedDict()

    def today(self, now: float) -> str:
        return hall_day(now, self.zone)

    async def take(self, service: str, now: float) -> ProvisionalNumber | None:
        return await self.store.take(service, self.today(now), now=now)

    def answered(self, request_id: str) -> TicketReply | None:
        """The provisional ticket this request already got in this process, if any."""
        return self._recent.get(request_id)

    async def issue(self, request: IssueTicket, now: float) -> tuple[IssueTicket, ProvisionalNumber] | ErrorReply:
        """Take a number for ``request``; returns the request converted to carry it (what the outbox keeps)
        and the number, or a refusal. Appointments are never issued offline: their check-in needs the hall."""
        rid = request.request_id
        if request.priority is Priority.APPOINTMENT:
            return unavailable(rid, "hall unreachable and no offline ticketing for this request")
        try:
            number = await self.take(request.service, now)
        except LeaseError as err:
            log.error("provisional number for %s failed: %s", request.service, err)
            return unavailable(rid, str(err))
        if number is None:
            return unavailable(rid, f"no provisional number left for {request.service}")
        converted = msgspec.structs.replace(
            request, provisional=number.to_protocol(), source_device=request.source_device or self.device_id
        )
        return converted, number

    def answer(self, request: IssueTicket, number: ProvisionalNumber, stored: IssueTicket) -> TicketReply:
        """The reply for ``request`` now that ``stored`` (the converted request, as the outbox holds it) is
        durable; remembered, so that a UI retry gets the same ticket."""
        reply = provisional_reply(request, number)
        if stored.provisional is not None and stored.provisional.number != number.number:
            # a retry after a restart: the first number is the one in the outbox, this one is a gap
            log.info("request %s already holds provisional %s", request.request_id, stored.provisional.number)
            first = ProvisionalNumber(
                stored.provisional.lease_id, request.service, number.day, number.prefix,
                int(stored.provisional.number[len(number.prefix):]), stored.provisional.arrived_at,
            )
            reply = provisional_reply(request, first)
        self._recent[request.request_id] = reply
        while len(self._recent) > _RECENT_PROVISIONAL:
            self._recent.popitem(last=False)
        return reply

    async def top_up(
        self, session: AgentSession, services: tuple[str, ...], size: int, *, now: float, timeout: float
    ) -> int:
        """Lease a new block for every service below half of ``size``; returns how many blocks were stored.
        Blocks of past days are discarded first (they can never be used)."""
        if size <= 0 or not services:
            return 0
        today = self.today(now)
        discarded = await self.store.discard_before(today)
        if discarded:
            log.info("discarded %d lease block(s) of past days", discarded)
        added = 0
        for service in services:
            if not await self.store.needs_refill(service, today, max(1, size // 2)):
                continue
            request = LeaseRequest(
                request_id=f"lease-{self.device_id}-{time.time_ns()}", device_id=self.device_id, service=service,
                size=size,
            )
            reply = await session.request(topics.RpcService.LEASE, request, timeout)
            if not isinstance(reply, LeaseGranted):
                log.warning("lease for %s refused or unanswered: %s", service, reply)
                continue
            try:
                added += await self.store.add(LeaseBlock.from_granted(reply))
            except LeaseError as err:
                log.error("lease for %s not stored: %s", service, err)
        return added

    async def remaining(self, services: tuple[str, ...], now: float) -> dict[str, int]:
        today = self.today(now)
        return {s: await self.store.remaining(s, today) for s in services}


def provisional_reply(request: IssueTicket, number: ProvisionalNumber) -> TicketReply:
    """What the UI prints: the number from the block, flagged provisional, with no wait estimate."""
    view = TicketView(
        # the controller names a merged ticket f"{day}-{number}" too, so a rating of it finds it later
        ticket_id=f"{number.day}-{number.number}",
        number=number.number,
        service=request.service,
        # the agent has no service catalog; the UI shows its own names (these are a readable fallback)
        service_name_zh=request.service,
        service_name_en=request.service,
        state=TicketState.WAITING,
        zone="",
        issued_at=number.issued_at,
        provisional=True,
        steps=request.steps,
    )
    return TicketReply(
        request_id=request.request_id, ticket=view,
    )
