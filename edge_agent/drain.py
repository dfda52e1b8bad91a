"""Store-and-forward for the UI's requests, and the drain of the outbox.

:class:`Forwarder` is the path of every state-changing UI request (IssueTicket, CheckIn, SubmitRating,
CancelTicket, WindowCommand, self-service print records): the message is put in the durable outbox first,
then published; the outbox row goes only on PUBACK. While the hall answers, the UI gets the controller's
answer (within its timeout). While it does not:

- IssueTicket is answered at once with a provisional ticket from a leased block (see
  :mod:`edge_agent.offline_tickets`); the outbox keeps the request converted to carry ``provisional``
  (lease, number, arrival time), which the controller merges on reconnect, keeping the printed number and
  the real arrival;
- ratings, cancellations and print records are queued: the UI gets ``Ack(queued=True)``;
- window commands and check-ins are refused (UNAVAILABLE): a staff call or an appointment check-in that
  arrives minutes late would be wrong, so they are never queued blindly. Sent while online they carry an
  expiry equal to the UI's timeout, so a late one is dropped (outbox purge, MQTT message expiry), never
  delivered.

The drain task sends the backlog after a reconnect, in seq order per lane, with at most ``window`` messages
in flight; a request made while online is sent at once outside that window, so a drain of thousands of
messages never holds a citizen's ticket back. "In flight" ends at the controller's answer, not at the
broker's PUBACK (the row is removed at PUBACK; the slot is freed at the answer, or after ``answer_wait_s``):
otherwise the broker would accept the whole backlog in a second and a live request would queue behind
thousands of replayed ones at the controller. A seq is "claimed" before it is published; after its PUBACK it
is "delivered" until its outbox row is gone, and neither a claimed nor a delivered seq is read or sent again,
so no message is in flight twice from this process. A publish that fails while the session is still connected
is resent after a jittered backoff, not at once.

Removing rows after PUBACK never holds a slot: one acker task deletes, in one transaction, every seq
delivered while its previous transaction committed (group commit on the drain side), so the drain's rate does
not depend on the disk's commit time. Those deletions are not fsynced on their own
(:class:`edge_agent.outbox_store.Outbox` commits a group without puts at ``synchronous=NORMAL``): after a
power cut a delivered message may be sent once more, and the controller answers the replay from its
idempotency record, as it does for any redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt

from edge_agent.offline_tickets import OfflineTickets
from edge_agent.outbox_items import Lane, OutboxError, OutboxFull, OutboxItem
from edge_agent.outbox_store import Outbox
from edge_agent.replies import not_stored, queued, request_id_of, unavailable
from edge_agent.session import AgentSession
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.local import PrintDocument
from hall_protocol.tickets import (
    CancelTicket,
    ErrorReply,
    IssueTicket,
    LeaseRequest,
    RpcReply,
    RpcRequest,
    SubmitRating,
    TicketStatus,
    service_for,
)
from hall_runtime.backoff import Backoff

log = logging.getLogger(__name__)

_IDLE_RECHECK_S = 1.0  # an idle drain looks again this often (expiries, a missed wake-up)


@dataclass(frozen=True, slots=True)
class _Policy:
    lane: Lane
    queue_offline: bool  # accepted while the hall is away (answered "queued")
    expires_with_timeout: bool  # sent only within the UI's timeout, never later


def _policy(body: RpcRequest | PrintDocument) -> _Policy:
    if isinstance(body, SubmitRating):
        return _Policy(Lane.RATINGS, queue_offline=True, expires_with_timeout=False)
    if isinstance(body, CancelTicket):
        return _Policy(Lane.TICKETS, queue_offline=True, expires_with_timeout=False)
    if isinstance(body, PrintDocument):
        return _Policy(Lane.EVENTS, queue_offline=True, expires_with_timeout=False)
    # IssueTicket online, CheckIn, WindowCommand: the answer matters now, a late delivery would be wrong
    return _Policy(Lane.TICKETS, queue_offline=False, expires_with_timeout=True)


# a provisional ticket is the citizen's real arrival: it waits for the hall however long that takes
_PROVISIONAL = _Policy(Lane.TICKETS, queue_offline=True, expires_with_timeout=False)


class Forwarder:
    """The outbox-backed request path and the drain task. See the module docstring."""

    def __init__(
        self,
        outbox: Outbox,
        session: AgentSession,
        *,
        hall: str,
        device_id: str,
        tickets: OfflineTickets,
        request_timeout_s: float,
        window: int = 16,
        clock: Callable[[], float] = time.time,
        peek_batch: int = 256,
        answer_wait_s: float = 2.0,
    ) -> None:
        self.outbox = outbox
        self.session = session
        self.hall = hall
        self.device_id = device_id
        self.tickets = tickets
        self.request_timeout_s = request_timeout_s  # the longest a UI request waits (a UI may ask for less)
        self.window = window
        self.clock = clock
        self.peek_batch = max(peek_batch, window)
        self.answer_wait_s = answer_wait_s
        self._drain_waits: dict[int, asyncio.Future[RpcReply]] = {}
        self._claimed: set[int] = set()
        self._delivered: set[int] = set()  # PUBACKed; the removal of their rows is not committed yet
        self._delivered_now = asyncio.Event()
        self._acked: set[int] = set()  # removed since the drain's last read: its read-ahead may still hold them
        self._waiters: dict[int, list[asyncio.Future[RpcReply]]] = {}
        self._wake = asyncio.Event()
        self._restart = False  # a send failed or the connection changed: throw the read-ahead away, keep order
        self._send_failed = False  # the restart is for a failed send
        self._resend = Backoff()  # the pause before resending after a failure while connected
        self._answering = True  # False after a live request timed out while connected, until any answer
        self._sends: set[asyncio.Task[Any]] = set()
        self.sent = 0
        self.refused_later: list[tuple[int, ErrorReply]] = []  # backlog answered with an error (last 100)

    # -- state ------------------------------------------------------------------------------------

    @property
    def hall_reachable(self) -> bool:
        return self.session.online and self._answering

    def on_connectivity(self, online: bool) -> None:
        if online:
            self._answering = True
            self._send_failed = False  # sends that failed before a reconnect failed for the outage
        self._restart = True
        self._wake.set()

    def on_reply(self, seq: int, reply: RpcReply) -> None:
        """An answer to an outbox item (live or drained); called by the session."""
        self._answering = True
        drain_wait = self._drain_waits.pop(seq, None)
        if drain_wait is not None and not drain_wait.done():
            drain_wait.set_result(reply)
        waiters = self._waiters.pop(seq, [])
        for fut in waiters:
            if not fut.done():
                fut.set_result(reply)
        if not waiters and isinstance(reply, ErrorReply):
            # Nobody waits for a drained item's answer any more; a refusal is still news for the log.
            log.warning("queued message seq %d answered with %s: %s", seq, reply.code, reply.message)
            self.refused_later.append((seq, reply))
            del self.refused_later[:-100]

    # -- the request path -------------------------------------------------------------------------

    async def submit(self, body: RpcRequest, timeout: float) -> RpcReply:
        """Answer one UI request (never raises for hall or storage trouble: an ErrorReply says what)."""
        timeout = min(timeout, self.request_timeout_s)
        # Read-only queries and lease requests change nothing worth keeping: straight to the controller.
        if isinstance(body, LeaseRequest | TicketStatus):
            return await self.session.request(service_for(body), body, timeout)
        return await self._submit(body, topics.rpc(self.hall, self.device_id, service_for(body)), timeout)

    async def record_print(self, doc: PrintDocument, timeout: float) -> RpcReply:
        """A self-service print record for the hall's statistics: queued like a rating."""
        return await self._submit(doc, topics.device_events(self.hall, self.device_id), timeout)

    async def _submit(self, body: RpcRequest | PrintDocument, topic: str, timeout: float) -> RpcReply:
        request_id = request_id_of(body)
        policy = _policy(body)
        now = self.clock()
        if not self.hall_reachable:
            if isinstance(body, IssueTicket):
                return await self._provisional(body, now)
            if not policy.queue_offline:
                return unavailable(request_id, "hall unreachable; not queued (it would arrive late)")
            item = await self._put(body, topic, policy, now, timeout)
            if isinstance(item, ErrorReply):
                return item
            self._wake.set()
            return queued(request_id)
        item = await self._put(body, topic, policy, now, timeout)
        if isinstance(item, ErrorReply):
            return item
        fut: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(item.seq, []).append(fut)
        self._send_now(item)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            if self.session.online:
                self._answering = False  # the broker is there but the controller is not answering
                log.warning("no answer to %s within %.1f s: treating the hall as unreachable", request_id, timeout)
            if policy.queue_offline:
                return queued(request_id)
            return unavailable(request_id, f"no answer from the hall within {timeout:.1f} s")
        finally:
            waiters = self._waiters.get(item.seq)
            if waiters is not None:
                with contextlib.suppress(ValueError):
                    waiters.remove(fut)
                if not waiters:
                    del self._waiters[item.seq]

    async def _put(
        self, body: RpcRequest | PrintDocument, topic: str, policy: _Policy, now: float, timeout: float,
        *, key_suffix: str = "",
    ) -> OutboxItem | ErrorReply:
        request_id = request_id_of(body)
        try:
            return await self.outbox.put(
                policy.lane, topic, encode(body), now=now, key=(request_id + key_suffix) or None,
                expiry_s=timeout if policy.expires_with_timeout else None,
            )
        except OutboxFull as err:
            return not_stored(request_id, err)
        except OutboxError as err:
            log.error("outbox refused %s: %s", request_id, err)
            return not_stored(request_id, err)

    async def _provisional(self, body: IssueTicket, now: float) -> RpcReply:
        if (seen := self.tickets.answered(body.request_id)) is not None:
            return seen
        issued = await self.tickets.issue(body, now)
        if isinstance(issued, ErrorReply):
            return issued
        converted, number = issued
        topic = topics.rpc(self.hall, self.device_id, topics.RpcService.TICKET)
        item = await self._put(converted, topic, _PROVISIONAL, now, 0.0, key_suffix="#provisional")
        if isinstance(item, ErrorReply):
            # the number is spent (a gap the controller ignores); the citizen must not hold an unsent ticket
            return item
        stored = decode(item.payload, IssueTicket) if item.payload != encode(converted) else converted
        reply = self.tickets.answer(body, number, stored)
        self._wake.set()
        return reply

    # -- sending ----------------------------------------------------------------------------------

    def _claim(self, item: OutboxItem) -> bool:
        if item.seq in self._claimed or item.seq in self._delivered or item.seq in self._acked:
            return False
        self._claimed.add(item.seq)
        return True

    def _send_now(self, item: OutboxItem) -> None:
        if self._claim(item):
            task = asyncio.create_task(self._send(item), name=f"send-{item.seq}")
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _send(self, item: OutboxItem) -> bool:
        """Publish one claimed item; on PUBACK hand its row to the acker. Returns whether it was delivered."""
        try:
            await self.session.publish_item(item, now=self.clock())
        except aiomqtt.MqttError as err:
            log.debug("seq %d not delivered: %s", item.seq, err)
            self._claimed.discard(item.seq)
            self._restart = True
            self._send_failed = True
            self._wake.set()
            return False
        except BaseException:
            self._claimed.discard(item.seq)
            raise
        self.sent += 1
        self._resend.reset()
        self._delivered.add(item.seq)
        self._claimed.discard(item.seq)
        self._delivered_now.set()
        return True

    async def _acker(self) -> None:
        """Remove delivered rows in groups, for as long as the drain runs (see the module docstring)."""
        failures = Backoff()
        while True:
            await self._delivered_now.wait()
            self._delivered_now.clear()
            group = tuple(sorted(self._delivered))
            if not group:
                continue
            try:
                await self.outbox.ack_many(group)
            except OutboxError as err:
                # The broker has them: they stay out of the drain's reads and are removed at the next try (or,
                # after a restart, sent again and answered from the controller's record).
                log.error("%d delivered item(s) not removed from the outbox: %s", len(group), err)
                await asyncio.sleep(failures.next_delay())
                self._delivered_now.set()
                continue
            failures.reset()
            self._delivered.difference_update(group)
            self._acked.update(group)

    async def flush_acks(self) -> None:
        """Remove every delivered row now (at shutdown, and for tests that look at the outbox)."""
        group = tuple(sorted(self._delivered))
        if group:
            await self.outbox.ack_many(group)
            self._delivered.difference_update(group)
            self._acked.update(group)

    async def drain(self) -> None:
        """Send the backlog while connected, in order, ``window`` at a time. Runs until cancelled."""
        ahead: deque[OutboxItem] = deque()
        slots = asyncio.Semaphore(self.window)
        acker = asyncio.create_task(self._acker(), name="outbox-acker")
        try:
            while True:
                if not self.session.online:
                    ahead.clear()
                    await self.session.connected.wait()
                if self._restart:
                    # Wait for what is in flight before reading again, so that a failed seq is resent
                    # before the ones after it.
                    self._restart = False
                    ahead.clear()
                    for _ in range(self.window):
                        await slots.acquire()
                    for _ in range(self.window):
                        slots.release()
                    if self._send_failed and self.session.online:
                        # Refused while connected (a lost connection has its own wait, above): resending at
                        # once would hammer the broker with the same failure.
                        await asyncio.sleep(self._resend.next_delay())
                    self._send_failed = False
                    continue
                if not ahead:
                    self._wake.clear()
                    self._acked.clear()
                    batch = await self.outbox.peek(self.peek_batch, now=self.clock(),
                                                   exclude=self._claimed | self._delivered)
                    if not batch:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), _IDLE_RECHECK_S)
                        continue
                    ahead.extend(batch)
                item = ahead.popleft()
                await slots.acquire()
                if self._restart or not self.session.online or not self._claim(item):
                    slots.release()
                    continue
                task = asyncio.create_task(self._send_released(item, slots), name=f"drain-{item.seq}")
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
        finally:
            acker.cancel()
            for task in list(self._sends):
                task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(self.flush_acks())

    async def _send_released(self, item: OutboxItem, slots: asyncio.Semaphore) -> None:
        answered: asyncio.Future[RpcReply] | None = None
        if topics.is_rpc(item.topic):
            answered = asyncio.get_running_loop().create_future()
            self._drain_waits[item.seq] = answered
        try:
            if await self._send(item) and answered is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(answered, self.answer_wait_s)
        finally:
            if answered is not None and self._drain_waits.get(item.seq) is answered:
                del self._drain_waits[item.seq]
            slots.release()
