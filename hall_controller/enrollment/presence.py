"""Keeps the registry's online/offline state and self-test results in step with the devices' own topics.

Runs as its own MQTT client (the controller's broker account) inside the controller's TaskGroup; the
controller may instead forward the messages it already receives to
:meth:`EnrollmentService.on_device_message`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

import aiomqtt

from hall_controller.enrollment.service import EnrollmentService
from hall_protocol import topics
from hall_protocol.mqtt import make_client, payload_bytes

log = logging.getLogger(__name__)


async def follow_devices(
    service: EnrollmentService,
    *,
    host: str,
    port: int,
    username: str | None = None,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve until cancelled; reconnects with backoff when the broker goes away."""
    hall = service.settings.hall
    delay = 0.5
    while True:
        client = make_client(host, port, identifier=f"hall-enrollment-{hall}", username=username,
                             password=password, tls_context=tls_context, clean_start=True, session_expiry_s=0)
        try:
            async with client:
                await client.subscribe(topics.all_device_states(hall), qos=1)
                await client.subscribe(topics.all_device_events(hall), qos=1)
                delay = 0.5
                if ready is not None:
                    ready.set()
                async for message in client.messages:
                    try:
                        parsed = topics.parse(str(message.topic))
                    except ValueError as err:
                        log.warning("ignored: %s", err)
                        continue
                    if parsed.kind == "device" and parsed.leaf in ("state", "events"):
                        await service.on_device_message(parsed.name, parsed.leaf, payload_bytes(message))
        except aiomqtt.MqttError as err:
            log.warning("device presence: broker connection lost: %s", err)
        if ready is not None:
            ready.clear()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)
