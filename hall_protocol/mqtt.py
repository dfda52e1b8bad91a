"""The MQTT v5 conventions every OneVisit process uses: client options and request/response properties.

Kept beside the topics so that "how the parts talk" has one home. The functions only build objects; the
callers own the connection and its reconnection (the aiomqtt way).
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

KEEPALIVE_S = 15

# paho never sets TCP_NODELAY: a two-client QoS 1 request/response then waits on Nagle's algorithm
# (~88 ms here instead of ~0.8 ms, DESIGN §9).
NODELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


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
    session_expiry_s: int = 3600,
    max_queued_incoming: int | None = None,
) -> aiomqtt.Client:
    """An MQTT v5 client with TCP_NODELAY and a persistent session (so QoS 1 subscriptions survive a blip)."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = session_expiry_s
    return aiomqtt.Client(
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
    )


def publish_properties(
    *, response_topic: str | None = None, correlation: bytes | None = None, expiry_s: int | None = None
) -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    if response_topic is not None:
        props.ResponseTopic = response_topic
    if correlation is not None:
        props.CorrelationData = correlation
    if expiry_s is not None:
        props.MessageExpiryInterval = max(1, int(expiry_s))
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


# MQTT v5 user properties on every message an agent sends from its outbox: who sent it, and its place in that
# device's sequence (so the receiver can audit gaps and duplicates without touching the payload schema).
PROP_DEVICE_ID = "device_id"
PROP_DEVICE_SEQ = "device_seq"
PROP_LANE = "lane"
PROP_KEY = "key"


def user_properties(message: aiomqtt.Message) -> dict[str, str]:
    """MQTT v5 user properties of a received message (later values of a repeated name win)."""
    props: Any = message.properties
    pairs = getattr(props, "UserProperty", None) if props is not None else None
    return {str(k): str(v) for k, v in pairs or ()}
