"""Store-and-forward for the UI's requests, and provisional tickets while the hall is away.

:class:`Forwarder` is the path of every state-changing UI request (IssueTicket, CheckIn, SubmitRating,
CancelTicket, WindowCommand, self-service print records): the message is put in the durable outbox first,
then published; the outbox row goes only on PUBACK. While the hall answers, the UI gets the controller's
answer (within its timeout). While it does not:

- IssueTicket is answered at once with a provisional ticket from a leased block (:class:`OfflineTickets`);
  the outbox keeps the request converted to carry ``provisional`` (lease, number, arrival time), which the
  controller merges on reconnect, keeping the printed number and the real arrival;
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
thousands of replayed ones at the controller. A seq is "claimed" before it is published and released only
after its outbox row is gone (or its publish failed), so no message is in flight twice from this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiomqtt
import msgspec

from edge_agent.leases import LeaseBlock, LeaseError, LeaseStore, ProvisionalNumber
from edge_agent.outbox import Lane, Outbox, OutboxError, OutboxFull, OutboxItem
from edge_agent.session import AgentSession
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.errors import ErrorCode
from hall_protocol.local import PrintDocument
from hall_protocol.tickets import (
    Ack,
    CancelTicket,
    ErrorReply,
    IssueTicket,
    LeaseGranted,
    LeaseRequest,
    Priority,
    RpcReply,
    RpcRequest,
    SubmitRating,
    TicketReply,
    TicketState,
    TicketStatus,
    TicketView,
    service_for,
)

log = logging.getLogger(__name__)

PROVISIONAL_MESSAGE_ZH = "网络中断，此为临时号，网络恢复后由大厅确认；请留意叫号屏，预计等待时间暂不可知。"
PROVISIONAL_MESSAGE_EN = (
    "The hall network is down: this is a provisional number, confirmed by the hall when the network is back. "
    "Please watch the calling screen; the waiting time is not known yet."
)
QUEUED_MESSAGE_ZH = "网络中断，已保存，网络恢复后自动提交。"
QUEUED_MESSAGE_EN = "The hall network is down: saved on this device and sent automatically when it is back."
_UNREACHABLE_ZH = "暂时无法连接大厅系统，请稍后再试或到窗口办理。"
_NO_NUMBERS_ZH = "网络中断，本机临时号已用完，请到窗口取号。"
_RECENT_PROVISIONAL = 1024  # request ids remembered so that a UI retry gets the same provisional number
_IDLE_RECHECK_S = 1.0  # an idle drain looks again this often (expiries, a missed wake-up)


def hall_day(now: float, zone: ZoneInfo) -> str:
    """The hall's local date (YYYY-MM-DD) at ``now``: the day a leased block is valid on."""
    return dt.datetime.fromtimestamp(now, zone).date().isoformat()


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


def unavailable(request_id: str, why: str, message_zh: str = _UNREACHABLE_ZH) -> ErrorReply:
    return ErrorReply(request_id=request_id, code=ErrorCode.UNAVAILABLE, message=why, message_zh=message_zh)


class OfflineTickets:
    """Provisional numbers from leased blocks, and keeping those blocks topped up while connected."""

    def __init__(self, store: LeaseStore, *, zone: ZoneInfo, device_id: str) -> None:
        self.store = store
        self.zone = zone
        self.device_id = device_id

    def today(self, now: float) -> str:
        return hall_day(now, self.zone)

    async def take(self, service: str, now: float) -> ProvisionalNumber | None:
        return await self.store.take(service, self.today(now), now=now)

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
        request_id=request.request_id, ticket=view, message_zh=PROVISIONAL_MESSAGE_ZH,
        message_en=PROVISIONAL_MESSAGE_EN,
    )


class Forwarder:
    """The outbox-backed request path and the drain task. See the module docstring."""

    def __init__(
        self,
        outbox: Outbox,
        session: AgentSession,
        *,
        hall: str,
        device_id: str,
        tickets: OfflineTickets | None,
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
        self.window = window
        self.clock = clock
        self.peek_batch = max(peek_batch, window)
        self.answer_wait_s = answer_wait_s
        self._drain_waits: dict[int, asyncio.Future[RpcReply]] = {}
        self._claimed: set[int] = set()
        self._acked: set[int] = set()  # removed since the drain's last read: its read-ahead may still hold them
        self._waiters: dict[int, list[asyncio.Future[RpcReply]]] = {}
        self._wake = asyncio.Event()
        self._restart = False  # a send failed: throw the read-ahead away so order is kept
        self._answering = True  # False after a live request timed out while connected, until any answer
        self._recent: OrderedDict[str, TicketReply] = OrderedDict()
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
        # Read-only queries and lease requests change nothing worth keeping: straight to the controller.
        if isinstance(body, LeaseRequest | TicketStatus):
            return await self.session.request(service_for(body), body, timeout)
        return await self._submit(body, topics.rpc(self.hall, service_for(body)), timeout)

    async def record_print(self, doc: PrintDocument, timeout: float) -> RpcReply:
        """A self-service print record for the hall's statistics: queued like a rating."""
        return await self._submit(doc, topics.device_events(self.hall, self.device_id), timeout)

    async def _submit(self, body: RpcRequest | PrintDocument, topic: str, timeout: float) -> RpcReply:
        request_id = getattr(body, "request_id", "") or ""
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
            return _queued(request_id)
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
                return _queued(request_id)
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
        request_id = getattr(body, "request_id", "") or ""
        try:
            return await self.outbox.put(
                policy.lane, topic, encode(body), now=now, key=(request_id + key_suffix) or None,
                expiry_s=timeout if policy.expires_with_timeout else None,
            )
        except OutboxFull as err:
            return ErrorReply(request_id=request_id, code=ErrorCode.UNAVAILABLE, message=str(err),
                              message_zh=err.message_zh)
        except OutboxError as err:
            log.error("outbox refused %s: %s", request_id, err)
            return ErrorReply(request_id=request_id, code=ErrorCode.INTERNAL, message=str(err),
                              message_zh=err.message_zh)

    async def _provisional(self, body: IssueTicket, now: float) -> RpcReply:
        rid = body.request_id
        if (seen := self._recent.get(rid)) is not None:
            return seen
        if self.tickets is None or body.priority is Priority.APPOINTMENT:
            return unavailable(rid, "hall unreachable and no offline ticketing for this request")
        try:
            number = await self.tickets.take(body.service, now)
        except LeaseError as err:
            log.error("provisional number for %s failed: %s", body.service, err)
            return unavailable(rid, str(err), err.message_zh)
        if number is None:
            return unavailable(rid, f"no provisional number left for {body.service}", _NO_NUMBERS_ZH)
        converted = msgspec.structs.replace(
            body, provisional=number.to_protocol(), source_device=body.source_device or self.device_id
        )
        policy = _Policy(Lane.TICKETS, queue_offline=True, expires_with_timeout=False)
        item = await self._put(converted, topics.rpc(self.hall, topics.RpcService.TICKET), policy, now, 0.0,
                               key_suffix="#provisional")
        if isinstance(item, ErrorReply):
            # the number is spent (a gap the controller ignores); the citizen must not hold an unsent ticket
            return item
        reply = provisional_reply(body, number)
        stored = decode(item.payload, IssueTicket) if item.payload != encode(converted) else converted
        if stored.provisional is not None and stored.provisional.number != number.number:
            # a retry after a restart: the first number is the one in the outbox, this one is a gap
            log.info("request %s already holds provisional %s", rid, stored.provisional.number)
            first = ProvisionalNumber(
                stored.provisional.lease_id, body.service, number.day, number.prefix,
                int(stored.provisional.number[len(number.prefix):]), stored.provisional.arrived_at,
            )
            reply = provisional_reply(body, first)
        self._recent[rid] = reply
        while len(self._recent) > _RECENT_PROVISIONAL:
            self._recent.popitem(last=False)
        self._wake.set()
        return reply

    # -- sending ----------------------------------------------------------------------------------

    def _claim(self, item: OutboxItem) -> bool:
        if item.seq in self._claimed or item.seq in self._acked:
            return False
        self._claimed.add(item.seq)
        return True

    def _send_now(self, item: OutboxItem) -> None:
        if self._claim(item):
            task = asyncio.create_task(self._send(item), name=f"send-{item.seq}")
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _send(self, item: OutboxItem) -> bool:
        """Publish one claimed item; on PUBACK remove its row. Returns whether it was delivered."""
        try:
            await self.session.publish_item(item, now=self.clock())
        except aiomqtt.MqttError as err:
            log.debug("seq %d not delivered: %s", item.seq, err)
            self._claimed.discard(item.seq)
            self._restart = True
            self._wake.set()
            return False
        except BaseException:
            self._claimed.discard(item.seq)
            raise
        self.sent += 1
        try:
            await self.outbox.ack(item.seq)
            self._acked.add(item.seq)
        except OutboxError as err:
            # The broker has it; a leftover row is sent again later and the controller answers the replay.
            log.error("seq %d delivered but not removed from the outbox: %s", item.seq, err)
        finally:
            self._claimed.discard(item.seq)
        return True

    async def drain(self) -> None:
        """Send the backlog while connected, in order, ``window`` at a time. Runs until cancelled."""
        ahead: deque[OutboxItem] = deque()
        slots = asyncio.Semaphore(self.window)
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
                    continue
                if not ahead:
                    self._wake.clear()
                    self._acked.clear()
                    batch = await self.outbox.peek(self.peek_batch, now=self.clock(), exclude=self._claimed)
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
            for task in list(self._sends):
                task.cancel()

    async def _send_released(self, item: OutboxItem, slots: asyncio.Semaphore) -> None:
        answered: asyncio.Future[RpcReply] | None = None
        if item.topic.startswith(self._rpc_prefix):
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

    @property
    def _rpc_prefix(self) -> str:
        return topics.rpc(self.hall, topics.RpcService.TICKET).rsplit("/", 1)[0] + "/"


def _queued(request_id: str) -> Ack:
    return Ack(request_id=request_id, queued=True, message_zh=QUEUED_MESSAGE_ZH, message_en=QUEUED_MESSAGE_EN)
