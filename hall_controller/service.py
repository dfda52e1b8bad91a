"""The controller's MQTT adapter: requests in, decisions from the core, durable commit, answers out.

Requests are handled one batch at a time by a single writer: the requests of one round of the fair queue
(a few from each device that is waiting) are decided in memory, the batch's events and answers are committed
in one SQLite transaction (group commit: one fsync for many requests), and only then are the answers and hall
updates published. A crash therefore loses nothing that was answered, and a replayed request id gets its
first answer back from the store.

Trust no device: the sender is the device id in the request's topic (the broker lets a device publish only
under its own id); its role comes from the controller's directory; the answer goes only to the sender's own
reply topic; a request with another response topic, or none, is not acted on. No payload can stop the loop:
each message is handled inside its own ``try``, and what fails costs that message only (logged, rate-limited).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt

from hall_controller.actors import Actor, DeviceDirectory
from hall_controller.audit import AuditEntry, describe
from hall_controller.committed import CommitListener, Committed, NewContact
from hall_controller.core import ControllerCore, Decision
from hall_controller.device_watch import DeviceWatch
from hall_controller.engine.events import Event
from hall_controller.fairness import FairQueue, TokenBucket, spend
from hall_controller.flood_guard import BrokerSwitch, Strikes, cut_off
from hall_controller.live import LiveHub
from hall_controller.publications import Publication
from hall_controller.sequence_audit import SequenceAudit
from hall_controller.store import Store
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.mqtt import PROP_DEVICE_ID, PROP_DEVICE_SEQ
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest
from hall_runtime.backoff import Backoff
from hall_runtime.log_limit import LogLimiter
from hall_runtime.mqtt_client import (
    correlation_of,
    make_client,
    payload_bytes,
    publish_properties,
    response_topic_of,
    user_properties,
)

log = logging.getLogger(__name__)

MAX_BATCH = 256
PER_SENDER = 16  # requests one device may have in a batch: a flood waits behind itself
SENDER_QUEUE_CAP = 1000  # an honest agent has at most its drain window (32) in flight
REFUSALS_PER_S, REFUSAL_BURST = 2.0, 20.0  # refusals answered per device; beyond, dropped (and logged)
SENDER_RATE, SENDER_BURST = 20.0, 64.0  # requests per second a sender is served at; more wait in its queue
DeviceListener = Callable[[str, topics.DeviceLeaf, bytes], Awaitable[Any]]
ALERT_INTERVAL_S = 5.0
DEVICE_MESSAGES_PER_S, DEVICE_MESSAGE_BURST = 2.0, 20.0  # presence and events per device: an agent sends a few


@dataclass(frozen=True, slots=True)
class Answer:
    """What an in-process caller (a web page, the API) gets back: the reply, and for a refusal by the
    engine the sentence staff read (the engine's own Chinese wording)."""

    reply: RpcReply
    message_zh: str = ""


@dataclass(frozen=True, slots=True)
class _Incoming:
    request: RpcRequest | None
    error: ErrorReply | None
    response_topic: str  # "" for an in-process caller, who gets ``answer`` instead
    correlation: bytes | None
    sender: str
    actor: Actor | None
    origin: str = ""  # where it came from, for the audit log: a device id, a browser address, an API token
    answer: asyncio.Future[Answer] | None = None
    decide: Callable[[float], Decision] | None = None  # a console change without a wire request (``perform``)
    accepted: float = 0.0  # monotonic time the controller decoded it: its own share of the wait starts here


class ControllerService:
    def __init__(
        self,
        core: ControllerCore,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        tick_s: float = 1.0,
        on_device: DeviceListener | None = None,
        directory: DeviceDirectory | None = None,
        hub: LiveHub | None = None,
        broker_switch: BrokerSwitch | None = None,
    ) -> None:
        """``on_device`` receives every device's presence and events (the enrolment registry follows them on
        this one connection). ``directory`` says who each device is (default: the hall config's devices).
        ``broker_switch`` cuts off a device that keeps sending hostile requests (flood_guard.py)."""
        self.core = core
        self.store = store
        self.clock = clock
        self.tick_s = tick_s
        self.hall = core.hall_id
        self.directory = directory or DeviceDirectory(core.config)
        self.hub = hub or LiveHub()
        self._queue: FairQueue[str, _Incoming] = FairQueue(per_sender_cap=SENDER_QUEUE_CAP, rate=SENDER_RATE,
                                                           burst=SENDER_BURST)
        self._refusals: dict[str, TokenBucket] = {}
        self._device_messages: dict[str, TokenBucket] = {}
        self._log = LogLimiter()
        self.broker_switch, self.strikes = broker_switch, Strikes()
        self.handled = 0
        self.refused = 0
        # (sender, seconds from decoding a device's request to publishing its answer): the wait this controller's
        # scheduling is answerable for, apart from the time a message spent in the broker or the socket before it
        self.request_waits: deque[tuple[str, float]] = deque(maxlen=10_000)
        self.ready = asyncio.Event()
        self.last_tick = time.monotonic()
        self.sequences = SequenceAudit()
        self.on_device = on_device
        self.devices = DeviceWatch(self.hall, known=lambda d: self.directory.lookup(d) is not None, clock=clock)
        self.commit_listeners: list[CommitListener] = []  # the work beside the engine (notifications)
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(
        self,
        host: str,
        port: int,
        *,
        identifier: str = "hall-controller",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        """Serve until cancelled, reconnecting to the broker when it goes away."""
        backoff = Backoff(base=0.5, cap=10.0)
        while True:
            client = make_client(host, port, identifier=f"{identifier}-{self.hall}", username=username,
                                 password=password, pipelined_publishes=4 * MAX_BATCH)
            try:
                async with client:
                    await client.subscribe(topics.all_rpc(self.hall), qos=1)
                    await client.subscribe(topics.all_device_states(self.hall), qos=1)
                    await client.subscribe(topics.all_device_events(self.hall), qos=1)
                    await client.subscribe(topics.all_device_telemetry(self.hall), qos=0)
                    self.devices.publish = functools.partial(self._publish_one, client)
                    backoff.reset()
                    log.info("controller for hall %s connected to %s:%d", self.hall, host, port)
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(self._worker(client))
                        tg.create_task(self._ticker(client))
                        await self._publish(client, self.core.snapshot_publications(self.clock()))
                        self.ready.set()
                        async for message in client.messages:
                            self._accept(message)
            except* aiomqtt.MqttError as group:
                log.warning("broker connection lost: %s", group.exceptions[0])
            self.devices.publish = None
            self.ready.clear()
            await asyncio.sleep(backoff.next_delay())

    def healthy(self) -> bool:
        """Connected and the time-driven loop is turning (what the systemd watchdog pings on)."""
        return self.ready.is_set() and time.monotonic() - self.last_tick < max(10.0, 5 * self.tick_s)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            self._log.log(log, logging.ERROR, f"device-message:{type(err).__name__}",
                          "device message not handled: %r", err)

    # -- receiving ---------------------------------------------------------------------------------

    def _accept(self, message: aiomqtt.Message) -> None:
        """One incoming message. Never raises: whatever it carries costs at most itself."""
        try:
            self._accept_one(message)
        except Exception as err:  # a bug or a payload nobody foresaw: drop it, keep serving
            self._log.log(log, logging.ERROR, f"accept:{type(err).__name__}",
                          "message on %s dropped: %r", str(message.topic)[:200], err)

    def _accept_one(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        try:
            parsed = topics.parse(topic)
        except ValueError as err:
            self._log.log(log, logging.WARNING, "topic", "ignored: %s", err)
            return
        if not parsed.is_rpc():
            if parsed.leaf is not None:
                self.devices.on_message(parsed.name, parsed.leaf, payload_bytes(message), correlation_of(message))
            if self.on_device is not None and parsed.leaf in (topics.DeviceLeaf.STATE, topics.DeviceLeaf.EVENTS):
                if spend(self._device_messages, parsed.name, DEVICE_MESSAGES_PER_S, DEVICE_MESSAGE_BURST,
                         time.monotonic()):
                    self._spawn(self.on_device(parsed.name, parsed.leaf, payload_bytes(message)))
                else:  # each one is a registry write in a thread: a flood of them must not become thousands
                    self._log.log(log, logging.WARNING, f"device-flood:{parsed.name}",
                                  "device %s sends more presence and events than any agent does: dropped",
                                  parsed.name)
            return
        sender = parsed.name
        own_reply = topics.device_reply(self.hall, sender)
        response_topic = response_topic_of(message)
        if response_topic != own_reply:
            # Answering elsewhere would let a device make the controller publish into any topic it names.
            self.refused += 1
            self._strike(sender)
            self._log.log(log, logging.WARNING, f"reply-topic:{sender}",
                          "device %s: request not acted on: its response topic must be %s, not %r",
                          sender, own_reply, (response_topic or "")[:200])
            return
        props = user_properties(message)
        if props.get(PROP_DEVICE_SEQ, "").isdigit() and props.get(PROP_DEVICE_ID) == sender:
            self.sequences.observe(sender, int(props[PROP_DEVICE_SEQ]), self.clock())
        correlation = correlation_of(message)
        actor = self.directory.lookup(sender)
        try:
            request: RpcRequest = decode(payload_bytes(message), RpcRequest)
        except ProtocolError as err:
            self._log.log(log, logging.WARNING, f"malformed:{sender}", "device %s sent a malformed request: %s",
                          sender, err)
            self._strike(sender)
            self._refuse(sender, response_topic, correlation, ErrorReply(
                request_id="", code=err.code, message=err.message, field=err.field))
            return
        if actor is None:
            self._log.log(log, logging.WARNING, f"unknown:{sender}", "request from unknown device %s refused",
                          sender)
            self._refuse(sender, response_topic, correlation, ErrorReply(
                request_id=getattr(request, "request_id", ""), code=ErrorCode.FORBIDDEN,
                message=f"device {sender} is not known to this hall"))
            return
        item = _Incoming(request, None, response_topic, correlation, sender, actor, origin=sender,
                         accepted=time.monotonic())
        if not self._queue.put(sender, item):
            self._log.log(log, logging.WARNING, f"flood:{sender}",
                          "device %s has %d requests waiting: new ones refused", sender, SENDER_QUEUE_CAP)
            self._refuse(sender, response_topic, correlation, ErrorReply(
                request_id=getattr(request, "request_id", ""), code=ErrorCode.UNAVAILABLE,
                message="too many requests from this device; try again shortly"))

    async def submit(self, actor: Actor, request: RpcRequest, origin: str, timeout: float = 10.0) -> Answer:
        """A request from inside the controller (a web page, the API) on the same path as a device's: the same
        checks, the same batch and commit, one audit line. ``origin`` says where it came from."""
        fut: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        item = _Incoming(request, None, "", None, actor.label, actor, origin=origin, answer=fut)
        if not self._queue.put(actor.label, item):
            return Answer(ErrorReply(request_id=getattr(request, "request_id", ""), code=ErrorCode.UNAVAILABLE,
                                     message="too many requests; try again shortly"), "操作过于频繁，请稍后再试。")
        return await asyncio.wait_for(asyncio.shield(fut), timeout)

    async def perform(self, actor: Actor, decide: Callable[[float], Decision], origin: str,
                      timeout: float = 10.0) -> Answer:
        """A console change that has no wire request (a window's services, a service's limits, the notices,
        an alert's acknowledgement, a device command's audit line): ``decide(now)`` runs in the same single
        writer as requests, and its events and audit line (``Decision.audit``) are committed in its batch."""
        fut: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        item = _Incoming(None, None, "", None, actor.label, actor, origin=origin, answer=fut, decide=decide)
        if not self._queue.put(actor.label, item):
            return Answer(ErrorReply(request_id="", code=ErrorCode.UNAVAILABLE,
                                     message="too many requests; try again shortly"), "操作过于频繁，请稍后再试。")
        return await asyncio.wait_for(asyncio.shield(fut), timeout)

    def _refuse(self, sender: str, response_topic: str, correlation: bytes | None, reply: ErrorReply) -> None:
        """Answer a refusal, unless this device has had its share of refusals this second (then drop it)."""
        self.refused += 1
        if spend(self._refusals, sender, REFUSALS_PER_S, REFUSAL_BURST, time.monotonic()):
            self._queue.put(sender, _Incoming(None, reply, response_topic, correlation, sender, None))

    def _strike(self, device: str) -> None:
        """A hostile request from ``device``: past what an honest agent could send, cut it off at the broker."""
        if self.strikes.strike(device, time.monotonic()) and self.broker_switch is not None:
            self._spawn(cut_off(self.broker_switch, device, self.strikes.cool_down_s))

    # -- deciding and answering --------------------------------------------------------------------

    async def _worker(self, client: aiomqtt.Client) -> None:
        while True:
            batch = await self._queue.get(MAX_BATCH, PER_SENDER)
            await self._handle_batch(client, batch)

    def _decide(self, item: _Incoming, now: float) -> tuple[bytes, Decision | None]:
        """The encoded answer to one item, and the decision when there was one (a replay has none)."""
        request_id = getattr(item.request, "request_id", None)
        if item.decide is None:
            if item.request is None or item.actor is None:
                assert item.error is not None
                return encode(item.error), None
            first = self.core.replayed(request_id) if request_id else None
            if first is not None:
                return first, None  # a replay gets the first answer, and changes nothing
        try:
            if item.decide is not None:
                decision = item.decide(now)
            else:
                assert item.request is not None
                assert item.actor is not None
                decision = self.core.on_request(item.request, item.actor, now)
        except Exception:
            # A bug must cost one request, not the service.
            self._log.log(log, logging.ERROR, "internal", "request %s from %s failed inside the controller",
                          request_id, item.sender)
            log.debug("failure detail", exc_info=True)
            err = ErrorReply(request_id=request_id or "", code=ErrorCode.INTERNAL, message="internal error")
            return encode(err), None
        return encode(decision.reply), decision

    async def _handle_batch(self, client: aiomqtt.Client, batch: list[_Incoming]) -> None:
        now = self.clock()
        answers: list[tuple[_Incoming, bytes, Decision | None]] = []
        events: list[bytes] = []
        replies: list[tuple[str, bytes]] = []
        audit: list[AuditEntry] = []
        publications: list[Publication] = []
        decided: list[Event] = []
        contacts: list[NewContact] = []
        for item in batch:
            reply, decision = self._decide(item, now)
            answers.append((item, reply, decision))
            if decision is None:
                continue
            if item.response_topic and getattr(decision.reply, "code", None) is ErrorCode.FORBIDDEN:
                self._strike(item.sender)
            events.extend(decision.events)
            decided.extend(decision.decided)
            if decision.contact is not None:
                contacts.append(decision.contact)
            publications.extend(decision.publications)
            request_id = getattr(item.request, "request_id", None)
            if request_id and decision.remember:
                replies.append((request_id, reply))
            if (entry := audit_entry(item, decision, now)) is not None:
                audit.append(entry)
        if events or replies or audit:
            await self.store.commit_batch(events, now, replies, audit)
        if events:
            self.hub.bump()
            self._committed(Committed(now, tuple(decided), tuple(contacts)))
        for item, reply, decision in answers:
            if item.answer is not None and not item.answer.done():
                item.answer.set_result(Answer(decode(reply, RpcReply), decision.message_zh if decision else ""))
        # QoS 1 publishes are pipelined: awaiting each PUBACK in turn would add a broker round trip per message
        await _gathered(
            *(
                client.publish(item.response_topic, payload, qos=1,
                               properties=publish_properties(correlation=item.correlation) if item.correlation
                               else None)
                for item, payload, _ in answers
                if item.response_topic
            ),
            self._publish(client, publications),
        )
        answered = time.monotonic()
        self.request_waits.extend((item.sender, answered - item.accepted) for item in batch if item.accepted)
        self.handled += len(batch)

    async def _ticker(self, client: aiomqtt.Client) -> None:
        """Time-driven work: no-show timers, alerts, coalesced hall and display state."""
        next_alerts = 0.0
        while True:
            await asyncio.sleep(self.tick_s)
            self.last_tick = time.monotonic()
            now = self.clock()
            decision = self.core.on_tick(now)
            if decision.events:
                await self.store.commit_batch(decision.events, now, [])
                self.hub.bump()
                self._committed(Committed(now, decision.decided))
            publications = decision.publications
            if now >= next_alerts:  # alerts scan every waiting ticket: every few seconds is enough
                next_alerts = now + ALERT_INTERVAL_S
                for gap in self.sequences.new_gaps(now):
                    log.warning("device %s: message %d never arrived (missing since %.0f s)",
                                gap.device_id, gap.seq, now - gap.missing_since)
                alerts_seen = self.core.alert_book.version
                if (alert := self.core.alert_publication(now)) is not None:
                    publications = [*publications, alert]
                if self.core.alert_book.version != alerts_seen:
                    self.hub.bump()
            await self._publish(client, publications)

    async def _publish_one(self, client: aiomqtt.Client, publication: Publication) -> None:
        await self._publish(client, [publication])

    def _committed(self, committed: Committed) -> None:
        for listener in self.commit_listeners:
            try:
                listener(committed)
            except Exception as err:  # a listener's bug must not cost the hall its answers
                self._log.log(log, logging.ERROR, f"listener:{type(err).__name__}", "commit listener failed: %r",
                              err)

    async def _publish(self, client: aiomqtt.Client, publications: list[Publication]) -> None:
        await _gathered(
            *(
                client.publish(p.topic, p.payload, qos=p.qos, retain=p.retain,
                               properties=publish_properties(expiry_s=p.expiry_s, correlation=p.correlation,
                                                             response_topic=p.response_topic)
                               if p.expiry_s or p.correlation else None)
                for p in publications
            )
        )


async def _gathered(*publishes: Awaitable[Any]) -> None:
    """Await every publish; a lost connection is raised (the caller reconnects), anything else is logged."""
    results = await asyncio.gather(*publishes, return_exceptions=True)
    lost = [r for r in results if isinstance(r, aiomqtt.MqttError)]
    if lost:
        raise lost[0]
    for r in results:
        if isinstance(r, BaseException):
            log.error("a publish failed: %r", r)


def audit_entry(item: _Incoming, decision: Decision, now: float) -> AuditEntry | None:
    """The audit line of a decided request: every change, and every refusal by the role table."""
    request, actor = item.request, item.actor
    if decision.audit is not None and actor is not None:
        action, target, detail = decision.audit
        return AuditEntry(ts=now, actor=actor.label, action=action, target=target, detail=detail,
                          origin=item.origin)
    if request is None or actor is None:
        return None
    reply = decision.reply
    if isinstance(reply, ErrorReply):
        if reply.code is not ErrorCode.FORBIDDEN:
            return None  # an engine refusal changed nothing and says nothing about trust
    elif not decision.events:
        return None  # a read-only query
    action, target, detail = describe(request, reply, decision.call_reason)
    return AuditEntry(ts=now, actor=actor.label, action=action, target=target, detail=detail, origin=item.origin,
                      outcome=reply.code.value if isinstance(reply, ErrorReply) else "ok")
