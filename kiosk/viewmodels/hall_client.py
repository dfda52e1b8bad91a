"""What the kiosk's view-models need from the hall; ``kiosk.agent_client.AgentClient`` is the real one.

The view-models depend on this Protocol only, so they are tested with a plain-Python fake and no socket.
"""

from __future__ import annotations

from typing import Protocol

from hall_protocol.tickets import Ack, CheckIn, ErrorReply, IssueTicket, SubmitRating, TicketReply


class HallClient(Protocol):
    """Each call answers with the hall's reply or an ErrorReply; it never raises for hall-side failures.

    The agent answers for an unreachable hall: UNAVAILABLE / TIMEOUT, or a provisional TicketReply, or an
    Ack that is ``queued`` (sent when the hall is reachable again).
    """

    async def issue_ticket(self, request: IssueTicket) -> TicketReply | ErrorReply: ...

    async def check_in(self, request: CheckIn) -> TicketReply | ErrorReply: ...

    async def check_in_by_id(self, request_id: str, id_number: str) -> TicketReply | ErrorReply:
        """The agent sends the hall only the keyed hash of ``id_number`` (``edge_agent.checkin``)."""
        ...

    async def submit_rating(self, request: SubmitRating) -> Ack | ErrorReply: ...
