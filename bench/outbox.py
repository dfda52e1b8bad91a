"""The edge agent's outbox on this machine, with its real durability settings (WAL, synchronous=FULL).

Measures, without MQTT:
- durable enqueue rate: ``put()`` calls that returned (each fsynced) per second, from many concurrent
  producers (group commit) and from a single producer awaiting each put in turn;
- drain rate from disk: ``peek(100)`` then one ``ack()`` per item, as PUBACKs arrive;
- RSS of a fresh process holding an outbox of 100k items (against the same process without one).

And through MQTT, with the real agent process (``python -m edge_agent``) and a real private Mosquitto:
- the agent starts while the broker is down; a UI on its local socket queues ``--mqtt-n`` ratings
  (64 at a time): ``ui_enqueue_per_s``;
- the broker comes back: ``drain_per_s`` is backlog messages per second from the first to the last one the
  responder (an MQTT client answering every rpc with an Ack, standing in for the controller so that the
  figure is the agent's and the broker's, not the queue engine's) received;
- during the drain a second UI sends a live rating every 10 ms and waits for the answer:
  ``live_delay_p99_ms`` is the p99 of those round trips (UI → agent → broker → responder → agent → UI);
- ``agent_rss_mib`` is the agent process's peak RSS over the run (sampled every 50 ms);
- ``sent`` (seqs the agent stored), ``received`` (distinct seqs the responder got, from the MQTT v5 user
  property ``device_seq``), ``lost`` and ``duplicated``.
``drain_per_s`` is this MQTT drain; the outbox-only figure (peek + ack, no network) is ``disk_drain_per_s``.
``agent_cpu_ms_per_msg`` is the agent's CPU time over the drain divided by the messages. The MQTT run is
repeated with the outbox on a RAM disk (``--tmpfs``, default /dev/shm), where an fsync costs nothing: the
``*_ramdisk`` figures. Equal figures on both mean the drain does not wait for the disk.

Run: ``.venv/bin/python -m bench.outbox [--n N] [--hold-items N] [--mqtt-n N]``. The last line is the JSON
summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from edge_agent.outbox_items import Lane
from edge_agent.outbox_store import Outbox
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.tickets import IssueTicket

DEVICE = "kiosk-bench"
TOPIC = topics.rpc("hall-bench", DEVICE, topics.RpcService.TICKET)
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
    return {"disk_drain_per_s": round(rate)}


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


# MQTT side ---------------------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


class _Responder:
    """Answers every rpc request with an Ack; records each message's device_seq."""

    def __init__(self, broker: Any) -> None:
        self.broker = broker
        self.seqs: list[int] = []
        self.first_at: float | None = None
        self.last_at = 0.0
        self.connected = asyncio.Event()
        self.changed = asyncio.Event()

    async def run(self) -> None:
        import aiomqtt

        from hall_protocol.tickets import Ack, RpcRequest
        from hall_runtime.mqtt_client import (
            correlation_of,
            make_client,
            payload_bytes,
            publish_properties,
            response_topic_of,
            user_properties,
        )

        while True:
            client = make_client(self.broker.host, self.broker.port, identifier="bench-responder",
                                 clean_start=False, max_queued_incoming=None)
            client.pending_calls_threshold = 100_000
            try:
                async with client:
                    await client.subscribe(topics.all_rpc(HALL), qos=1)
                    self.connected.set()
                    pending: set[asyncio.Task[None]] = set()
                    async for m in client.messages:
                        now = time.perf_counter()
                        props = user_properties(m)
                        if "device_seq" in props:
                            self.seqs.append(int(props["device_seq"]))
                            self.first_at = self.first_at or now
                            self.last_at = now
                            self.changed.set()
                        rt = response_topic_of(m)
                        if rt is None:
                            continue
                        try:
                            from hall_protocol.codec import decode

                            body = decode(payload_bytes(m), RpcRequest)
                            reply = encode(Ack(request_id=getattr(body, "request_id", "")))
                        except Exception:  # a bench responder answers what it can
                            continue
                        t = asyncio.create_task(client.publish(
                            rt, reply, qos=1, properties=publish_properties(correlation=correlation_of(m))))
                        pending.add(t)
                        t.add_done_callback(pending.discard)
            except aiomqtt.MqttError:
                self.connected.clear()
                await asyncio.sleep(0.05)


HALL = "hall-bench"
DRAIN_WINDOW = int(os.environ.get("OV_DRAIN_WINDOW", "32"))


async def measure_mqtt(workdir: Path, n: int, agent_root: Path | None = None) -> dict[str, Any]:
    """``agent_root``: where the agent keeps its outbox (default: ``workdir``, this machine's disk)."""
    import contextlib
    import os

    from edge_agent.config import AgentConfig, BrokerConfig
    from hall_protocol.devices import Role
    from hall_protocol.tickets import Ack as AckReply
    from hall_protocol.tickets import SubmitRating
    from kiosk.agent_client import AgentClient
    from onevisit.broker import PrivateBroker

    bdir = workdir / "broker"
    bdir.mkdir(parents=True)
    os.chmod(bdir, 0o777)
    broker = PrivateBroker(workdir=bdir, persistence=True).start()
    responder = _Responder(broker)
    rtask = asyncio.create_task(responder.run())
    await asyncio.wait_for(responder.connected.wait(), 10)
    broker.stop()  # the responder's session (and subscription) is saved: nothing published later is lost

    adir = (agent_root or workdir) / "agent"
    adir.mkdir()
    config = AgentConfig(
        device_id=DEVICE, role=Role.KIOSK, hall=HALL, socket_path=str(adir / "agent.sock"), data_dir=str(adir),
        broker=BrokerConfig(host=broker.host, port=broker.port, tls=False), reconnect_base_s=0.2,
        reconnect_cap_s=1.0, telemetry_interval_s=5.0, drain_window=DRAIN_WINDOW,
    )
    import msgspec

    toml = "\n".join(
        f"{k} = {json.dumps(v)}" for k, v in msgspec.to_builtins(config).items() if k != "broker"
    ) + f'\n\n[broker]\nhost = "{broker.host}"\nport = {broker.port}\ntls = false\n'
    (adir / "agent.toml").write_text(toml)
    log = (adir / "agent.log").open("wb")
    proc = await asyncio.to_thread(
        subprocess.Popen, [sys.executable, "-m", "edge_agent", "--config", str(adir / "agent.toml")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    ps = psutil.Process(proc.pid)
    peak_rss = 0.0
    stop_sampling = asyncio.Event()

    async def sample_rss() -> None:
        nonlocal peak_rss
        while not stop_sampling.is_set():
            with contextlib.suppress(psutil.Error):
                peak_rss = max(peak_rss, ps.memory_info().rss / MiB)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_sampling.wait(), 0.05)

    sampler = asyncio.create_task(sample_rss())
    try:
        sock = adir / "agent.sock"
        while not sock.exists():  # noqa: ASYNC110 - a socket file appearing has no event to await
            await asyncio.sleep(0.02)
        async with AgentClient(str(sock)) as ui, AgentClient(str(sock)) as live_ui:
            counter = iter(range(n))

            async def producer() -> None:
                for i in counter:
                    r = await ui.request(SubmitRating(request_id=f"backlog-{i:06d}", ticket_id=f"t{i}", level=5))
                    assert isinstance(r, AckReply), r
                    assert r.queued, r

            t0 = time.perf_counter()
            async with asyncio.TaskGroup() as tg:
                for _ in range(64):
                    tg.create_task(producer())
            enqueue_s = time.perf_counter() - t0
            print(f"UI → agent, queued while offline:       {n / enqueue_s:10.0f} msg/s ({n} msgs, {enqueue_s:.2f} s)")

            broker.start()
            cpu_before = ps.cpu_times()
            await live_ui.wait_online(15)
            delays: list[float] = []
            live_sent = 0
            while len(set(responder.seqs)) < n + live_sent:
                t = time.perf_counter()
                r = await live_ui.request(SubmitRating(request_id=f"live-{live_sent}", ticket_id="t", level=4))
                live_sent += 1
                if isinstance(r, AckReply) and not r.queued:
                    delays.append((time.perf_counter() - t) * 1000)
                if len(set(responder.seqs)) >= n:
                    break
                await asyncio.sleep(0.01)
            async with asyncio.timeout(30):
                while len(set(responder.seqs)) < n + live_sent:
                    responder.changed.clear()
                    await responder.changed.wait()
            assert responder.first_at is not None
            drain_s = responder.last_at - responder.first_at
            cpu_after = ps.cpu_times()
            drain_cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    finally:
        stop_sampling.set()
        await sampler
        proc.terminate()
        proc.wait(10)
        log.close()
        rtask.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rtask
        broker.close()
    sent = n + live_sent
    distinct = len(set(responder.seqs))
    drain_rate = sent / drain_s if drain_s > 0 else float("inf")
    p50, p99 = _pct(delays, 50), _pct(delays, 99)
    print(f"drain after reconnect (agent → broker):  {drain_rate:10.0f} msg/s ({sent} msgs, {drain_s:.2f} s)")
    print(f"live request during the drain:          p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(delays)} requests)")
    print(f"agent RSS, peak:                        {peak_rss:8.1f} MiB")
    print(f"agent CPU during the drain:             {drain_cpu_s * 1000 / sent:8.2f} ms per message")
    print(f"sent {sent}, received {distinct}, lost {sent - distinct}, duplicated {len(responder.seqs) - distinct}")
    return {
        "ui_enqueue_per_s": round(n / enqueue_s),
        "drain_per_s": round(drain_rate),
        "live_delay_p50_ms": round(p50, 2),
        "live_delay_p99_ms": round(p99, 2),
        "live_requests": len(delays),
        "agent_rss_mib": round(peak_rss, 1),
        "agent_cpu_ms_per_msg": round(drain_cpu_s * 1000 / sent, 3),
        "sent": sent,
        "received": distinct,
        "lost": sent - distinct,
        "duplicated": len(responder.seqs) - distinct,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="messages for the enqueue and drain runs")
    parser.add_argument("--hold-items", type=int, default=100_000, help="items held for the RSS figure")
    parser.add_argument("--mqtt-n", type=int, default=10_000, help="backlog drained through MQTT by the agent")
    parser.add_argument("--tmpfs", default="/dev/shm",
                        help="run the MQTT drain a second time with the outbox here (a RAM disk: fsync costs "
                        "nothing) to show the drain does not depend on the disk; '' to skip")
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
            lambda: asyncio.run(measure_mqtt(workdir, args.mqtt_n)),
        ]
        for step in steps:
            summary.update(step())
        if args.tmpfs and Path(args.tmpfs).is_dir():
            with tempfile.TemporaryDirectory(prefix="ov-bench-outbox-", dir=args.tmpfs) as ram:
                print(f"the same drain with the outbox on {args.tmpfs} (fsync is free there):")
                again = asyncio.run(measure_mqtt(workdir / "ram", args.mqtt_n, agent_root=Path(ram)))
            summary.update({f"{k}_ramdisk": v for k, v in again.items()
                            if k in ("drain_per_s", "live_delay_p50_ms", "live_delay_p99_ms", "agent_cpu_ms_per_msg")})
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
