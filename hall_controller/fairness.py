"""Fair scheduling of requests across senders, so that one device cannot delay the others.

Every sender has its own FIFO queue; a batch takes a few requests from each sender in turn (round robin),
so a device that floods the controller fills only its own queue and waits behind itself. Each sender also
has a token bucket: past its rate its requests wait in its queue (they are delayed, never dropped, so an
agent draining its outbox after an outage loses nothing). A sender's queue is bounded: past the bound its
new requests are refused at once (an honest agent keeps at most its drain window, 32, in flight, so it never
comes near the bound).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


@dataclass
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; :meth:`take` spends one if there is one."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.rate == float("inf"):
            return True
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


    def wait_s(self, now: float) -> float:
        """Seconds until :meth:`take` can succeed (0 when it can now)."""
        if self.tokens < 0 or self.rate == float("inf"):
            return 0.0
        have = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        return 0.0 if have >= 1.0 else (1.0 - have) / self.rate


def spend(buckets: dict[K, TokenBucket], sender: K, rate: float, burst: float, now: float) -> bool:
    """Spend one of ``sender``'s tokens in ``buckets`` (a new sender starts with a full bucket)."""
    bucket = buckets.get(sender)
    if bucket is None:
        if len(buckets) > 10_000:  # unknown senders by the thousand: forget rather than grow
            buckets.clear()
        bucket = buckets[sender] = TokenBucket(rate, burst)
    return bucket.take(now)


class FairQueue(Generic[K, T]):
    def __init__(
        self,
        *,
        per_sender_cap: int = 1000,
        rate: float = float("inf"),
        burst: float = float("inf"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``rate``/``burst``: each sender's token bucket (requests per second it is served at, sustained)."""
        self.per_sender_cap = per_sender_cap
        self._queues: OrderedDict[K, deque[T]] = OrderedDict()
        self._buckets: dict[K, TokenBucket] = {}
        self._rate, self._burst = rate, burst
        self._clock = clock
        self._ready = asyncio.Event()
        self.size = 0

    def put(self, sender: K, item: T) -> bool:
        """Queue ``item``; False (and nothing queued) when ``sender`` already has ``per_sender_cap`` waiting."""
        q = self._queues.get(sender)
        if q is None:
            q = self._queues[sender] = deque()
        elif len(q) >= self.per_sender_cap:
            return False
        q.append(item)
        self.size += 1
        self._ready.set()
        return True

    def pending(self, sender: K) -> int:
        q = self._queues.get(sender)
        return len(q) if q is not None else 0

    def _bucket(self, sender: K) -> TokenBucket:
        b = self._buckets.get(sender)
        if b is None:
            if len(self._buckets) > 10_000:  # forget idle senders rather than grow
                self._buckets = {k: v for k, v in self._buckets.items() if k in self._queues}
            b = self._buckets[sender] = TokenBucket(self._rate, self._burst)
        return b

    def take(self, max_items: int, per_sender: int) -> list[T]:
        """One round: at most ``per_sender`` from each waiting sender in turn (and no more than its bucket
        allows), ``max_items`` in all.

        A batch is one round, so a request that arrives during a flood waits for at most one round of
        ``per_sender`` items per busy sender, never for the flood itself."""
        batch: list[T] = []
        now = self._clock()
        for sender in list(self._queues):
            if len(batch) >= max_items:
                break
            q = self._queues[sender]
            bucket = self._bucket(sender)
            n = 0
            while q and n < per_sender and len(batch) < max_items and bucket.take(now):
                batch.append(q.popleft())
                n += 1
            if q:
                self._queues.move_to_end(sender)  # whoever was cut short starts later next round
            else:
                del self._queues[sender]
        self.size -= len(batch)
        if not self._queues:
            self._ready.clear()
        return batch

    def _next_token_s(self) -> float:
        now = self._clock()
        return min(self._bucket(s).wait_s(now) for s in self._queues)

    async def get(self, max_items: int, per_sender: int) -> list[T]:
        """The next round; waits for a request, or for a throttled sender's next token."""
        while True:
            while not self._queues:
                await self._ready.wait()
            batch = self.take(max_items, per_sender)
            if batch:
                return batch
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), max(0.001, self._next_token_s()))
