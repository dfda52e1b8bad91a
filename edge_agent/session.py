"""The agent's MQTT v5 session: birth and last will, reconnection with backoff, request/response.

One long-lived task (:meth:`AgentSession.run`) owns the connection; everything else talks to it through
``request``/``publish`` and the callbacks given at construction.
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

import aiomqtt

from edge_agent.backoff import Backoff
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.devices import DeviceState, Role
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.mqtt import correlation_of, make_client, payload_bytes, publish_properties
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest

log = logging.getLogger(__name__)

MessageHandler = Callable[[aiomqtt.Message], Awaitable[None]]
ConnectivityHandler = Callable[[bool], None]


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
        self._backoff = backoff or Backoff()
        self._client: aiomqtt.Client | None = None
        self._pending: dict[bytes, asyncio.Future[RpcReply]] = {}
        self.connected = asyncio.Event()
        self.online_since = time.time()
        self.reply_topic = topics.device_reply(options.hall, options.device_id)
        self.connects = 0

    # -- public API --------------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.connected.is_set()

    async def request(self, service: topics.RpcService, body: RpcRequest, timeout: float) -> RpcReply:
        """Send ``body`` to the controller and wait for its answer.

        Returns an ErrorReply (never raises) when the hall cannot be reached or does not answer in time.
        """
        request_id = getattr(body, "request_id", "") or ""
        client = self._client
        if client is None or not self.online:
            return _unavailable(request_id, "hall unreachable")
        correlation = uuid.uuid4().bytes
        fut: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._pending[correlation] = fut
        try:
            props = publish_properties(
                response_topic=self.reply_topic, correlation=correlation, expiry_s=max(1, int(timeout))
            )
            await client.publish(topics.rpc(self.o.hall, service), encode(body), qos=1, properties=props)
            return await asyncio.wait_for(fut, timeout)
        except (aiomqtt.MqttError, TimeoutError) as err:
            log.warning("request %s to %s failed: %s", request_id, service.value, err)
            return _unavailable(request_id, "no answer from the hall")
        finally:
            self._pending.pop(correlation, None)

    async def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False, expiry_s: int | None = None
    ) -> None:
        """Publish now; raises aiomqtt.MqttError when disconnected (the outbox catches and keeps it)."""
        client = self._client
        if client is None or not self.online:
            raise aiomqtt.MqttError("not connected")
        props = publish_properties(expiry_s=expiry_s) if expiry_s else None
        await client.publish(topic, payload, qos=qos, retain=retain, properties=props)

    # -- the connection loop ---------------------------------------------------------------------

    def _birth(self, online: bool) -> bytes:
        return encode(
            DeviceState(
                device_id=self.o.device_id,
                role=self.o.role,
                online=online,
                boot_id=self.o.boot_id,
                software_version=self.o.software_version,
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
            try:
                async with client:
                    self._client = client
                    await client.publish(state_topic, self._birth(True), qos=1, retain=True)
                    await client.subscribe(self.reply_topic, qos=1)
                    await client.subscribe(topics.device_cmd(self.o.hall, self.o.device_id), qos=1)
                    for sub in self.o.extra_subscriptions:
                        await client.subscribe(sub, qos=1)
                    self.connects += 1
                    self._backoff.reset()
                    self._set_online(True)
                    log.info("connected to %s:%d as %s", self.o.host, self.o.port, self.o.device_id)
                    async for message in client.messages:
                        await self._dispatch(message)
            except aiomqtt.MqttError as err:
                log.warning("broker connection lost: %s", err)
            finally:
                self._client = None
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
            correlation = correlation_of(message)
            fut = self._pending.get(correlation or b"")
            if fut is None or fut.done():
                log.info("reply with unknown correlation on %s ignored", message.topic)
                return
            try:
                reply: RpcReply = decode(payload_bytes(message), RpcReply)
            except ProtocolError as err:
                log.warning("malformed reply dropped: %s", err)
                reply = ErrorReply(request_id="", code=err.code, message=str(err), field=err.field)
            fut.set_result(reply)
            return
        if self._on_message is not None:
            try:
                await self._on_message(message)
            except Exception:
                # One bad message must not take the session down.
                log.exception("handler failed for a message on %s", message.topic)


def _unavailable(request_id: str, why: str) -> ErrorReply:
    return ErrorReply(
        request_id=request_id,
        code=ErrorCode.UNAVAILABLE,
        message=why,
        message_zh="暂时无法连接大厅系统。",
    )
