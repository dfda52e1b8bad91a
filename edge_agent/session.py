"""The agent's MQTT v5 session: birth and last will, reconnection with backoff, request/response.

One long-lived task (:meth:`AgentSession.run`) owns the connection; everything else talks to it through
``request``/``publish``/``publish_item`` and the callbacks given at construction.

Replies to outbox items carry a correlation made from the item's seq (:func:`outbox_correlation`), so that
an answer reaches whoever still waits for that item, whichever task sent it, even after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiomqtt

from edge_agent.outbox_items import OutboxItem
from edge_agent.replies import malformed_answer, request_id_of, unavailable
from hall_protocol import topics
from hall_protocol.codec import SCHEMA_VERSION, decode, encode
from hall_protocol.devices import DeviceState, Role
from hall_protocol.errors import ProtocolError
from hall_protocol.mqtt import PROP_DEVICE_ID, PROP_DEVICE_SEQ, PROP_KEY, PROP_LANE
from hall_protocol.tickets import RpcReply, RpcRequest
from hall_runtime.backoff import Backoff
from hall_runtime.mqtt_client import correlation_of, make_client, payload_bytes, publish_properties

log = logging.getLogger(__name__)

MessageHandler = Callable[[aiomqtt.Message], Awaitable[None]]
ConnectivityHandler = Callable[[bool], None]
OutboxReplyHandler = Callable[[int, RpcReply], None]

_OUTBOX_TAG = b"ob"


def outbox_correlation(seq: int) -> bytes:
    return _OUTBOX_TAG + seq.to_bytes(8, "big")


def outbox_seq(correlation: bytes | None) -> int | None:
    """The outbox seq a correlation was made from, or None for any other correlation."""
    if correlation is None or len(correlation) != 10 or not correlation.startswith(_OUTBOX_TAG):
        return None
    return int.from_bytes(correlation[2:], "big")


@dataclass
class SessionOptions:
    device_id: str
    hall: str
    role: Role
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls_context: ssl.SSLContext | None = None
    software_version: str = "0.1.0"
    capabilities: tuple[str, ...] = ()
    extra_subscriptions: tuple[str, ...] = ()
    boot_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    reconnect_base_s: float = 0.5
    reconnect_cap_s: float = 30.0


class AgentSession:
    def __init__(
        self,
        options: SessionOptions,
        *,
        on_message: MessageHandler | None = None,
        on_connectivity: ConnectivityHandler | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.o = options
        self._on_message = on_message
        self._on_connectivity = on_connectivity
        # Answers to outbox items go to whoever sends them (the Forwarder), which needs this session to be
        # built, so it is attached afterwards rather than passed in here.
        self.on_outbox_reply: OutboxReplyHandler | None = None
        self._backoff = backoff or Backoff(base=options.reconnect_base_s, cap=options.reconnect_cap_s)
        self._client: aiomqtt.Client | None = None
        self._lost: asyncio.Future[None] | None = None  # resolved when the current connection ends
        self._pending: dict[bytes, asyncio.Future[RpcReply]] = {}
        self.connected = asyncio.Event()
        self.online_since = time.time()
        self.reply_topic = topics.device_reply(options.hall, options.device_id)
        self.connects = 0
        self.last_reply_at = 0.0  # monotonic time of the last answer from the hall (any kind)

    # -- public API --------------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.connected.is_set()

    async def request(self, service: topics.RpcService, body: RpcRequest, timeout: float) -> RpcReply:
        """Send ``body`` to the controller and wait for its answer.

        Returns an ErrorReply (never raises) when the hall cannot be reached or does not answer in time.
        """
        request_id = request_id_of(body)
        if self._client is None or not self.online:
            return unavailable(request_id, "hall unreachable")
        correlation = uuid.uuid4().bytes
        fut: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._pending[correlation] = fut
        try:
            props = publish_properties(
                response_topic=self.reply_topic, correlation=correlation, expiry_s=max(1, int(timeout))
            )
            await self._publish(topics.rpc(self.o.hall, self.o.device_id, service), encode(body), qos=1, retain=False,
                                properties=props)
            return await asyncio.wait_for(fut, timeout)
        except (aiomqtt.MqttError, TimeoutError) as err:
            log.warning("request %s to %s failed: %s", request_id, service.value, err)
            return unavailable(request_id, "no answer from the hall")
        finally:
            self._pending.pop(correlation, None)

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
        correlation: bytes | None = None,
    ) -> None:
        """Publish now and wait for the PUBACK (QoS 1); raises aiomqtt.MqttError when disconnected or when
        the connection is lost before the broker acknowledged."""
        props = None
        if expiry_s or correlation is not None:
            props = publish_properties(expiry_s=expiry_s, correlation=correlation)
        await self._publish(topic, payload, qos=qos, retain=retain, properties=props)

    async def publish_item(self, item: OutboxItem, *, now: float) -> None:
        """Publish an outbox item with its seq, lane, key and device id as MQTT v5 user properties (so a
        receiver can audit the device's sequence), and, for rpc topics, this device's response topic and a
        correlation that names the seq. Returns on PUBACK; raises aiomqtt.MqttError otherwise."""
        is_rpc = topics.is_rpc(item.topic)
        props = publish_properties(
            response_topic=self.reply_topic if is_rpc else None,
            correlation=outbox_correlation(item.seq) if is_rpc else None,
            expiry_s=item.expiry_interval(now),
        )
        props.UserProperty = [
            (PROP_DEVICE_ID, self.o.device_id),
            (PROP_DEVICE_SEQ, str(item.seq)),
            (PROP_LANE, item.lane.value),
            (PROP_KEY, item.key),
        ]
        await self._publish(item.topic, item.payload, qos=item.qos, retain=False, properties=props)

    async def _publish(self, topic: str, payload: bytes, *, qos: int, retain: bool, properties: Any) -> None:
        client, lost = self._client, self._lost
        if client is None or lost is None or lost.done() or not self.online:
            raise aiomqtt.MqttError("not connected")
        # aiomqtt only notices a lost PUBACK at its own timeout (10 s); the connection's end tells us sooner.
        publishing = asyncio.ensure_future(
            client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        )
        try:
            await asyncio.wait((publishing, lost), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            publishing.cancel()
            raise
        if not publishing.done():
            publishing.cancel()
            raise aiomqtt.MqttError("connection lost before PUBACK")
        publishing.result()

    # -- the connection loop ---------------------------------------------------------------------

    def _birth(self, online: bool) -> bytes:
        return encode(
            DeviceState(
                device_id=self.o.device_id,
                role=self.o.role,
                online=online,
                boot_id=self.o.boot_id,
                software_version=self.o.software_version,
                schema_version=SCHEMA_VERSION,
                capabilities=self.o.capabilities,
                ts=time.time(),
            )
        )

    async def run(self) -> None:
        """Connect, serve, and reconnect forever (until cancelled)."""
        state_topic = topics.device_state(self.o.hall, self.o.device_id)
        while True:
            will = aiomqtt.Will(state_topic, self._birth(False), qos=1, retain=True)
            client = make_client(
                self.o.host,
                self.o.port,
                identifier=f"dev-{self.o.device_id}",
                will=will,
                username=self.o.username,
                password=self.o.password,
                tls_context=self.o.tls_context,
            )
            # The outbox drain keeps a window of publishes in flight on purpose; aiomqtt warns above 10.
            client.pending_calls_threshold = 256
            try:
                async with client:
                    self._client = client
                    self._lost = asyncio.get_running_loop().create_future()
                    await client.publish(state_topic, self._birth(True), qos=1, retain=True)
                    await client.subscribe(self.reply_topic, qos=1)
                    await client.subscribe(topics.device_cmd(self.o.hall, self.o.device_id), qos=1)
                    for sub in self.o.extra_subscriptions:
                        await client.subscribe(sub, qos=1)
                    self.connects += 1
                    self._backoff.reset()
                    self._set_online(True)
                    log.info("connected to %s:%d as %s", self.o.host, self.o.port, self.o.device_id)
                    try:
                        async for message in client.messages:
                            await self._dispatch(message)
                    except asyncio.CancelledError:
                        # a clean stop sends no last will: say "offline" ourselves before disconnecting
                        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                            async with asyncio.timeout(2):
                                await client.publish(state_topic, self._birth(False), qos=1, retain=True)
                        raise
            except aiomqtt.MqttError as err:
                log.warning("broker connection lost: %s", err)
            finally:
                self._client = None
                if self._lost is not None and not self._lost.done():
                    self._lost.set_result(None)
                self._set_online(False)
                for fut in self._pending.values():
                    if not fut.done():
                        fut.set_exception(aiomqtt.MqttError("connection lost"))
            await asyncio.sleep(self._backoff.next_delay())

    async def close(self) -> None:
        """Graceful stop: mark the device offline ourselves (a clean disconnect sends no will)."""
        client = self._client
        if client is not None and self.online:
            with contextlib.suppress(aiomqtt.MqttError):
                await client.publish(
                    topics.device_state(self.o.hall, self.o.device_id), self._birth(False), qos=1, retain=True
                )

    def _set_online(self, online: bool) -> None:
        if online == self.online:
            return
        if online:
            self.connected.set()
        else:
            self.connected.clear()
        self.online_since = time.time()
        if self._on_connectivity is not None:
            self._on_connectivity(online)

    async def _dispatch(self, message: aiomqtt.Message) -> None:
        if message.topic.matches(self.reply_topic):
            self.last_reply_at = time.monotonic()
            correlation = correlation_of(message)
            seq = outbox_seq(correlation)
            if seq is not None:
                try:
                    answer: RpcReply = decode(payload_bytes(message), RpcReply)
                except ProtocolError as err:
                    log.warning("malformed reply to outbox item %d dropped: %s", seq, err)
                    return
                if self.on_outbox_reply is not None:
                    self.on_outbox_reply(seq, answer)
                return
            fut = self._pending.get(correlation or b"")
            if fut is None or fut.done():
                log.info("reply with unknown correlation on %s ignored", message.topic)
                return
            try:
                reply: RpcReply = decode(payload_bytes(message), RpcReply)
            except ProtocolError as err:
                log.warning("malformed reply dropped: %s", err)
                reply = malformed_answer(err)
            fut.set_result(reply)
            return
        if self._on_message is not None:
            try:
                await self._on_message(message)
            except Exception:
                # One bad message must not take the session down.
                log.exception("handler failed for a message on %s", message.topic)
