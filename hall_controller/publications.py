"""What the controller wants published, decided by the sans-IO core and sent by the MQTT adapter."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Publication:
    topic: str
    payload: bytes
    retain: bool = False
    qos: int = 1
    expiry_s: int | None = None
    correlation: bytes | None = None  # with ``response_topic``: a request (a command to a device)
    response_topic: str | None = None
