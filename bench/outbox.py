"""The edge agent's outbox on this machine, with its real durability settings (WAL, synchronous=FULL).

Measures, without MQTT:
- durable enqueue rate: ``put()`` calls that returned (each fsynced) per second, from many concurrent
  producers (group commit) and from a single producer awaiting each put in turn;
- drain rate from disk: ``peek(100)`` then one ``ack()`` per item, as PUBACKs arrive;
- RSS of a fresh process holding an outbox of 100k items (against the same process without one).

Run: ``.venv/bin/python -m bench.outbox [--n N] [--hold-items N]``. The last line is the JSON summary.
Each measurement is a function returning a dict; the summary merges them, so MQTT-side figures
(live delay, agent RSS, sent / received / lost / duplicated) can be added as further functions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from edge_agent.outbox import Lane, Outbox
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.tickets import IssueTicket

DEVICE = "kiosk-bench"
TOPIC = topics.rpc("hall-bench", topics.RpcService.TICKET)
MiB = 1024 * 1024


def sample_payload(i: int) -> bytes:
    """A real ticket request, about the size the kiosk sends."""
    return encode(IssueTicket(request_id=f"req-{i:08d}", service="S01", source_device=DEVICE))


async def _open(path: Path) -> Outbox:
    return await Outbox.open(path, max_bytes=1 << 32, max_age_s=7 * 86400, device_id=DEVICE)


async def _fill(ob: Outbox, n: int, concurrency: int) -> float:
    """Put ``n`` items from ``concurrency`` producers; returns the elapsed seconds."""
    counter = iter(range(n))

    async def producer() -> None:
        for i in counter:
            await ob.put(Lane.TICKETS, TOPIC, sample_payload(i), now=time.time())

    t0 = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(concurrency):
            tg.create_task(producer())
    return time.perf_counter() - t0


async def measure_enqueue(workdir: Path, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {"payload_bytes": len(sample_payload(0))}
    for concurrency in (64, 8, 1):
        count = n if concurrency > 1 else max(200, n // 10)
        path = workdir / f"enqueue-{concurrency}.db"
        async with await _open(path) as ob:
            elapsed = await _fill(ob, count, concurrency)
            assert ob.stats(time.time()).depth == count
        rate = count / elapsed
        key = "enqueue_per_s" if concurrency == 64 else f"enqueue_c{concurrency}_per_s"
        out[key] = round(rate)
        print(f"durable enqueue, {concurrency:>2} producer(s): {rate:10.0f} msg/s ({count} msgs, {elapsed:.2f} s)")
    return out


async def measure_drain(workdir: Path, n: int) -> dict[str, Any]:
    path = workdir / "drain.db"
    async with await _open(path) as ob:
        await _fill(ob, n, 64)
    async with await _open(path) as ob:  # reopened: the drain reads what the previous run left on disk
        t0 = time.perf_counter()
        drained = 0
        while True:
            items = await ob.peek(100, now=time.time())
            if not items:
                break
            acked = await asyncio.gather(*(ob.ack(item.seq) for item in items))
            drained += sum(acked)
        elapsed = time.perf_counter() - t0
        assert drained == n, (drained, n)
        assert ob.stats(time.time()).depth == 0
    rate = n / elapsed
    print(f"drain from disk (peek 100 + ack each):  {rate:10.0f} msg/s ({n} msgs, {elapsed:.2f} s)")
    return {"drain_per_s": round(rate)}


def _hold(path: Path, items: int) -> None:
    """Child process: with ``items`` > 0 open the outbox, fill it if needed, peek, print RSS; else baseline."""

    async def run() -> dict[str, float]:
        if items == 0:
            return {"rss_mib": psutil.Process().memory_info().rss / MiB}
        async with await _open(path) as ob:
            depth = ob.stats(time.time()).depth
            if depth < items:
                await _fill(ob, items - depth, 64)
            await ob.peek(100, now=time.time())
            return {"rss_mib": psutil.Process().memory_info().rss / MiB, "depth": ob.stats(time.time()).depth}

    print(json.dumps(asyncio.run(run())))


def _child(path: Path, items: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.outbox", "--hold", str(path), "--hold-items", str(items)],
        check=True, capture_output=True, text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def measure_rss(workdir: Path, items: int) -> dict[str, Any]:
    path = workdir / "hold.db"
    baseline = _child(path, 0)["rss_mib"]
    filled = _child(path, items)  # the process that wrote them
    held = _child(path, items)  # a fresh process that opens an outbox already holding them
    size = sum(p.stat().st_size for p in workdir.glob("hold.db*")) / MiB
    print(f"RSS, process without an outbox:         {baseline:8.1f} MiB")
    print(f"RSS, after putting {items} items:       {filled['rss_mib']:8.1f} MiB")
    print(f"RSS, fresh process holding {items}:     {held['rss_mib']:8.1f} MiB (file {size:.1f} MiB)")
    return {
        "hold_items": items,
        "rss_baseline_mib": round(baseline, 1),
        "rss_after_fill_mib": round(filled["rss_mib"], 1),
        "rss_holding_mib": round(held["rss_mib"], 1),
        "db_file_mib": round(size, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="messages for the enqueue and drain runs")
    parser.add_argument("--hold-items", type=int, default=100_000, help="items held for the RSS figure")
    parser.add_argument("--hold", type=Path, help=argparse.SUPPRESS)  # internal: the RSS child process
    args = parser.parse_args()
    if args.hold is not None:
        _hold(args.hold, args.hold_items)
        return

    summary: dict[str, Any] = {"bench": "outbox", "synchronous": "FULL", "journal_mode": "WAL"}
    with tempfile.TemporaryDirectory(prefix="ov-bench-outbox-") as tmp:
        workdir = Path(tmp)
        steps: list[Callable[[], dict[str, Any]]] = [
            lambda: asyncio.run(measure_enqueue(workdir, args.n)),
            lambda: asyncio.run(measure_drain(workdir, args.n)),
            lambda: measure_rss(workdir, args.hold_items),
        ]
        for step in steps:
            summary.update(step())
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
