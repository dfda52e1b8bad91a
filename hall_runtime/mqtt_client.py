"""An aiomqtt client that follows ``hall_protocol.mqtt``'s conventions, and readers of v5 properties.

The functions only build objects; the callers own the connection and its reconnection (the aiomqtt way).
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hall_protocol.mqtt import KEEPALIVE_S, NODELAY, SESSION_EXPIRY_S
from hall_runtime.log_limit import RateLimitFilter

_LOGGER = logging.getLogger("aiomqtt")
_LOGGER.addFilter(RateLimitFilter())  # its per-publish warnings must not flood the journal under load


def make_client(
    host: str,
    port: int,
    *,
    identifier: str,
    will: aiomqtt.Will | None = None,
    username: str | None = None,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    keepalive: int = KEEPALIVE_S,
    clean_start: bool = False,
    session_expiry_s: int = SESSION_EXPIRY_S,
    max_queued_incoming: int | None = None,
    pipelined_publishes: int = 10,
) -> aiomqtt.Client:
    """An MQTT v5 client with TCP_NODELAY and a persistent session (so QoS 1 subscriptions survive a blip).

    ``pipelined_publishes``: how many QoS 1 publishes may await their PUBACK together before aiomqtt warns;
    a process that pipelines on purpose (the controller) raises it."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = session_expiry_s
    client = aiomqtt.Client(
        host,
        port,
        identifier=identifier,
        protocol=aiomqtt.ProtocolVersion.V5,
        will=will,
        username=username,
        password=password,
        tls_context=tls_context,
        keepalive=keepalive,
        clean_start=clean_start,
        properties=props,
        socket_options=[NODELAY],
        max_queued_incoming_messages=max_queued_incoming,
        timeout=10,
        logger=_LOGGER,
    )
    client.pending_calls_threshold = pipelined_publishes
    return client


def publish_properties(
    *,
    response_topic: str | None = None,
    correlation: bytes | None = None,
    expiry_s: int | float | None = None,
    user: dict[str, str] | None = None,
) -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    if response_topic is not None:
        props.ResponseTopic = response_topic
    if correlation is not None:
        props.CorrelationData = correlation
    if expiry_s is not None:
        props.MessageExpiryInterval = max(1, int(expiry_s))
    if user:
        props.UserProperty = list(user.items())
    return props


def response_topic_of(message: aiomqtt.Message) -> str | None:
    props: Any = message.properties
    value = getattr(props, "ResponseTopic", None) if props is not None else None
    return value if isinstance(value, str) else None


def correlation_of(message: aiomqtt.Message) -> bytes | None:
    props: Any = message.properties
    value = getattr(props, "CorrelationData", None) if props is not None else None
    return bytes(value) if isinstance(value, bytes | bytearray) else None


def payload_bytes(message: aiomqtt.Message) -> bytes:
    p = message.payload
    if isinstance(p, bytes | bytearray):
        return bytes(p)
    if isinstance(p, str):
        return p.encode()
    return b"" if p is None else str(p).encode()


def user_properties(message: aiomqtt.Message) -> dict[str, str]:
    """MQTT v5 user properties of a received message (later values of a repeated name win)."""
    props: Any = message.properties
    pairs = getattr(props, "UserProperty", None) if props is not None else None
    return {str(k): str(v) for k, v in pairs or ()}
