"""A gateway that sends nothing and records what it was given, for the demo and tests.

It can be told to fail like a real platform: ``fail(mode, times)`` makes the next ``times`` sends time out
(after ``delay_s``), answer 5xx, rate-limit (with a Retry-After) or refuse for good. Records hold the masked
number only, so a record file never holds personal data.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from hall_controller.notify.config import SimulatorGateway
from hall_controller.notify.gateway import Channel, DeliveryError, Outgoing
from hall_protocol.identity import mask_phone


class FailMode(StrEnum):
    TIMEOUT = "timeout"
    SERVER_ERROR = "5xx"
    RATE_LIMIT = "rate-limit"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class SentRecord:
    message_id: str
    ticket_id: str
    kind: str
    to: str  # masked
    text: str
    at: float


class Simulator:
    def __init__(self, config: SimulatorGateway | None = None, *, delay_s: float = 0.0) -> None:
        self.config = config or SimulatorGateway()
        self.channel = Channel(self.config.channel)
        self.name = f"simulator ({self.channel})"
        self.delay_s = delay_s
        self.sent: list[SentRecord] = []
        self.attempts = 0
        self.retry_after_s = 0.2
        self._failures: deque[FailMode] = deque()
        self._record = Path(self.config.record_path) if self.config.record_path else None
        self.delivered = asyncio.Condition()

    def fail(self, mode: FailMode, times: int = 1) -> None:
        self._failures.extend([mode] * times)

    async def send(self, message: Outgoing) -> str:
        self.attempts += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self._failures:
            mode = self._failures.popleft()
            if mode is FailMode.TIMEOUT:
                await asyncio.sleep(self.delay_s or 0.05)
                raise DeliveryError("timeout", retryable=True)
            if mode is FailMode.SERVER_ERROR:
                raise DeliveryError("platform error (503)", retryable=True)
            if mode is FailMode.RATE_LIMIT:
                raise DeliveryError("rate-limited (429)", retryable=True, retry_after_s=self.retry_after_s)
            raise DeliveryError("refused (400)", retryable=False)
        to = mask_phone(message.to) if self.channel is Channel.SMS else message.to[:4] + "****"
        record = SentRecord(message.message_id, message.notice.ticket_id, message.notice.kind.value, to,
                            message.notice.text(), time.time())
        self.sent.append(record)
        if self._record is not None:
            line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
            await asyncio.to_thread(_append, self._record, line)
        async with self.delivered:
            self.delivered.notify_all()
        return f"sim-{len(self.sent)}"

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[SentRecord]:
        """Until at least ``count`` messages were sent (TimeoutError otherwise)."""
        async with asyncio.timeout(timeout), self.delivered:
            await self.delivered.wait_for(lambda: len(self.sent) >= count)
        return list(self.sent)

    async def aclose(self) -> None:
        return None


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line)
