"""Wires one device's agent: MQTT session, local socket for the UI, hall feeds pushed to the UI."""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path

import aiomqtt

from edge_agent.config import AgentConfig
from edge_agent.local_server import LocalServer
from edge_agent.session import AgentSession, SessionOptions
from hall_protocol import roles, topics
from hall_protocol.codec import decode
from hall_protocol.errors import ProtocolError
from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
from hall_protocol.local import Event, Hello
from hall_protocol.mqtt import payload_bytes
from hall_protocol.tickets import RpcReply, RpcRequest, service_for

log = logging.getLogger(__name__)

HallFeed = CallEvent | TicketEvent | HallState | DisplayState


def tls_context_for(config: AgentConfig) -> ssl.SSLContext | None:
    b = config.broker
    if not b.tls:
        return None
    ctx = ssl.create_default_context(cafile=b.ca_file or None)
    if b.cert_file:
        ctx.load_cert_chain(b.cert_file, b.key_file or None)
    return ctx


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        password = Path(config.broker.password_file).read_text().strip() if config.broker.password_file else None
        self.session = AgentSession(
            SessionOptions(
                device_id=config.device_id,
                hall=config.hall,
                role=config.role,
                host=config.broker.host,
                port=config.broker.port,
                username=config.broker.username or None,
                password=password,
                tls_context=tls_context_for(config),
                extra_subscriptions=tuple(
                    t
                    for t in roles.subscribe_topics(config.hall, config.device_id, config.role, config.zone)
                    if t not in (topics.device_reply(config.hall, config.device_id),
                                 topics.device_cmd(config.hall, config.device_id))
                ),
            ),
            on_message=self._on_message,
            on_connectivity=self._on_connectivity,
        )
        self.local = LocalServer(
            config.socket_path,
            Hello(device_id=config.device_id, role=config.role.value, hall=config.hall),
            self._on_request,
        )

    async def run(self) -> None:
        await self.local.start()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.session.run(), name="mqtt-session")
        finally:
            await self.session.close()
            await self.local.close()

    async def _on_request(self, body: RpcRequest, timeout: float) -> RpcReply:
        return await self.session.request(service_for(body), body, min(timeout, self.config.request_timeout_s))

    def _on_connectivity(self, online: bool) -> None:
        log.info("hall %s", "reachable" if online else "unreachable")
        self.local.set_connectivity(online)

    async def _on_message(self, message: aiomqtt.Message) -> None:
        try:
            parsed = topics.parse(str(message.topic))
        except ValueError as err:
            log.warning("message on an unexpected topic ignored: %s", err)
            return
        if parsed.kind in ("hall", "display", "events"):
            try:
                body: HallFeed = decode(payload_bytes(message), HallFeed)
            except ProtocolError as err:
                log.warning("malformed hall feed on %s dropped: %s", message.topic, err)
                return
            self.local.push(Event(body=body))
        elif parsed.kind == "device" and parsed.leaf == "cmd":
            log.info("command received on %s", message.topic)
