"""The MQTT v5 conventions every OneVisit process follows: session settings and user-property names.

Only names and numbers live here, so the contract stays importable without an MQTT library; the client
that applies them is ``hall_runtime.mqtt_client``.
"""

from __future__ import annotations

import socket

KEEPALIVE_S = 15
SESSION_EXPIRY_S = 3600
"""A persistent session survives a blip this long, so QoS 1 subscriptions keep their messages."""

# paho never sets TCP_NODELAY: a two-client QoS 1 request/response then waits on Nagle's algorithm
# (~88 ms here instead of ~0.8 ms, DESIGN §9).
NODELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

# MQTT v5 user properties on every message an agent sends from its outbox: its place in that device's
# sequence (so the receiver can audit gaps and duplicates without touching the payload schema). The sender's
# identity is never taken from these: it comes from the topic the broker let the device publish on.
PROP_DEVICE_ID = "device_id"
PROP_DEVICE_SEQ = "device_seq"
PROP_LANE = "lane"
PROP_KEY = "key"
