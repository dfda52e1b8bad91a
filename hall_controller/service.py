"""The controller's MQTT adapter: requests in, decisions from the core, durable commit, answers out.

Requests are handled one batch at a time by a single writer: every request waiting in the queue is decided
in memory, the batch's events and answers are committed in one SQLite transaction (group commit: one fsync
for many requests), and only then are the answers and hall updates published. A crash therefore loses
nothing that was answered, and a replayed request id gets its first answer back from the store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiomqtt

from hall_controller.core import ControllerCore, Decision
from hall_controller.publications import Publication
from hall_controller.sequence_audit import SequenceAudit
from hall_controller.store import Store
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.mqtt import (
    PROP_DEVICE_ID,
    PROP_DEVICE_SEQ,
    correlation_of,
    make_client,
    payload_bytes,
    publish_properties,
    response_topic_of,
    user_properties,
)
from hall_protocol.tickets import ErrorReply, RpcRequest

log = logging.getLogger(__name__)

MAX_BATCH = 256
ALERT_INTERVAL_S = 5.0


@dataclass(frozen=True, slots=True)
class _Incoming:
    request: RpcRequest | None
    error: ErrorReply | None
    response_topic: str | None
    correlation: bytes | None
    source: str


class ControllerService:
    def __init__(
        self, core: ControllerCore, store: Store, *, clock: Callable[[], float] = time.time, tick_s: float = 1.0
    ) -> None:
        self.core = core
        self.store = store
        self.clock = clock
        self.tick_s = tick_s
        self.hall = core.hall_id
        self._queue: asyncio.Queue[_Incoming] = asyncio.Queue()
        self.handled = 0
        self.ready = asyncio.Event()
        self.last_tick = time.monotonic()
        self.sequences = SequenceAudit()

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
        delay = 0.5
        while True:
            client = make_client(host, port, identifier=f"{identifier}-{self.hall}", username=username,
                                 password=password)
            try:
                async with client:
                    await client.subscribe(topics.all_rpc(self.hall), qos=1)
                    await client.subscribe(topics.all_device_states(self.hall), qos=1)
                    await client.subscribe(topics.all_device_events(self.hall), qos=1)
                    delay = 0.5
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
            self.ready.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    def healthy(self) -> bool:
        """Connected and the time-driven loop is turning (what the systemd watchdog pings on)."""
        return self.ready.is_set() and time.monotonic() - self.last_tick < max(10.0, 5 * self.tick_s)

    def _accept(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        try:
            parsed = topics.parse(topic)
        except ValueError as err:
            log.warning("ignored: %s", err)
            return
        if parsed.kind == "device":
            self.core.on_device_message(parsed.name, parsed.leaf, payload_bytes(message), self.clock())
            return
        if parsed.kind != "rpc":
            return
        props = user_properties(message)
        if PROP_DEVICE_ID in props and props.get(PROP_DEVICE_SEQ, "").isdigit():
            self.sequences.observe(props[PROP_DEVICE_ID], int(props[PROP_DEVICE_SEQ]), self.clock())
        response_topic = response_topic_of(message)
        correlation = correlation_of(message)
        try:
            request: RpcRequest = decode(payload_bytes(message), RpcRequest)
            self._queue.put_nowait(_Incoming(request, None, response_topic, correlation, parsed.name))
        except ProtocolError as err:
            log.warning("rejected a malformed request on %s: %s", topic, err)
            reply = ErrorReply(request_id="", code=err.code, message=err.message, field=err.field,
                               message_zh="请求格式有误。")
            self._queue.put_nowait(_Incoming(None, reply, response_topic, correlation, parsed.name))

    async def _worker(self, client: aiomqtt.Client) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._handle_batch(client, batch)

    async def _handle_batch(self, client: aiomqtt.Client, batch: list[_Incoming]) -> None:
        now = self.clock()
        answers: list[tuple[_Incoming, bytes]] = []
        events: list[bytes] = []
        replies: list[tuple[str, bytes]] = []
        publications: list[Publication] = []
        for item in batch:
            if item.request is None:
                assert item.error is not None
                answers.append((item, encode(item.error)))
                continue
            request_id = getattr(item.request, "request_id", None)
            first = self.core.replayed(request_id) if request_id else None
            if first is not None:
                answers.append((item, first))  # a replay gets the first answer, and changes nothing
                continue
            try:
                decision: Decision = self.core.on_request(item.request, item.source, now)
            except Exception:
                # A bug must cost one request, not the service.
                log.exception("request %s failed inside the controller", request_id)
                err = ErrorReply(request_id=request_id or "", code=ErrorCode.INTERNAL, message="internal error",
                                 message_zh="系统内部错误，请联系工作人员。")
                answers.append((item, encode(err)))
                continue
            reply = encode(decision.reply)
            answers.append((item, reply))
            events.extend(decision.events)
            publications.extend(decision.publications)
            if request_id and decision.remember:
                replies.append((request_id, reply))
        if events or replies:
            await self.store.commit_batch(events, now, replies)
        # QoS 1 publishes are pipelined: awaiting each PUBACK in turn would add a broker round trip per message
        await asyncio.gather(
            *(
                client.publish(
                    item.response_topic,
                    payload,
                    qos=1,
                    properties=publish_properties(correlation=item.correlation) if item.correlation else None,
                )
                for item, payload in answers
                if item.response_topic
            ),
            self._publish(client, publications),
        )
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
            publications = decision.publications
            if now >= next_alerts:  # alerts scan every waiting ticket: every few seconds is enough
                next_alerts = now + ALERT_INTERVAL_S
                for gap in self.sequences.new_gaps(now):
                    log.warning("device %s: message %d never arrived (missing since %.0f s)",
                                gap.device_id, gap.seq, now - gap.missing_since)
                if (alert := self.core.alert_publication(now)) is not None:
                    publications = [*publications, alert]
            await self._publish(client, publications)

    async def _publish(self, client: aiomqtt.Client, publications: list[Publication]) -> None:
        await asyncio.gather(
            *(
                client.publish(p.topic, p.payload, qos=p.qos, retain=p.retain,
                               properties=publish_properties(expiry_s=p.expiry_s) if p.expiry_s else None)
                for p in publications
            )
        )
