"""Silent-call messages beside the engine: fed by its commits, never in the way of a call.

``on_commit`` only puts the batch in a bounded queue (the commit path never waits; a full queue drops the
batch and says so). One task turns batches into messages (:mod:`decide`); each gateway has its own queue,
a few workers, a token bucket (its quota) and a pause after a rate-limit answer. A failed send is tried again
after a jittered exponential backoff (at least the platform's Retry-After) up to ``max_attempts``; a message
nobody could deliver within ``expire_s``, or for whose ticket a newer message exists, is not sent late.
Every step of every message is kept in the delivery record (``store.py``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hall_controller.committed import Committed, NewContact
from hall_controller.engine import events as ev
from hall_controller.engine.clock import local_date
from hall_controller.engine.state import EngineState
from hall_controller.fairness import TokenBucket
from hall_controller.notify.config import NotifyConfig
from hall_controller.notify.decide import Planned, plan
from hall_controller.notify.gateway import Channel, DeliveryError, Gateway, Outgoing
from hall_controller.notify.messages import NoticeKind
from hall_controller.notify.store import FINAL, Delivery, NotifyStore, Status, StoredContact
from hall_controller.notify.wechat import WeChat
from hall_runtime.backoff import Backoff
from hall_runtime.log_limit import LogLimiter
from hall_runtime.sealed_box import SealError, open_sealed, public_key_text

log = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?[0-9]{5,15}$")
SEND_TIMEOUT_S = 30.0  # beyond any gateway's own timeout: a send that hangs must not hold a worker for good


@dataclass
class _Job:
    out: Outgoing
    expires_at: float
    backoff: Backoff
    attempts: int = 0


@dataclass
class _Lane:
    gateway: Gateway
    bucket: TokenBucket
    queue: asyncio.Queue[_Job] = field(default_factory=asyncio.Queue)
    paused_until: float = 0.0


class NotificationService:
    def __init__(self, config: NotifyConfig, gateways: Sequence[Gateway], store: NotifyStore, *,
                 state: Callable[[], EngineState], seal_key: X25519PrivateKey, status_base_url: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = store
        self._state = state
        self._seal_key = seal_key
        self.contact_key = public_key_text(seal_key)
        self._base_url = status_base_url
        self._clock = clock
        limits = config.limits
        self.lanes: dict[Channel, _Lane] = {}
        for g in gateways:
            if g.channel in self.lanes:
                raise ValueError(f"two gateways for {g.channel}: {self.lanes[g.channel].gateway.name} and {g.name}")
            self.lanes[g.channel] = _Lane(g, TokenBucket(limits.per_second, limits.burst))
        self._inbox: asyncio.Queue[Committed] = asyncio.Queue(maxsize=limits.queue_cap)
        self._latest: dict[tuple[str, Channel], str] = {}
        self._alerted: set[tuple[str, int]] = set()
        self._day = ""
        self._retries: set[asyncio.TimerHandle] = set()
        self._log = LogLimiter()
        self.dropped_batches = 0
        self.started = asyncio.Event()

    # -- fed by the engine's commits -----------------------------------------------------------------

    def on_commit(self, committed: Committed) -> None:
        """Called on the commit path: take note and return at once."""
        try:
            self._inbox.put_nowait(committed)
        except asyncio.QueueFull:
            self.dropped_batches += 1
            self._log.log(log, logging.ERROR, "inbox-full", "notifications behind by %d batches: a batch dropped",
                          self._inbox.qsize())

    async def run(self) -> None:
        await self._start()
        self.started.set()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._decide_loop(), name="notify-decide")
                tg.create_task(self.store.flush_loop(), name="notify-flush")
                tg.create_task(self._day_loop(), name="notify-day")
                for lane in self.lanes.values():
                    for _ in range(self.config.limits.workers):
                        tg.create_task(self._worker(lane), name=f"notify-{lane.gateway.channel}")
        finally:
            for handle in self._retries:
                handle.cancel()
            for lane in self.lanes.values():
                await lane.gateway.aclose()
            await self.store.close()

    async def _start(self) -> None:
        now = self._clock()
        self._day = self._today(now)
        await self.store.purge_contacts(self._day)
        await self.store.load_day(self._day)
        for d in list(self.store.deliveries.values()):
            if d.kind == NoticeKind.PRE_ALERT:
                self._alerted.add((d.ticket_id, d.step))
            if d.status not in FINAL:  # its text died with the last process: too late to send now
                self.store.update(d.message_id, now, status=Status.EXPIRED, reason="controller restarted")

    def _today(self, now: float) -> str:
        return local_date(now, self._state().config.hall.timezone)

    async def _day_loop(self) -> None:
        """Contacts are for one day: the moment the hall's day changes, yesterday's are deleted."""
        while True:
            await asyncio.sleep(30.0)
            await self._roll(self._clock())

    async def _roll(self, now: float) -> None:
        day = self._today(now)
        if day != self._day:
            self._day = day
            await self.store.purge_contacts(day)
            self._alerted.clear()  # yesterday's tickets are gone with their day
            self._latest.clear()

    async def _decide_loop(self) -> None:
        while True:
            committed = await self._inbox.get()
            try:
                await self.take(committed)
            except Exception:
                log.exception("notifications for a batch failed")

    async def take(self, committed: Committed) -> None:
        """Register the batch's contacts, then plan and queue its messages."""
        if any(isinstance(e, ev.DayStarted) for e in committed.events):
            await self._roll(committed.at)
        for given in committed.contacts:
            await self._register(given, committed.at)
        state = self._state()
        for planned in plan(committed.events, state, self.store.has_contact, self._alerted, self._base_url,
                            committed.at):
            for contact in self.store.contacts_of(planned.notice.ticket_id):
                self._enqueue(planned, contact, committed.at)

    async def _register(self, contact: NewContact, now: float) -> None:
        phone = contact.phone
        if contact.sealed:
            try:
                phone = open_sealed(self._seal_key, contact.sealed)
            except SealError as err:
                log.warning("ticket %s: its sealed phone number did not open (%s)", contact.ticket_id, err)
                return
        if not PHONE.fullmatch(phone):
            log.warning("ticket %s: the phone number given is not one", contact.ticket_id)
            return
        if Channel.SMS not in self.lanes:
            return  # no SMS gateway: a number nobody can use is not kept
        masked = await self.store.add_contact(contact.ticket_id, Channel.SMS, self._today(now), phone, now)
        log.info("ticket %s: SMS to %s for today", contact.ticket_id, masked)

    async def subscribe_wechat(self, ticket_id: str, code: str) -> bool:
        """The phone page opened in the hall's mini program, whose ``wx.login`` code names the citizen: their
        openid is kept for this ticket's day. False when no WeChat gateway is set up; DeliveryError when
        WeChat refuses the code."""
        lane = self.lanes.get(Channel.WECHAT)
        if lane is None or not isinstance(lane.gateway, WeChat):
            return False
        openid = await lane.gateway.openid_for_code(code)
        now = self._clock()
        await self.store.add_contact(ticket_id, Channel.WECHAT, self._today(now), openid, now)
        log.info("ticket %s: WeChat messages for today", ticket_id)
        return True

    def _enqueue(self, planned: Planned, contact: StoredContact, now: float) -> None:
        lane = self.lanes.get(contact.channel)
        message_id = f"{planned.key}:{contact.channel}"
        if lane is None or message_id in self.store.deliveries:
            return  # no gateway for it, or already planned before a restart
        n = planned.notice
        self.store.note(Delivery(message_id, n.ticket_id, self._day, n.kind.value, planned.step, contact.channel,
                                 contact.masked, Status.QUEUED, 0, "", "", now, now))
        self._latest[(n.ticket_id, contact.channel)] = message_id
        limits = self.config.limits
        try:
            to = self.store.address(contact)
        except Exception as err:
            self.store.update(message_id, now, status=Status.FAILED, reason=str(err)[:100])
            return
        lane.queue.put_nowait(_Job(Outgoing(message_id=message_id, to=to, notice=n), now + limits.expire_s,
                                   Backoff(base=limits.backoff_base_s, cap=limits.backoff_cap_s)))

    # -- sending --------------------------------------------------------------------------------------

    async def _worker(self, lane: _Lane) -> None:
        while True:
            job = await lane.queue.get()
            try:
                await self._attempt(lane, job)
            except Exception:
                log.exception("message %s: send failed inside the notifier", job.out.message_id)
                self.store.update(job.out.message_id, self._clock(), status=Status.FAILED, reason="internal error")

    async def _attempt(self, lane: _Lane, job: _Job) -> None:
        mid, ticket_id = job.out.message_id, job.out.notice.ticket_id
        if self._latest.get((ticket_id, lane.gateway.channel)) != mid:
            self.store.update(mid, self._clock(), status=Status.SUPERSEDED)
            return
        if self._clock() >= job.expires_at:
            self.store.update(mid, self._clock(), status=Status.EXPIRED, reason="not delivered in time")
            return
        while True:  # the gateway's quota, and its pause after a rate-limit answer
            t = time.monotonic()
            wait = max(lane.paused_until - t, lane.bucket.wait_s(t))
            if wait <= 0 and lane.bucket.take(t):
                break
            await asyncio.sleep(max(wait, 0.001))
        job.attempts += 1
        self.store.update(mid, self._clock(), status=Status.SENDING, attempts=job.attempts)
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that arrives
            # as the send completes, and a worker that missed its cancellation keeps its TaskGroup open
            async with asyncio.timeout(SEND_TIMEOUT_S):
                provider_id = await lane.gateway.send(job.out)
        except (DeliveryError, TimeoutError) as err:
            failure = err if isinstance(err, DeliveryError) else DeliveryError("timeout", retryable=True)
            self._failed(lane, job, failure)
            return
        self.store.update(mid, self._clock(), status=Status.SENT, provider_id=provider_id, reason="")
        log.info("message %s sent by %s (attempt %d)", mid, lane.gateway.name, job.attempts)

    def _failed(self, lane: _Lane, job: _Job, err: DeliveryError) -> None:
        mid, now = job.out.message_id, self._clock()
        if not err.retryable or job.attempts >= self.config.limits.max_attempts:
            self.store.update(mid, now, status=Status.FAILED, reason=err.reason)
            log.warning("message %s not delivered by %s after %d attempts: %s", mid, lane.gateway.name,
                        job.attempts, err.reason)
            return
        delay = max(job.backoff.next_delay(), err.retry_after_s or 0.0)
        if err.retry_after_s is not None:
            lane.paused_until = max(lane.paused_until, time.monotonic() + err.retry_after_s)
        self.store.update(mid, now, status=Status.RETRYING, reason=err.reason)
        self._log.log(log, logging.WARNING, f"retry:{lane.gateway.name}:{err.reason}",
                      "%s: %s; message %s tried again in %.1f s", lane.gateway.name, err.reason, mid, delay)

        def requeue() -> None:
            self._retries.discard(handle)
            lane.queue.put_nowait(job)

        handle = asyncio.get_running_loop().call_later(delay, requeue)
        self._retries.add(handle)

    # -- what it did ----------------------------------------------------------------------------------

    def deliveries(self, ticket_id: str) -> list[Delivery]:
        return self.store.of_ticket(ticket_id)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.store.deliveries.values():
            out[d.status.value] = out.get(d.status.value, 0) + 1
        return out
