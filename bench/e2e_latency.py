"""Ticket and silent-call latency through the real path, against a floor measured in the same run.

Processes (all on one private Mosquitto with TCP_NODELAY):
- the floor: two separate processes doing a QoS 1 request/response (response topic + correlation data);
- the hall controller, with its pages and the simulator SMS gateway;
- real edge agents (a kiosk, two window terminals, a hall screen, two window displays), each driven over
  its local socket by this process, exactly as the device UIs do (outbox included);
- ``--devices`` device connections in all (the agents above plus background sessions running the real
  agent session code, spread over several processes, the hall screens among them receiving every call).

Measured: a ticket from the kiosk's local socket to its answer; a call from the window terminal's request
to (a) the window display's agent delivering it to its UI, (b) the hall screen's, (c) the phone page's
server-sent-event stream (an HTTP client on the ticket's ``/live`` URL) and (d) the simulator gateway.

Run: python -m bench.e2e_latency [--devices 200] [--tickets 600] [--calls 300]
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
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.e2e_parts import bench_hall_toml, devices_main, floor_main, pct
from hall_protocol.devices import Role
from hall_protocol.hall import CallEvent, HallState
from hall_protocol.local import Subscribe
from hall_protocol.tickets import IssueTicket, TicketReply, WindowCommand, WindowOp, WindowReply
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker, free_port
from onevisit.demo import DeviceSpec, Processes, agent_config_text, notify_config_text, wait_for_controller

HALL = "bench"
WINDOWS = ("W0", "W1")
AGENTS = [DeviceSpec("kiosk-0", Role.KIOSK, "A"), DeviceSpec("screen-0", Role.HALL_SCREEN, "A"),
          *(DeviceSpec(f"win-{w}", Role.WINDOW_TERMINAL, "A") for w in WINDOWS),
          *(DeviceSpec(f"disp-{w}", Role.WINDOW_DISPLAY, "A") for w in WINDOWS)]
PHONE = "13900139000"
PACE_S = 1 / 15  # requests from one device at most 15/s


async def _child(procs: Processes, name: str, *args: str) -> asyncio.subprocess.Process:
    """A child of this benchmark (its output is its JSON result)."""
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.e2e_latency", "--role", *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=open(  # noqa: ASYNC230
                                                    procs.logdir / f"{name}.log", "wb"))


async def floor(procs: Processes, port: int, n: int) -> list[float]:
    echo = await _child(procs, "floor-echo", "echo", "--port", str(port))
    await asyncio.sleep(1.0)  # the responder subscribes
    ask = await _child(procs, "floor-ask", "ask", "--port", str(port), "--n", str(n))
    out, _ = await ask.communicate()
    echo.terminate()
    await echo.wait()
    return [float(x) for x in json.loads(out)]


class Receivers:
    """When each call reached the window displays' and the hall screen's UIs (perf_counter)."""

    def __init__(self) -> None:
        self.display: dict[str, float] = {}
        self.screen: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def follow(self, link: AgentClient, into: dict[str, float]) -> None:
        async for event in link.events():
            if isinstance(event, CallEvent) and event.call.recall_count == 0:
                into.setdefault(event.call.ticket_id, time.perf_counter())
                self.changed.set()

    async def both(self, ticket_id: str, timeout: float = 5.0) -> tuple[float, float]:
        async with asyncio.timeout(timeout):
            while ticket_id not in self.display or ticket_id not in self.screen:
                self.changed.clear()
                await self.changed.wait()
        return self.display[ticket_id], self.screen[ticket_id]


async def phone_call_seen(client: httpx.AsyncClient, status_url: str, opened: asyncio.Event) -> float:
    """Open the ticket's live stream (as the phone page's browser does); when the call shows, perf_counter."""
    url = urlsplit(status_url)
    async with client.stream("GET", f"{url.path}/live?{url.query}") as response:
        opened.set()
        async for line in response.aiter_lines():
            if line.startswith("data:") and 'data-stage="called"' in line:
                return time.perf_counter()
    raise RuntimeError("the stream ended before the call")


async def run(devices: int, tickets: int, calls: int, device_procs: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="ov-bench-e2e-"))
    background = max(0, devices - len(AGENTS))
    (work / "hall.toml").write_text(bench_hall_toml(HALL, [a.device_id for a in AGENTS], WINDOWS), encoding="utf-8")
    sent_log = work / "sent.jsonl"
    # the gateway's quota set far above the calls made: (d) measures the notifier, not a platform's limit
    (work / "notify.toml").write_text(notify_config_text(sent_log) + "[limits]\nper_second = 1000\nburst = 1000\n",
                                      encoding="utf-8")
    broker = PrivateBroker(workdir=work).start()
    procs = Processes(work)
    errors = 0
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    children: list[asyncio.subprocess.Process] = []
    try:
        raw = await floor(procs, broker.port, 2000)
        print(f"floor (two processes) p50 {pct(raw, 50):.3f} ms p99 {pct(raw, 99):.3f} ms", flush=True)
        procs.start("controller", [sys.executable, "-m", "hall_controller", "--config", str(work / "hall.toml"),
                                   "--broker", f"127.0.0.1:{broker.port}", "--db", str(work / "hall.db"),
                                   "--web-port", str(web_port), "--status-base-url", base,
                                   "--notify", str(work / "notify.toml")])
        await wait_for_controller(broker, HALL, procs)
        for spec in AGENTS:
            cfg = work / f"agent-{spec.device_id}.toml"
            cfg.write_text(agent_config_text(spec, HALL, broker.port, work))
            procs.start(f"agent-{spec.device_id}", [sys.executable, "-m", "edge_agent", "--config", str(cfg)])
        per = -(-background // device_procs) if background else 0
        for i in range(device_procs if background else 0):
            count = min(per, background - i * per)
            children.append(await _child(procs, f"devices-{i}", "devices", "--port", str(broker.port),
                                         "--n", str(count), "--first", str(i * per)))
        for spec in AGENTS:
            async with asyncio.timeout(30):
                while not (work / f"{spec.device_id}.sock").exists():  # noqa: ASYNC110 - no event for a new file
                    await asyncio.sleep(0.05)
        await asyncio.sleep(3.0)  # let the background sessions connect and settle
        sock = {a.device_id: str(work / f"{a.device_id}.sock") for a in AGENTS}
        receivers = Receivers()
        async with contextlib.AsyncExitStack() as stack:
            kiosk = await stack.enter_async_context(AgentClient(sock["kiosk-0"]))
            terminals = [await stack.enter_async_context(AgentClient(sock[f"win-{w}"])) for w in WINDOWS]
            screen = await stack.enter_async_context(AgentClient(sock["screen-0"], subscribe=Subscribe(calls=True)))
            displays = [await stack.enter_async_context(
                AgentClient(sock[f"disp-{w}"], subscribe=Subscribe(calls=True, zones=("A",)))) for w in WINDOWS]
            watcher = await stack.enter_async_context(
                AgentClient(sock["kiosk-0"], subscribe=Subscribe(hall_state=True)))
            for link in (kiosk, *terminals, screen, *displays):
                await link.wait_online(30)
            async for event in watcher.events():  # the kiosk's agent seals numbers with the hall's key
                if isinstance(event, HallState) and event.contact_key:
                    break
            followers = [asyncio.create_task(receivers.follow(d, receivers.display)) for d in displays]
            followers.append(asyncio.create_task(receivers.follow(screen, receivers.screen)))

            ticket_ms: list[float] = []
            issued: list[tuple[str, str]] = []
            started = time.perf_counter()
            for i in range(tickets):
                # paced below the controller's per-device rate (service.SENDER_RATE, 20/s): past it a device's
                # requests wait their turn by design, and that wait is not the path's latency
                await asyncio.sleep(max(0.0, started + i * PACE_S - time.perf_counter()))
                t = time.perf_counter()
                r = await kiosk.request(IssueTicket(request_id=uuid.uuid4().hex, service=f"S{i % 2}",
                                                    source_device="kiosk-0",
                                                    notify_phone=PHONE if i < calls else None))
                if isinstance(r, TicketReply):
                    ticket_ms.append((time.perf_counter() - t) * 1000)
                    issued.append((r.ticket.ticket_id, r.ticket.status_url))
                else:
                    errors += 1
            print(f"ticket p50 {pct(ticket_ms, 50):.3f} ms p99 {pct(ticket_ms, 99):.3f} ms", flush=True)

            async def op(w: int, o: WindowOp) -> WindowReply | None:
                r = await terminals[w].request(WindowCommand(request_id=uuid.uuid4().hex, window_id=WINDOWS[w],
                                                             op=o, staff_id=f"s-{w}"))
                return r if isinstance(r, WindowReply) else None

            for w in range(len(WINDOWS)):
                await op(w, WindowOp.LOGIN)
                await op(w, WindowOp.OPEN)
            order = {tid: url for tid, url in issued}
            queue = [tid for tid, _ in issued]  # S0 and S1 alternate; W0 and W1 serve both (comprehensive)
            lat: dict[str, list[float]] = {"window_reply": [], "display": [], "screen": [], "phone": [], "sms": []}
            call_wall: dict[str, float] = {}
            async with httpx.AsyncClient(base_url=base, timeout=10) as web:
                last_cycle = [0.0] * len(WINDOWS)
                for n in range(min(calls, len(queue))):
                    w = n % len(WINDOWS)
                    expected = queue[n]
                    # a cycle is three requests from this window's terminal: keep it under the per-device rate
                    await asyncio.sleep(max(0.0, last_cycle[w] + 3 * PACE_S - time.perf_counter()))
                    last_cycle[w] = time.perf_counter()
                    opened = asyncio.Event()
                    phone = asyncio.create_task(phone_call_seen(web, order[expected], opened))
                    await asyncio.wait_for(opened.wait(), 5)
                    await asyncio.sleep(0.01)  # the stream's first render went out
                    call_wall[expected] = time.time()
                    t = time.perf_counter()
                    reply = await op(w, WindowOp.CALL_NEXT)
                    lat["window_reply"].append((time.perf_counter() - t) * 1000)
                    if reply is None or reply.ticket is None or reply.ticket.ticket_id != expected:
                        errors += 1
                        phone.cancel()
                        continue
                    try:
                        shown, screened = await receivers.both(expected)
                        lat["display"].append((shown - t) * 1000)
                        lat["screen"].append((screened - t) * 1000)
                        lat["phone"].append((await asyncio.wait_for(phone, 5) - t) * 1000)
                    except TimeoutError:
                        errors += 1
                    await op(w, WindowOp.START)
                    await op(w, WindowOp.FINISH)
            await asyncio.sleep(1.0)
            lines = sent_log.read_text(encoding="utf-8").splitlines() if sent_log.exists() else []
            sent = [json.loads(x) for x in lines]
            at = {m["ticket_id"]: float(m["at"]) for m in sent if m["kind"] == "called"}
            for tid, t0 in call_wall.items():
                if tid in at:
                    lat["sms"].append((at[tid] - t0) * 1000)
                else:
                    errors += 1
            for f in followers:
                f.cancel()
    finally:
        for c in children:
            if c.returncode is None:
                c.terminate()
                await c.wait()
        procs.stop_all()
        broker.close()
    f50, f99 = pct(raw, 50), pct(raw, 99)
    results: dict[str, Any] = {
        "bench": "e2e_latency", "devices": devices, "device_processes": device_procs,
        "floor_p50_ms": round(f50, 3), "floor_p99_ms": round(f99, 3),
        "ticket_p50_ms": round(pct(ticket_ms, 50), 3), "ticket_p99_ms": round(pct(ticket_ms, 99), 3),
        "ticket_ratio_p50": round(pct(ticket_ms, 50) / f50, 2), "ticket_ratio_p99": round(pct(ticket_ms, 99) / f99, 2),
    }
    for key, values in lat.items():
        results[f"call_{key}_p50_ms"] = round(pct(values, 50), 3)
        results[f"call_{key}_p99_ms"] = round(pct(values, 99), 3)
    results.update({
        "call_display_p99_over_floor_ms": round(pct(lat["display"], 99) - f99, 3),
        "call_screen_p99_over_floor_ms": round(pct(lat["screen"], 99) - f99, 3),
        "tickets": len(ticket_ms), "calls": len(lat["display"]), "errors": errors,
    })
    for key, values in (("ticket", ticket_ms), *lat.items()):
        print(f"{key:<13} p50 {pct(values, 50):8.3f} ms  p99 {pct(values, 99):8.3f} ms  "
              f"(mean {statistics.fmean(values) if values else float('nan'):.3f}, n {len(values)})")
    print(f"errors {errors}")
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--devices", type=int, default=200)
    p.add_argument("--tickets", type=int, default=600)
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--device-processes", type=int, default=4)
    p.add_argument("--role", nargs="*", help=argparse.SUPPRESS)  # a child: echo | ask | devices
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.role:
        role = a.role[0]
        if role == "devices":
            asyncio.run(devices_main(HALL, a.port, a.n, a.first))
        else:
            print(json.dumps(asyncio.run(floor_main(role, a.port, a.n))))
        return
    results = asyncio.run(run(a.devices, a.tickets, a.calls, a.device_processes))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
