"""The local-socket protocol between a device UI (kiosk, screen, evaluator) and its edge agent.

Transport: a Unix stream socket; each frame is one JSON object followed by ``\\n`` (msgspec never emits a
raw newline inside JSON). :class:`LineFramer` is the sans-IO framing: bytes in, frames out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Generic, TypeVar

import msgspec

from hall_protocol.codec import Message, decode
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
from hall_protocol.health import PeripheralHealth
from hall_protocol.tickets import RequestId, RpcReply, RpcRequest

log = logging.getLogger(__name__)
M = TypeVar("M")

DEFAULT_SOCKET = "/run/onevisit/agent.sock"
MAX_FRAME = 1 << 20


class PrintDocument(Message, frozen=True, tag="local.print-document"):
    """Ask the agent to log a self-service print for the hall's records (the kiosk prints itself)."""

    request_id: str
    document_kind: str
    pages: int
    req: int = 0  # when non-zero the agent answers with Reply(req=..., body=Ack(...))


class Request(Message, frozen=True, tag="local.request"):
    """UI → agent: forward ``body`` to the hall. ``req`` pairs the reply with the request."""

    req: int
    body: RpcRequest
    timeout_s: float = 5.0


class CheckInById(Message, frozen=True, tag="local.checkin-by-id"):
    """UI → agent: check in an appointment by the citizen's ID number. The agent sends the hall only the
    keyed hash of the number (``hall_protocol.appointments.id_lookup``, with the hall's check-in key that
    only the agent holds); the number itself never leaves the device. Answered with ``Reply(req=...)``."""

    req: int
    request_id: RequestId
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    timeout_s: float = 5.0


class Reply(Message, frozen=True, tag="local.reply"):
    req: int
    body: RpcReply


class Subscribe(Message, frozen=True, tag="local.subscribe"):
    """UI → agent: which hall events to push (zones for display state; calls; tickets)."""

    zones: tuple[str, ...] = ()
    calls: bool = False
    tickets: bool = False
    hall_state: bool = False
    commands: bool = False  # this client runs remote commands (restart-ui, self-test, print-test-page)


class Connectivity(Message, frozen=True, tag="local.connectivity"):
    """Agent → UI: whether the hall is reachable; pushed on every change and on connect."""

    online: bool
    since: float
    outbox_depth: int = 0


class Event(Message, frozen=True, tag="local.event"):
    body: CallEvent | TicketEvent | HallState | DisplayState


class HealthReport(Message, frozen=True, tag="local.health"):
    """UI → agent: the health of the peripherals the UI process drives."""

    peripherals: dict[str, PeripheralHealth] = msgspec.field(default_factory=dict)


class Hello(Message, frozen=True, tag="local.hello"):
    """Agent → UI on connect: who this device is."""

    device_id: str
    role: str
    hall: str


class LocalCommand(Message, frozen=True, tag="local.command"):
    """Agent → UI: run an allow-listed remote command; answer with LocalCommandResult before expires_at."""

    command_id: str
    name: str  # a hall_protocol.devices.CommandName value the UI runs: restart-ui, self-test, print-test-page
    expires_at: float
    args: dict[str, str] = msgspec.field(default_factory=dict)


class LocalCommandResult(Message, frozen=True, tag="local.command-result"):
    """UI → agent: the outcome of a LocalCommand."""

    command_id: str
    ok: bool
    detail: str = ""
    data: dict[str, str] = msgspec.field(default_factory=dict)


ToAgent = Request | Subscribe | HealthReport | PrintDocument | LocalCommandResult | CheckInById
ToUi = Reply | Event | Connectivity | Hello | LocalCommand


class OversizedFrame(ProtocolError):
    """A frame longer than the limit. ``frames`` are the complete frames that came before it in the same data:
    they are good, and must not be lost with it."""

    def __init__(self, limit: int, frames: list[bytes]) -> None:
        super().__init__(ErrorCode.MALFORMED, f"frame longer than {limit} bytes")
        self.frames = frames


class LineFramer:
    """Splits a byte stream into newline-terminated frames. Sans-IO.

    ``feed`` returns complete frames; a frame longer than ``max_frame`` raises :class:`OversizedFrame` (with the
    frames before it) and the framer skips to the next newline so one bad frame costs only itself. The limit
    bounds the buffer; a frame that arrives whole is bounded by the decoder's own size limit.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if self._discarding:
                    self._buf.clear()
                elif len(self._buf) > self._max:
                    self._buf.clear()
                    self._discarding = True
                    raise OversizedFrame(self._max, frames)
                return frames
            frame = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._discarding:
                self._discarding = False
                continue
            if frame.strip():
                frames.append(frame)


class FrameDecoder(Generic[M]):
    """Bytes in, decoded messages out: :class:`LineFramer` plus ``decode``. Sans-IO.

    A frame that is too long or does not decode costs only itself: it is logged once with ``who`` and the
    reason, and the stream goes on with the next frame.
    """

    def __init__(self, decode: Callable[[bytes], M], who: str, max_frame: int = MAX_FRAME) -> None:
        self._framer = LineFramer(max_frame)
        self._decode = decode
        self._who = who

    def feed(self, data: bytes) -> list[M]:
        try:
            frames = self._framer.feed(data)
        except OversizedFrame as err:
            log.warning("%s sent an oversized frame: %s", self._who, err)
            frames = err.frames
        out: list[M] = []
        for raw in frames:
            try:
                out.append(self._decode(raw))
            except ProtocolError as err:
                log.warning("%s sent a bad frame: %s", self._who, err)
        return out


async def read_messages(reader: asyncio.StreamReader, decoder: FrameDecoder[M]) -> AsyncIterator[M]:
    """Every message from ``reader`` until the peer closes the stream."""
    while data := await reader.read(65536):
        for msg in decoder.feed(data):
            yield msg


def frame(msg: Message) -> bytes:
    return msgspec.json.encode(msg) + b"\n"


def decode_to_agent(data: bytes) -> ToAgent:
    result: ToAgent = decode(data, ToAgent)
    return result


def decode_to_ui(data: bytes) -> Reply | Event | Connectivity | Hello | LocalCommand:
    result: Reply | Event | Connectivity | Hello | LocalCommand = decode(data, ToUi)
    return result
