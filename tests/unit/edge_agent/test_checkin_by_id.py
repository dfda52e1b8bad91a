"""Check-in by ID card at the agent: only ``idk:`` and the keyed hash go to the hall, never the number."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.checkin import IdCheckIn, load_checkin_key
from hall_protocol.appointments import ID_LOOKUP_PREFIX, id_lookup
from hall_protocol.errors import ErrorCode
from hall_protocol.local import CheckInById, decode_to_agent, frame
from hall_protocol.tickets import Ack, CheckIn, ErrorReply, RpcReply, RpcRequest

KEY = bytes(range(32))
ZHANG = "11010519491231002X"


class Hall:
    def __init__(self) -> None:
        self.sent: list[RpcRequest] = []

    async def __call__(self, body: RpcRequest, timeout: float) -> RpcReply:
        self.sent.append(body)
        return Ack(request_id=getattr(body, "request_id", ""))


async def test_the_hall_gets_the_keyed_hash_only() -> None:
    hall = Hall()
    reply = await IdCheckIn(KEY, hall)(CheckInById(req=1, request_id="r1", id_number="11010519491231002x"))
    assert isinstance(reply, Ack)
    (sent,) = hall.sent
    assert isinstance(sent, CheckIn)
    assert sent.request_id == "r1"
    assert sent.appointment_code == ID_LOOKUP_PREFIX + id_lookup(KEY, ZHANG)
    assert ZHANG not in repr(sent)
    assert ZHANG.lower() not in repr(sent)


async def test_without_a_key_or_with_a_bad_number_nothing_is_sent() -> None:
    hall = Hall()
    refused = await IdCheckIn(None, hall)(CheckInById(req=1, request_id="r1", id_number=ZHANG))
    assert isinstance(refused, ErrorReply)
    assert refused.code is ErrorCode.FORBIDDEN
    bad = await IdCheckIn(KEY, hall)(CheckInById(req=1, request_id="r2", id_number="12345"))
    assert isinstance(bad, ErrorReply)
    assert bad.code is ErrorCode.MALFORMED
    assert hall.sent == []


def test_the_key_file_and_the_local_message(tmp_path: Path) -> None:
    assert load_checkin_key("") is None
    assert load_checkin_key(str(tmp_path / "missing.key")) is None
    f = tmp_path / "checkin.key"
    f.write_text(KEY.hex() + "\n")
    assert load_checkin_key(str(f)) == KEY
    f.write_text("abcd\n")
    with pytest.raises(ValueError, match="64 hex digits"):
        load_checkin_key(str(f))
    msg = CheckInById(req=3, request_id="r", id_number=ZHANG)
    assert decode_to_agent(frame(msg).strip()) == msg
