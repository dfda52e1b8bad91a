"""A stand-in edge agent on a Unix socket: speaks hall_protocol.local like the real one, answers like the hall.

Used by the kiosk UI tests and the kiosk benchmark. Offline (``set_online(False)``) it issues provisional
tickets from a leased block, as the real agent does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TypeVar

from hall_protocol.codec import Message
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
from hall_protocol.hall_config import HallConfig
from hall_protocol.local import (
    Connectivity,
    Event,
    HealthReport,
    Hello,
    LineFramer,
    Reply,
    Request,
    Subscribe,
    decode_to_agent,
    frame,
)
from hall_protocol.tickets import (
    Ack,
    CheckIn,
    ErrorReply,
    IssueTicket,
    RpcReply,
    SubmitRating,
    TicketReply,
    TicketState,
    TicketView,
)
from hall_protocol.urls import ticket_status_url

M = TypeVar("M", bound=Message)


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    subscription: Subscribe = field(default_factory=Subscribe)


class FakeAgent:
    def __init__(self, path: str, hall: HallConfig, *, device_id: str = "kiosk-1", role: str = "kiosk") -> None:
        self.path = path
        self.hall = hall
        self.hello = Hello(device_id=device_id, role=role, hall=hall.hall.id)
        self.online = True
        self.refuse: ErrorCode | None = None
        self.appointments: dict[str, str] = {}  # appointment code → service code
        self.requests: list[Message] = []
        self.health: dict[str, object] = {}
        self.clients: list[_Client] = []
        self.subscribed = asyncio.Event()
        self.retained: list[HallState | DisplayState] = []  # replayed to each new subscriber, like the broker
        self._numbers: dict[str, int] = {}
        self._provisional = 9000
        self._replies: dict[str, RpcReply] = {}
        self._server: asyncio.Server | None = None

    def restart_numbering(self) -> None:
        """The next ticket of each service is its 001, as at the start of a day: a screenshot that shows a
        number must not depend on which tests took tickets before it on this test worker."""
        self._numbers.clear()

    async def start(self) -> FakeAgent:
        self._server = await asyncio.start_unix_server(self._serve, path=self.path)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for c in self.clients:
                c.writer.close()
            await self._server.wait_closed()

    async def drop_clients(self) -> None:
        """As if the agent restarted: every UI connection is closed (the server stays up)."""
        for c in list(self.clients):
            c.writer.close()
        self.clients.clear()

    def set_online(self, online: bool) -> None:
        self.online = online
        self._broadcast(Connectivity(online=online, since=time.time()))

    def push(self, body: CallEvent | TicketEvent | HallState | DisplayState) -> None:
        for c in self.clients:
            self._push_to(c, body)

    def _push_to(self, c: _Client, body: CallEvent | TicketEvent | HallState | DisplayState) -> None:
        s = c.subscription
        if ((isinstance(body, CallEvent) and s.calls) or (isinstance(body, TicketEvent) and s.tickets)
                or (isinstance(body, HallState) and s.hall_state)
                or (isinstance(body, DisplayState) and body.zone in s.zones)):
            self._send(c, Event(body=body))

    def of_type(self, kind: type[M]) -> list[M]:
        return [r for r in self.requests if isinstance(r, kind)]

    # -----------------------------------------------------------------------------------------------

    def _broadcast(self, msg: Message) -> None:
        for c in self.clients:
            self._send(c, msg)

    def _send(self, client: _Client, msg: Message) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            client.writer.write(frame(msg))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _Client(writer)
        self.clients.append(client)
        self._send(client, self.hello)
        self._send(client, Connectivity(online=self.online, since=time.time()))
        framer = LineFramer()
        try:
            while data := await reader.read(65536):
                for raw in framer.feed(data):
                    try:
                        msg = decode_to_agent(raw)
                    except ProtocolError:
                        continue
                    if isinstance(msg, Subscribe):
                        client.subscription = msg
                        self.subscribed.set()
                        for body in self.retained:
                            self._push_to(client, body)
                    elif isinstance(msg, HealthReport):
                        self.health.update(msg.peripherals)
                    elif isinstance(msg, Request):
                        self.requests.append(msg.body)
                        self._send(client, Reply(req=msg.req, body=self._answer(msg.body)))
        except ConnectionError:
            pass
        finally:
            if client in self.clients:
                self.clients.remove(client)
            writer.close()

    def _answer(self, body: Message) -> RpcReply:
        request_id = getattr(body, "request_id", "")
        if request_id in self._replies:  # idempotent on request_id, like the hall
            return self._replies[request_id]
        reply: RpcReply
        if isinstance(body, IssueTicket):
            if self.online and self.refuse is not None:
                reply = ErrorReply(request_id=request_id, code=self.refuse, message=f"refused: {self.refuse.value}")
            else:
                reply = self._ticket(request_id, body.service, body.steps)
        elif isinstance(body, CheckIn):
            service = self.appointments.get(body.appointment_code)
            if service is None:
                reply = ErrorReply(request_id=request_id, code=ErrorCode.NOT_FOUND, message="no such appointment")
            else:
                reply = self._ticket(request_id, service, ())
        elif isinstance(body, SubmitRating):
            reply = Ack(request_id=request_id)
        else:
            reply = ErrorReply(request_id=request_id, code=ErrorCode.FORBIDDEN, message="not for this device")
        self._replies[request_id] = reply
        return reply

    def _ticket(self, request_id: str, service: str, steps: tuple[str, ...]) -> TicketReply:
        svc = self.hall.service(service)
        zone = next(z for z in self.hall.zones if z.id == svc.zone)
        if self.online:
            n = self._numbers[svc.prefix] = self._numbers.get(svc.prefix, 0) + 1
            number = f"{svc.prefix}{n:03d}"
            ticket_id = f"T-{number}"
            url = ticket_status_url(self.hall.hall.status_base_url, self.hall.hall.id, ticket_id, "tok" + number)
        else:
            self._provisional += 1
            number = f"{svc.prefix}{self._provisional}"
            ticket_id = f"P-{number}"
            url = ""
        return TicketReply(request_id=request_id, ticket=TicketView(
            ticket_id=ticket_id, number=number, service=svc.code, service_name_zh=svc.name_zh,
            service_name_en=svc.name_en, state=TicketState.WAITING, zone=zone.id, zone_name_zh=zone.name_zh,
            zone_name_en=zone.name_en, position=0 if not self.online else 4, est_wait_s=900, est_wait_low_s=600,
            est_wait_high_s=1200, provisional=not self.online, status_url=url, steps=steps,
        ))
