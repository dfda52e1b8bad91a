"""The notifier beside the engine: what it sends, how it retries, and that nothing it does holds up a call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hall_controller.committed import Committed, NewContact
from hall_controller.notify.simulator import FailMode
from hall_controller.notify.store import Status
from hall_runtime.sealed_box import seal
from tests.unit.engine.helpers import Hall, cmd, hall_config
from tests.unit.notify.rig import PHONE, Rig, notifier


async def settle(rig: Rig, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Until ``predicate`` holds, checked at every change of a delivery's status."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await rig.service.store.next_change()


async def test_a_call_reaches_the_phone_with_the_window(tmp_path: Path) -> None:
    async with notifier(tmp_path, hall=Hall(hall_config(calling={"pre_alert_positions": 0}))) as rig:
        rig.hall.staff("W1")
        tid = await rig.issue()
        await rig.do(cmd.CallNext, window_id="W1")
        sent = await rig.sim.wait_for(1)
        assert (sent[0].ticket_id, sent[0].kind, sent[0].to) == (tid, "called", "138****5678")
        assert sent[0].text == "【测试大厅】请A001号到1号窗口办理。"
        await settle(rig, lambda: [d.status for d in rig.service.deliveries(tid)] == [Status.SENT])


async def test_a_sealed_number_is_opened_and_only_the_masked_one_is_stored(tmp_path: Path) -> None:
    async with notifier(tmp_path) as rig:
        events = rig.hall.send(cmd.IssueTicket, service="S1")
        tid = events[-1].ticket_id  # type: ignore[union-attr]
        box = seal(rig.service.contact_key, PHONE)
        await rig.feed(events, (NewContact(tid, sealed=box),))
        sent = await rig.sim.wait_for(1)  # the pre-alert: the queue is short
        assert sent[0].kind == "pre-alert"
        assert sent[0].text == "【测试大厅】A001号：下一位就是您，请到等候区准备。"
        await rig.service.store.flush()
    files = await asyncio.to_thread(lambda: {f.name: f.read_bytes() for f in tmp_path.iterdir()})
    assert "notify.db" in files
    for name, data in files.items():
        assert PHONE.encode() not in data, name  # encrypted in the database, nowhere in clear


async def test_a_box_sealed_for_another_hall_is_dropped(tmp_path: Path) -> None:
    async with notifier(tmp_path) as rig:
        events = rig.hall.send(cmd.IssueTicket, service="S1")
        tid = events[-1].ticket_id  # type: ignore[union-attr]
        from hall_controller.notify.keys import sealing_key
        from hall_runtime.sealed_box import public_key_text

        other = public_key_text(sealing_key(b"another-hall-secret-0123456789ab"))
        await rig.feed(events, (NewContact(tid, sealed=seal(other, PHONE)),))
        assert not rig.service.store.has_contact(tid)


@pytest.mark.parametrize("mode", [FailMode.TIMEOUT, FailMode.SERVER_ERROR, FailMode.RATE_LIMIT])
async def test_timeouts_5xx_and_rate_limits_are_retried(tmp_path: Path, mode: FailMode) -> None:
    async with notifier(tmp_path) as rig:
        rig.sim.retry_after_s = 0.05
        rig.sim.fail(mode, times=2)
        tid = await rig.issue()
        sent = await rig.sim.wait_for(1)
        assert sent[0].kind == "pre-alert"
        assert rig.sim.attempts == 3
        await settle(rig, lambda: rig.service.deliveries(tid)[0].status is Status.SENT)
        d = rig.service.deliveries(tid)[0]
        assert d.attempts == 3


async def test_a_refusal_or_too_many_failures_end_as_failed(tmp_path: Path) -> None:
    async with notifier(tmp_path, max_attempts=3) as rig:
        rig.sim.fail(FailMode.REFUSE)
        refused = await rig.issue()
        await settle(rig, lambda: rig.service.deliveries(refused)[0].status is Status.FAILED)
        assert rig.service.deliveries(refused)[0].attempts == 1
        rig.sim.fail(FailMode.SERVER_ERROR, times=3)
        hopeless = await rig.issue()
        await settle(rig, lambda: rig.service.deliveries(hopeless)[0].status is Status.FAILED)
        assert rig.service.deliveries(hopeless)[0].attempts == 3
        assert rig.service.deliveries(hopeless)[0].reason == "platform error (503)"


async def test_a_newer_message_supersedes_one_still_retrying(tmp_path: Path) -> None:
    async with notifier(tmp_path) as rig:
        rig.hall.staff("W1")
        rig.sim.retry_after_s = 0.3  # a rate limit: the retry waits at least this long (and so does the call)
        rig.sim.fail(FailMode.RATE_LIMIT)
        tid = await rig.issue()  # the pre-alert fails once and waits to be tried again
        await settle(rig, lambda: rig.service.deliveries(tid)[0].status is Status.RETRYING)
        await rig.do(cmd.CallNext, window_id="W1")
        await rig.sim.wait_for(1)
        await settle(rig, lambda: [d.status for d in rig.service.deliveries(tid)] == [Status.SUPERSEDED, Status.SENT])
        assert [s.kind for s in rig.sim.sent] == ["called"]  # the stale "you are next" never went out


async def test_a_message_not_delivered_in_time_is_not_sent_late(tmp_path: Path) -> None:
    async with notifier(tmp_path, expire_s=60) as rig:
        rig.sim.retry_after_s = 0.2
        rig.sim.fail(FailMode.RATE_LIMIT)
        tid = await rig.issue()
        await settle(rig, lambda: rig.service.deliveries(tid)[0].status is Status.RETRYING)
        rig.hall.now += 61
        await settle(rig, lambda: rig.service.deliveries(tid)[0].status is Status.EXPIRED)
        assert rig.sim.sent == []


async def test_the_gateway_quota_spaces_messages(tmp_path: Path) -> None:
    hall = Hall(hall_config(calling={"pre_alert_positions": 10}))
    async with notifier(tmp_path, hall=hall, per_second=20, burst=1, workers=4) as rig:
        started = time.monotonic()
        for _ in range(6):
            await rig.issue()
        await rig.sim.wait_for(6)
        assert time.monotonic() - started >= 5 / 20 * 0.9


async def test_a_stuck_gateway_never_blocks_the_commit_path(tmp_path: Path) -> None:
    async with notifier(tmp_path, queue_cap=100) as rig:
        rig.sim.delay_s = 10.0  # every send hangs
        rig.hall.staff("W1")
        started = time.perf_counter()
        for _ in range(300):
            events = rig.hall.send(cmd.IssueTicket, service="S2")
            rig.service.on_commit(Committed(rig.hall.now, tuple(events),
                                            (NewContact(events[-1].ticket_id, phone=PHONE),)))  # type: ignore[union-attr]
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0  # 300 commits, nothing waited for the gateway
        assert rig.service.dropped_batches > 0  # the queue is bounded: the surplus is dropped and counted


async def test_contacts_are_deleted_with_their_day_and_its_key(tmp_path: Path) -> None:
    async with notifier(tmp_path) as rig:
        tid = await rig.issue()
        assert rig.service.store.has_contact(tid)
        key_file = (tmp_path / "contacts.key").read_text()
        assert "2025-03-10" in key_file
        rig.hall.now += 86400
        await rig.do(cmd.IssueTicket, service="S1")  # the next day's first change
        assert not rig.service.store.has_contact(tid)
        assert "2025-03-10" not in (tmp_path / "contacts.key").read_text()
