"""What the kiosk's view-models need from the hall, and the adapter onto the edge agent's local socket."""

from __future__ import annotations

import logging
from typing import Protocol

from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import (
    Ack,
    CheckIn,
    ErrorReply,
    IssueTicket,
    RpcReply,
    RpcRequest,
    SubmitRating,
    TicketReply,
)

log = logging.getLogger(__name__)


class HallClient(Protocol):
    """Each call answers with the hall's reply or an ErrorReply; it never raises for hall-side failures.

    The agent answers for an unreachable hall: UNAVAILABLE / TIMEOUT, or a provisional TicketReply.
    """

    async def issue_ticket(self, request: IssueTicket) -> TicketReply | ErrorReply: ...

    async def check_in(self, request: CheckIn) -> TicketReply | ErrorReply: ...

    async def submit_rating(self, request: SubmitRating) -> Ack | ErrorReply: ...


class RpcRequester(Protocol):
    """The shape of ``kiosk.agent_link.AgentLink.request``."""

    async def request(self, body: RpcRequest, timeout: float = 5.0) -> RpcReply: ...


def _unexpected(request_id: str, reply: RpcReply) -> ErrorReply:
    log.warning("hall answered request %s with an unexpected %s", request_id, type(reply).__name__)
    return ErrorReply(request_id=request_id, code=ErrorCode.INTERNAL,
                      message=f"unexpected reply type {type(reply).__name__}")


class AgentHallClient:
    """HallClient over the edge agent (``AgentLink``): narrows the agent's replies to what each call expects."""

    def __init__(self, link: RpcRequester, *, timeout_s: float = 5.0) -> None:
        self._link = link
        self._timeout_s = timeout_s

    async def issue_ticket(self, request: IssueTicket) -> TicketReply | ErrorReply:
        reply = await self._link.request(request, self._timeout_s)
        return reply if isinstance(reply, TicketReply | ErrorReply) else _unexpected(request.request_id, reply)

    async def check_in(self, request: CheckIn) -> TicketReply | ErrorReply:
        reply = await self._link.request(request, self._timeout_s)
        return reply if isinstance(reply, TicketReply | ErrorReply) else _unexpected(request.request_id, reply)

    async def submit_rating(self, request: SubmitRating) -> Ack | ErrorReply:
        reply = await self._link.request(request, self._timeout_s)
        return reply if isinstance(reply, Ack | ErrorReply) else _unexpected(request.request_id, reply)
