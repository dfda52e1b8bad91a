"""A device as an attacker drives it: raw MQTT, any payload, any response topic, no agent in between.

Used against the in-process controller on a plain broker (test_hostile_device.py) and against a provisioned
hall with each device's own mutual-TLS identity (tests/e2e/test_hostile_kiosk.py)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiomqtt
import msgspec

from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.errors import ProtocolError
from hall_protocol.tickets import (
    IssueTicket,
    Priority,
    RpcReply,
    RpcRequest,
    TicketStatus,
    WindowCommand,
    WindowOp,
)
from hall_protocol.topics import RpcService
from hall_runtime.mqtt_client import correlation_of, make_client, publish_properties
from tests.fixtures.components import require_binary

OWN = object()
"""``response_topic=OWN``: the sender's own reply topic (what an honest agent names)."""


class RawDevice:
    def __init__(self, host: str, port: int, hall: str, device_id: str, *, tls_context: ssl.SSLContext | None = None,
                 username: str | None = None, password: str | None = None) -> None:
        self.hall, self.device_id = hall, device_id
        self.reply_topic = topics.device_reply(hall, device_id)
        self.client = make_client(host, port, identifier=f"raw-{device_id}-{uuid.uuid4().hex[:6]}",
                                  username=username, password=password, tls_context=tls_context, clean_start=True,
                                  session_expiry_s=0, pipelined_publishes=100_000)
        self._pending: dict[bytes, asyncio.Future[RpcReply]] = {}
        self.other_replies = 0  # answers nobody here waits for (a flood's)
        self.latest: dict[str, bytes] = {}  # the last message on every other topic it subscribed to
        self._arrivals = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RawDevice:
        await self.client.__aenter__()
        await self.client.subscribe(self.reply_topic, qos=1)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):  # cut off by the broker
                await self._reader
        with contextlib.suppress(aiomqtt.MqttError):
            await self.client.__aexit__(None, None, None)

    async def _read(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if str(message.topic) != self.reply_topic:
                async with self._arrivals:
                    self.latest[str(message.topic)] = payload
                    self._arrivals.notify_all()
                continue
            fut = self._pending.pop(correlation_of(message) or b"", None)
            if fut is None or fut.done():
                self.other_replies += 1
                continue
            try:
                fut.set_result(decode(payload, RpcReply))
            except ProtocolError as err:
                fut.set_exception(err)

    async def arrived(self, topic: str, timeout: float) -> bytes:
        """The next (or a retained) message on a topic this device subscribed to."""
        async with asyncio.timeout(timeout), self._arrivals:
            await self._arrivals.wait_for(lambda: topic in self.latest)
            return self.latest[topic]

    async def send(self, payload: bytes | RpcRequest, *, service: RpcService = RpcService.TICKET,
                   response_topic: object = OWN, correlation: bytes | None = None, topic: str | None = None,
                   version: int | None = None) -> None:
        """Publish one request and return at its PUBACK; nothing waits for an answer."""
        body = payload if isinstance(payload, bytes) else encode(payload)
        if version is not None:
            raw: dict[str, Any] = msgspec.json.decode(body)
            body = msgspec.json.encode({**raw, "v": version})
        reply_to = self.reply_topic if response_topic is OWN else response_topic
        props = publish_properties(response_topic=reply_to if isinstance(reply_to, str) else None,
                                   correlation=correlation)
        await self.client.publish(topic or topics.rpc(self.hall, self.device_id, service), body, qos=1,
                                  properties=props)

    async def request(self, payload: bytes | RpcRequest, *, service: RpcService = RpcService.TICKET,
                      timeout: float = 5.0, version: int | None = None) -> RpcReply:
        """Send and wait for the answer on the own reply topic."""
        correlation = uuid.uuid4().bytes
        fut: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._pending[correlation] = fut
        try:
            await self.send(payload, service=service, correlation=correlation, version=version)
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(correlation, None)

    async def timed(self, payload: bytes | RpcRequest, **kwargs: Any) -> tuple[RpcReply, float]:
        started = time.perf_counter()
        reply = await self.request(payload, **kwargs)
        return reply, time.perf_counter() - started


DEEP = b"[" * 1024 + b"]" * 1024
"""2 KB of nesting: what made the controller's parser raise RecursionError."""


def hostile_payloads(count: int) -> list[bytes]:
    """``count`` requests of every kind a hostile kiosk can send, in turn: valid (filling a service's daily cap),
    forbidden (a window command, a VIP ticket), nosy (a status of a ticket that is not its own), malformed."""
    kinds: list[Callable[[], bytes]] = [
        lambda: encode(IssueTicket(request_id=uuid.uuid4().hex, service="SB-RETIRE")),
        lambda: encode(WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=WindowOp.CALL_NEXT)),
        lambda: encode(TicketStatus(ticket_id="A001")),
        lambda: b'{"type":"ticket.issue","request_id":' + DEEP,
        lambda: encode(IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD", priority=Priority.VIP)),
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


class Flooder:
    """A flood from one device's own identity, sent by ``mosquitto_pub -l`` (one message per stdin line, QoS 1,
    MQTT v5 response topic and correlation data). A C client in its own process costs this machine almost
    nothing, as a kiosk elsewhere on the network would: what a test measures is the controller."""

    def __init__(self, host: str, port: int, hall: str, device_id: str, *, topic: str | None = None,
                 tls: tuple[str, str, str] | None = None, username: str | None = None,
                 password: str | None = None) -> None:
        """``tls``: (CA file, certificate, key) of the device, for the mutual-TLS listener."""
        self.argv = [
            require_binary("mosquitto clients", "mosquitto_pub"), "-h", host, "-p", str(port), "-V", "mqttv5",
            "-q", "1", "-l", "-i", f"flood-{device_id}", "-t", topic or topics.rpc(hall, device_id, RpcService.TICKET),
            "-D", "publish", "response-topic", topics.device_reply(hall, device_id),
            "-D", "publish", "correlation-data", "flood",
        ]
        if tls is not None:
            self.argv += ["--cafile", tls[0], "--cert", tls[1], "--key", tls[2]]
        if username is not None:
            self.argv += ["-u", username, "-P", password or ""]
        self.sent, self.cut_off, self.stderr = 0, False, ""

    async def run(self, payloads: list[bytes], *, seconds: float, burst: int = 50,
                  may_be_cut_off: bool = False) -> float:
        """Send ``payloads`` evenly over ``seconds``; the time it took until the last one was acknowledged, or
        (``may_be_cut_off``: the broker may drop this client) until it gave up. ``sent`` says how many were
        handed to the client (mosquitto_pub reads on after a lost connection), ``cut_off`` whether it failed."""
        proc = await asyncio.create_subprocess_exec(*self.argv, stdin=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        assert proc.stdin is not None
        started = time.perf_counter()
        self.sent, self.cut_off = 0, False
        # cut off, mosquitto_pub may exit with an error, exit 0, or retry its connection and stop reading stdin
        stalled = 5.0 if may_be_cut_off else 60.0
        err = b""
        try:
            try:
                for i in range(0, len(payloads), burst):
                    chunk = payloads[i : i + burst]
                    proc.stdin.write(b"\n".join(chunk) + b"\n")
                    await asyncio.wait_for(proc.stdin.drain(), stalled)
                    self.sent = i + len(chunk)
                    ahead = started + seconds * self.sent / len(payloads) - time.perf_counter()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                proc.stdin.close()
                _, err = await asyncio.wait_for(proc.communicate(), stalled)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                assert may_be_cut_off, "the flooding client stopped before its last message"
                self.cut_off = True
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        self.cut_off = self.cut_off or proc.returncode != 0
        self.stderr = err.decode(errors="replace")
        assert proc.returncode == 0 or may_be_cut_off, self.stderr[-2000:]
        return time.perf_counter() - started


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def hall_toml_with_devices(base: Path, out: Path, extra: str) -> Path:
    """``base`` with more ``[[devices]]`` appended (a second kiosk, say)."""
    out.write_text(base.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return out
