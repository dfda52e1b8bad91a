"""Ticket ids and status tokens: opaque, distinct, keyed by the hall secret, the same after a rebuild."""

from __future__ import annotations

import hashlib
import re

import pytest

from hall_controller.engine import EngineState, handle
from hall_controller.engine import events as ev
from hall_controller.engine.ids import TicketKeys
from hall_protocol.tickets import Provisional
from tests.unit.engine.helpers import DAY, SECRET, T0, Hall, at, cmd, hall_config

ID = re.compile(r"[a-z2-7]{16}")
TOKEN = re.compile(r"[a-z2-7]{24}")


def _issued(h: Hall) -> list[ev.TicketIssued]:
    return [e for e in h.log if isinstance(e, ev.TicketIssued)]


def test_no_two_tickets_share_an_id_or_a_token() -> None:
    h = Hall(now=at(DAY, "08:00"))
    block = h.send(cmd.LeaseBlock, device_id="k1", service="S1", size=5)[-1]
    assert isinstance(block, ev.BlockLeased)
    for i in range(300):
        h.issue("S1" if i % 10 == 0 else "S2")
    for seq in range(block.first, block.last + 1):
        h.issue("S1", provisional=Provisional(lease_id=block.lease_id, number=f"A{seq:03d}", arrived_at=h.now))
    h.issue("S1", now=at("2025-03-11", "08:00"))  # a new day starts its numbers again
    issued = _issued(h)
    ids = [e.ticket_id for e in issued]
    tokens = [e.token for e in issued]
    assert len(set(ids)) == len(ids) == 306
    assert len(set(tokens)) == len(tokens)
    assert not set(ids) & set(tokens)
    assert all(ID.fullmatch(e.ticket_id) for e in issued if e.lease_id is None)
    assert all(TOKEN.fullmatch(t) for t in tokens)


def test_a_merged_offline_ticket_keeps_the_id_its_kiosk_printed() -> None:
    """The kiosk named it offline, without the secret (edge_agent.offline.provisional_reply)."""
    h = Hall()
    block = h.send(cmd.LeaseBlock, device_id="k1", service="S1", size=5)[-1]
    assert isinstance(block, ev.BlockLeased)
    tid = h.issue("S1", provisional=Provisional(lease_id=block.lease_id, number="A002", arrived_at=h.now))
    assert tid == f"{DAY}-A002"
    assert TOKEN.fullmatch(h.state.tickets[tid].token)


def test_id_and_token_tell_nothing_about_each_other_or_the_number() -> None:
    h = Hall()
    tid = h.issue("S1")
    t = h.state.tickets[tid]
    assert t.number not in t.ticket_id
    assert not t.token.startswith(t.ticket_id)
    # The old scheme derived the token from public inputs only.
    public = hashlib.blake2s(f"test\x00{h.log[-1].request_id}".encode(), digest_size=12).hexdigest()
    assert t.token != public


def test_the_token_needs_the_secret() -> None:
    command = cmd.IssueTicket(request_id="same-request", service="S1")
    config = hall_config()
    ours = handle(EngineState.initial(config, T0, secret=SECRET), command, T0)[1][-1]
    theirs = handle(EngineState.initial(config, T0, secret=b"another-hall-secret-32-bytes-ok!"), command, T0)[1][-1]
    assert isinstance(ours, ev.TicketIssued)
    assert isinstance(theirs, ev.TicketIssued)
    assert ours.number == theirs.number
    assert ours.ticket_id != theirs.ticket_id
    assert ours.token != theirs.token
    assert TicketKeys(SECRET).derive(DAY, "A001", "same-request") == (ours.ticket_id, ours.token)


def test_rebuild_gives_identical_ids_and_continues_alike() -> None:
    h = Hall()
    for service in ("S1", "S2", "S1"):
        h.issue(service)
    rebuilt = h.rebuilt()
    assert sorted(rebuilt.tickets.keys()) == sorted(h.state.tickets.keys())
    assert {i: t.token for i, t in rebuilt.tickets.items()} == {i: t.token for i, t in h.state.tickets.items()}
    command = cmd.IssueTicket(request_id="next", service="S1")
    assert handle(rebuilt, command, h.now)[1] == handle(h.state, command, h.now)[1]


def test_the_secret_is_never_shown_and_must_be_long_enough() -> None:
    keys = TicketKeys(SECRET)
    assert SECRET.decode() not in repr(keys)
    assert SECRET.decode() not in repr(Hall().state)
    assert keys == TicketKeys(SECRET)
    assert keys != TicketKeys.generate()
    with pytest.raises(ValueError):
        TicketKeys(b"short")
    with pytest.raises(ValueError):
        TicketKeys(b"x" * 33)
