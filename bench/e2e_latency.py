"""Ticket round trip and silent-call latency through a real Mosquitto and the real controller process.

200 device connections (kiosks, screens, window terminals) run the real agent session code. The raw broker
round trip (a request/response between two clients with an echo responder, the same QoS and properties) is
measured in the same run: the controller's cost is reported as a ratio to it.

Run: python -m bench.e2e_latency [--devices 200] [--tickets 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiomqtt

from edge_agent.session import AgentSession, SessionOptions
from hall_controller.broker import PrivateBroker
from hall_controller.demo import Processes, wait_for_controller
from hall_protocol import topics
from hall_protocol.codec import decode, encode
from hall_protocol.devices import Role
from hall_protocol.hall import CallEvent
from hall_protocol.mqtt import correlation_of, make_client, payload_bytes, publish_properties, response_topic_of
from hall_protocol.tickets import IssueTicket, TicketReply, WindowCommand, WindowOp, WindowReply
from hall_protocol.topics import RpcService

HALL = "bench"
WINDOWS = 10


def bench_hall_toml() -> str:
    services = "\n".join(
        f'[[services]]\ncode = "S{i:02d}"\nname_zh = "业务{i}"\nname_en = "Service {i}"\nprefix = "{chr(65 + i)}"\n'
        f'zone = "A"\ndaily_cap = 9999\nopens = "00:00"\ncloses = "23:59"\nissue_from = "00:00"\n'
        f'issue_until = "23:59"\n'
        for i in range(10)
    )
    windows = "\n".join(
        f'[[windows]]\nid = "W{i}"\nname_zh = "{i}号窗口"\nname_en = "Window {i}"\nzone = "A"\ncomprehensive = true\n'
        for i in range(WINDOWS)
    )
    return (
        f'[hall]\nid = "{HALL}"\nname_zh = "基准大厅"\nname_en = "Bench hall"\n\n'
        '[[zones]]\nid = "A"\nname_zh = "A区"\nname_en = "Zone A"\n\n' + services + "\n" + windows
    )


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


async def raw_round_trips(broker: PrivateBroker, n: int, concurrency: int) -> list[float]:
    """Two clients, QoS 1, response topic + correlation data, an echo responder: the broker's floor."""
    request_topic, reply_topic = "bench/raw/req", "bench/raw/reply"
    async with make_client(broker.host, broker.port, identifier="raw-echo", clean_start=True) as echo, \
            make_client(broker.host, broker.port, identifier="raw-asker", clean_start=True) as asker:
        await echo.subscribe(request_topic, qos=1)
        await asker.subscribe(reply_topic, qos=1)
        pending: dict[bytes, asyncio.Future[None]] = {}

        async def responder() -> None:
            async for m in echo.messages:
                rt = response_topic_of(m)
                if rt:
                    await echo.publish(rt, payload_bytes(m), qos=1,
                                       properties=publish_properties(correlation=correlation_of(m)))

        async def collector() -> None:
            async for m in asker.messages:
                fut = pending.pop(correlation_of(m) or b"", None)
                if fut and not fut.done():
                    fut.set_result(None)

        tasks = [asyncio.create_task(responder()), asyncio.create_task(collector())]
        payload = encode(IssueTicket(request_id=uuid.uuid4().hex, service="S01", source_device="k"))
        samples: list[float] = []

        async def one() -> None:
            corr = uuid.uuid4().bytes
            fut = asyncio.get_running_loop().create_future()
            pending[corr] = fut
            t = time.perf_counter()
            await asker.publish(request_topic, payload, qos=1,
                                properties=publish_properties(response_topic=reply_topic, correlation=corr))
            await fut
            samples.append((time.perf_counter() - t) * 1000)

        for _ in range(n // concurrency):
            await asyncio.gather(*(one() for _ in range(concurrency)))
        for t in tasks:
            t.cancel()
        return samples


async def start_session(broker: PrivateBroker, device_id: str, role: Role, subs: tuple[str, ...] = (),
                        on_message: object = None) -> tuple[AgentSession, asyncio.Task[None]]:
    s = AgentSession(SessionOptions(device_id=device_id, hall=HALL, role=role, host=broker.host, port=broker.port,
                                    extra_subscriptions=subs), on_message=on_message)  # type: ignore[arg-type]
    task = asyncio.create_task(s.run())
    await asyncio.wait_for(s.connected.wait(), 30)
    return s, task


async def run(devices: int, tickets: int, concurrency: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="ov-bench-e2e-"))
    (work / "hall.toml").write_text(bench_hall_toml(), encoding="utf-8")
    broker = PrivateBroker(workdir=work).start()
    procs = Processes(work)
    errors = 0
    try:
        procs.start("controller", [sys.executable, "-m", "hall_controller", "--config", str(work / "hall.toml"),
                                   "--broker", f"127.0.0.1:{broker.port}", "--db", str(work / "hall.db")])
        await wait_for_controller(broker, HALL, procs)

        n_windows = WINDOWS
        n_screens = max(1, devices // 10)
        n_kiosks = devices - n_windows - n_screens
        screen_seen: dict[str, float] = {}
        screen_waiters: dict[str, asyncio.Event] = {}

        async def on_screen(message: aiomqtt.Message) -> None:
            event = decode(payload_bytes(message), CallEvent)
            screen_seen.setdefault(event.call.ticket_id, time.perf_counter())
            if (waiter := screen_waiters.get(event.call.ticket_id)) is not None:
                waiter.set()

        sessions: list[tuple[AgentSession, asyncio.Task[None]]] = []
        for i in range(n_screens):
            sessions.append(await start_session(broker, f"screen-{i}", Role.HALL_SCREEN,
                                                (topics.events_calls(HALL),), on_screen if i == 0 else None))
        kiosks = [await start_session(broker, f"kiosk-{i}", Role.KIOSK) for i in range(n_kiosks)]
        windows = [await start_session(broker, f"win-{i}", Role.WINDOW_TERMINAL) for i in range(n_windows)]
        sessions += kiosks + windows
        print(f"{len(sessions)} device connections up", flush=True)

        raw = await raw_round_trips(broker, tickets, concurrency)

        ticket_ms: list[float] = []
        issued: list[str] = []

        async def issue(k: AgentSession, i: int) -> None:
            nonlocal errors
            t = time.perf_counter()
            r = await k.request(RpcService.TICKET, IssueTicket(request_id=uuid.uuid4().hex, service=f"S{i % 10:02d}",
                                                              source_device=k.o.device_id), 10)
            if isinstance(r, TicketReply):
                ticket_ms.append((time.perf_counter() - t) * 1000)
                issued.append(r.ticket.ticket_id)
            else:
                errors += 1

        for b in range(tickets // concurrency):
            await asyncio.gather(*(issue(kiosks[(b * concurrency + j) % len(kiosks)][0], b * concurrency + j)
                                   for j in range(concurrency)))

        async def win_op(w: AgentSession, wid: str, op: WindowOp) -> WindowReply | None:
            r = await w.request(RpcService.WINDOW, WindowCommand(request_id=uuid.uuid4().hex, window_id=wid, op=op,
                                                                 staff_id=f"s-{wid}"), 10)
            return r if isinstance(r, WindowReply) else None

        for i, (w, _) in enumerate(windows):
            await win_op(w, f"W{i}", WindowOp.LOGIN)
            await win_op(w, f"W{i}", WindowOp.OPEN)
        call_window_ms: list[float] = []
        call_screen_ms: list[float] = []
        calls = min(len(issued), 500)
        for _ in range(calls // n_windows):
            async def cycle(i: int) -> None:
                nonlocal errors
                w = windows[i][0]
                t = time.perf_counter()
                r = await win_op(w, f"W{i}", WindowOp.CALL_NEXT)
                if r is None or r.ticket is None:
                    errors += 1
                    return
                call_window_ms.append((time.perf_counter() - t) * 1000)
                tid = r.ticket.ticket_id
                if tid not in screen_seen:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(screen_waiters.setdefault(tid, asyncio.Event()).wait(), 5)
                if tid in screen_seen:
                    call_screen_ms.append((screen_seen[tid] - t) * 1000)
                else:
                    errors += 1
                await win_op(w, f"W{i}", WindowOp.START)
                await win_op(w, f"W{i}", WindowOp.FINISH)
            await asyncio.gather(*(cycle(i) for i in range(n_windows)))

        for _, task in sessions:
            task.cancel()
        for _, task in sessions:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        procs.stop_all()
        broker.close()

    raw_p99 = pct(raw, 99)
    results: dict[str, object] = {
        "bench": "e2e_latency",
        "devices": devices,
        "raw_rtt_p50_ms": round(pct(raw, 50), 3),
        "raw_rtt_p99_ms": round(raw_p99, 3),
        "ticket_rtt_p50_ms": round(pct(ticket_ms, 50), 3),
        "ticket_rtt_p99_ms": round(pct(ticket_ms, 99), 3),
        "ticket_rtt_ratio_p99": round(pct(ticket_ms, 99) / raw_p99, 2),
        "call_to_window_p99_ms": round(pct(call_window_ms, 99), 3),
        "call_to_screen_p99_ms": round(pct(call_screen_ms, 99), 3),
        "tickets": len(ticket_ms),
        "calls": len(call_window_ms),
        "concurrency": concurrency,
        "errors": errors,
    }
    print(f"raw broker round trip     p50 {pct(raw, 50):7.3f} ms  p99 {raw_p99:7.3f} ms  (mean "
          f"{statistics.fmean(raw):.3f})")
    print(f"ticket request round trip p50 {pct(ticket_ms, 50):7.3f} ms  p99 {pct(ticket_ms, 99):7.3f} ms  "
          f"ratio p99 {results['ticket_rtt_ratio_p99']}")
    print(f"call → window reply       p50 {pct(call_window_ms, 50):7.3f} ms  p99 {pct(call_window_ms, 99):7.3f} ms")
    print(f"call → hall screen        p50 {pct(call_screen_ms, 50):7.3f} ms  p99 {pct(call_screen_ms, 99):7.3f} ms")
    print(f"errors {errors}")
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--devices", type=int, default=200)
    p.add_argument("--tickets", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=4)
    a = p.parse_args()
    results = asyncio.run(run(a.devices, a.tickets, a.concurrency))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
