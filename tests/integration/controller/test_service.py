from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import msgspec
import pytest

from hall_controller.engine.apply import fold
from hall_controller.engine.events import Event
from hall_controller.engine.state import EngineState
from hall_protocol import topics
from hall_protocol.codec import decode
from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import (
    ErrorReply,
    IssueTicket,
    RpcReply,
    TicketReply,
    TicketStatus,
    WindowCommand,
    WindowOp,
    WindowReply,
)
from hall_protocol.topics import RpcService
from hall_runtime.mqtt_client import make_client, publish_properties
from onevisit.broker import PrivateBroker
from tests.integration.controller.harness import controller, demo_config, device

pytestmark = pytest.mark.integration


def rid() -> str:
    return uuid.uuid4().hex


async def test_malformed_and_unknown_requests_get_an_error_naming_the_field(
    mosquitto: PrivateBroker, tmp_path: Path
) -> None:
    async with controller(mosquitto, tmp_path / "hall.db") as service:
        client = make_client(mosquitto.host, mosquitto.port, identifier="raw-test", clean_start=True)
        async with client:
            reply_topic = topics.device_reply("demo", "kiosk-1")  # a device's answers go to its own topic
            await client.subscribe(reply_topic, qos=1)
            bad = [
                b"not json at all",
                b'{"type":"ticket.issue","request_id":"r1","service":123,"source_device":"k"}',
                b'{"type":"ticket.teleport","request_id":"r2"}',
            ]
            for i, payload in enumerate(bad):
                props = publish_properties(response_topic=reply_topic, correlation=bytes([i]))
                await client.publish(topics.rpc("demo", "kiosk-1", RpcService.TICKET), payload, qos=1, properties=props)
            replies: list[ErrorReply] = []
            async with asyncio.timeout(5):
                async for message in client.messages:
                    reply = decode(message.payload if isinstance(message.payload, bytes) else b"", RpcReply)
                    assert isinstance(reply, ErrorReply)
                    replies.append(reply)
                    if len(replies) == len(bad):
                        break
        assert [r.code for r in replies] == [ErrorCode.MALFORMED, ErrorCode.MALFORMED, ErrorCode.UNKNOWN_TYPE]
        assert replies[1].field == "service"
        # and the service is still serving
        async with device(mosquitto, "kiosk-1") as kiosk:
            ok = await kiosk.request(RpcService.TICKET, IssueTicket(request_id=rid(), service="SB-CARD",
                                                                   source_device="kiosk-1"), 5)
            assert isinstance(ok, TicketReply)
        assert service.handled == len(bad) + 1


async def test_replayed_request_returns_the_first_answer_even_after_a_restart(
    mosquitto: PrivateBroker, tmp_path: Path
) -> None:
    db = tmp_path / "hall.db"
    request = IssueTicket(request_id=rid(), service="GJJ-DRAW", source_device="kiosk-1")
    async with controller(mosquitto, db), device(mosquitto, "kiosk-1") as kiosk:
        first = await kiosk.request(RpcService.TICKET, request, 5)
        other = await kiosk.request(RpcService.TICKET, IssueTicket(request_id=rid(), service="GJJ-DRAW",
                                                                   source_device="kiosk-1"), 5)
    assert isinstance(first, TicketReply)
    assert isinstance(other, TicketReply)
    async with controller(mosquitto, db), device(mosquitto, "kiosk-1") as kiosk:
        again = await kiosk.request(RpcService.TICKET, request, 5)
        status = await kiosk.request(RpcService.TICKET, TicketStatus(ticket_id=other.ticket.ticket_id), 5)
    assert again == first
    assert isinstance(status, TicketReply)
    assert status.ticket.number == other.ticket.number
    assert first.ticket.number != other.ticket.number


async def test_illegal_transition_is_a_typed_error_and_changes_nothing(
    mosquitto: PrivateBroker, tmp_path: Path
) -> None:
    async with controller(mosquitto, tmp_path / "hall.db") as service, \
            device(mosquitto, "win-W1", Role.WINDOW_TERMINAL) as win:
        before = service.core.state
        reply = await win.request(RpcService.WINDOW, WindowCommand(request_id=rid(), window_id="W1",
                                                                   op=WindowOp.FINISH), 5)
        assert isinstance(reply, ErrorReply)
        assert reply.code is ErrorCode.ILLEGAL_TRANSITION
        assert "no current ticket" in reply.message
        assert service.core.state is before


async def test_live_state_equals_the_rebuild_from_the_log(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    t0 = time.time()
    async with controller(mosquitto, db, now=t0) as service, device(mosquitto, "kiosk-1") as kiosk, \
            device(mosquitto, "win-W3", Role.WINDOW_TERMINAL) as win:
        for service_code in ["QY-START", "HJ-BIRTH", "QY-START", "PRINT", "SB-CARD"]:
            r = await kiosk.request(RpcService.TICKET, IssueTicket(request_id=rid(), service=service_code,
                                                                  source_device="kiosk-1"), 5)
            assert isinstance(r, TicketReply)
        ops = (WindowOp.LOGIN, WindowOp.OPEN, WindowOp.CALL_NEXT, WindowOp.START, WindowOp.FINISH, WindowOp.CALL_NEXT,
               WindowOp.RECALL, WindowOp.RECALL, WindowOp.NO_SHOW, WindowOp.CALL_NEXT, WindowOp.PARK)
        for op in ops:
            command = WindowCommand(request_id=rid(), window_id="W3", op=op, staff_id="s3")
            r = await win.request(RpcService.WINDOW, command, 5)
            assert isinstance(r, WindowReply), (op, r)
        live = service.core.state
        stored = await service.store.events_after(0)
        secret = await service.store.hall_secret()
    rebuilt = fold(EngineState.initial(demo_config(), t0, secret=secret),
                   (msgspec.json.decode(e.body, type=Event) for e in stored))
    assert rebuilt == live
