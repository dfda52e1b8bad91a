"""Child processes for the kill -9 tests: they work in a loop and report, on stdout, each operation *after*
it returned. The parent SIGKILLs them at a random moment and checks the file against the report.

    python -m tests.unit.edge_agent._crash_child outbox PATH
    python -m tests.unit.edge_agent._crash_child leases PATH DAY
"""

from __future__ import annotations

import asyncio
import sys
import time

from edge_agent.leases import LeaseStore
from edge_agent.outbox_items import Lane
from edge_agent.outbox_store import Outbox

LANES = (Lane.TICKETS, Lane.RATINGS, Lane.EVENTS, Lane.TELEMETRY)


def report(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def outbox_loop(path: str) -> None:
    ob = await Outbox.open(path, max_bytes=1 << 30, max_age_s=1e9, device_id="crash-test")
    report("ready")

    async def producer(worker: int) -> None:
        n = 0
        while True:
            n += 1
            item = await ob.put(LANES[n % 4], f"t/{worker}", f"{worker}:{n}".encode(), now=time.time())
            report(f"put {item.seq} {item.key}")
            if item.seq % 3 == 0:
                await ob.ack(item.seq)
                report(f"acked {item.seq}")

    async with ob, asyncio.TaskGroup() as tg:  # closing on error lets the process exit, so the parent sees EOF
        for w in range(8):
            tg.create_task(producer(w))


async def lease_loop(path: str, day: str) -> None:
    store = await LeaseStore.open(path)
    report("ready")

    async def taker() -> None:
        while True:
            number = await store.take("S1", day, now=time.time())
            if number is None:
                report("empty")
                await asyncio.sleep(3600)
                return
            report(f"took {number.lease_id} {number.number}")

    async with store, asyncio.TaskGroup() as tg:
        for _ in range(4):
            tg.create_task(taker())


def main() -> None:
    kind, path, *rest = sys.argv[1:]
    if kind == "outbox":
        asyncio.run(outbox_loop(path))
    elif kind == "leases":
        asyncio.run(lease_loop(path, rest[0]))
    else:
        raise SystemExit(f"unknown child kind {kind!r}")


if __name__ == "__main__":
    main()
