"""A hall day at 10× speed through the real processes: does anything grow, leak or get lost?

    .venv/bin/python -m bench.soak [--minutes 54] [--speed 10] [--arrivals-per-hour 240]

Processes: a private Mosquitto, the hall controller, one edge agent per device (a kiosk, a hall screen, three
window terminals), and two device UIs under their own Xvfb (the kiosk and the hall screen, ``python -m
kiosk``), which follow every change of the hall for the whole day. Scripted citizens take tickets at the
kiosk's agent (Poisson arrivals, ``--arrivals-per-hour`` of simulated time) and scripted staff call, start and
finish them, service times divided by ``--speed``. The default, 54 minutes, is a 9-hour hall day.

Measured per process (sampled every 5 s; "start" is after a warm-up of a tenth of the run): RSS and open
files (descriptors). At the end the load stops and each device process's idle CPU is measured over
``--idle-seconds`` (a kiosk UI at rest must not spin a core). Every ticket a citizen was given is checked
against the controller's event log: ``lost`` (given but not in the hall) and ``duplicated`` (a request issued
twice, or a number handed out twice).

The last line is one JSON object: ``sim_hours, tickets, rss_start_mib, rss_end_mib, open_files_start,
open_files_end, lost, duplicated`` (sums over the processes), then ``per_process`` and ``idle_cpu_pct``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import psutil

from bench.kiosk import start_xvfb
from hall_controller.engine.events import Event, TicketIssued
from hall_controller.store import Store
from hall_protocol.hall_config import HallConfig, load_hall_config
from hall_protocol.tickets import IssueTicket, Priority, TicketReply
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from onevisit.demo import Processes, agent_config_text, demo_devices, wait_for_controller
from onevisit.demo_actors import REFUSALS, Tally, staff

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs" / "demo"
MiB = 1024 * 1024
SAMPLE_S = 5.0


@dataclass
class Given:
    request_id: str
    number: str


@dataclass
class Samples:
    rss: dict[str, list[float]] = field(default_factory=dict)
    files: dict[str, list[int]] = field(default_factory=dict)


def _open_files(p: psutil.Process) -> int:
    return p.num_fds()


async def _sample(procs: dict[str, psutil.Process], samples: Samples, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, p in procs.items():
            with contextlib.suppress(psutil.Error):
                samples.rss.setdefault(name, []).append(p.memory_info().rss / MiB)
                samples.files.setdefault(name, []).append(_open_files(p))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_S)


async def _citizens(sock: str, config: HallConfig, given: list[Given], tally: Tally, *, per_real_s: float,
                    rng: random.Random, stop: asyncio.Event) -> None:
    services = [s.code for s in config.services if not s.kiosk_capable]
    async with AgentClient(sock) as link:
        await link.wait_online(30)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), rng.expovariate(per_real_s))
                return
            req = IssueTicket(request_id=uuid.uuid4().hex, service=rng.choice(services), source_device="kiosk-1",
                              priority=Priority.GREEN if rng.random() < 0.1 else Priority.NORMAL)
            reply = await link.request(req)
            if isinstance(reply, TicketReply):
                given.append(Given(req.request_id, reply.ticket.number))
                tally.issued += 1
            elif getattr(reply, "code", None) in REFUSALS:
                tally.refused += 1
            else:
                tally.error(f"issue: {reply}")


async def _audit(db: Path, given: list[Given]) -> tuple[int, int]:
    store = await Store.open(db)
    try:
        stored = await store.events_after(0)
    finally:
        await store.close()
    issued: dict[str, list[TicketIssued]] = {}
    for e in stored:
        ev = msgspec.json.decode(e.body, type=Event)
        if isinstance(ev, TicketIssued):
            issued.setdefault(ev.request_id, []).append(ev)
    lost = sum(1 for g in given if not any(t.number == g.number for t in issued.get(g.request_id, [])))
    numbers = [t.number for ts in issued.values() for t in ts]
    duplicated = sum(len(ts) - 1 for ts in issued.values()) + len(numbers) - len(set(numbers))
    return lost, duplicated


def _idle_cpu(procs: dict[str, psutil.Process], seconds: float) -> dict[str, float]:
    before = {n: p.cpu_times() for n, p in procs.items()}
    time.sleep(seconds)
    out = {}
    for n, p in procs.items():
        with contextlib.suppress(psutil.Error):
            after = p.cpu_times()
            used = (after.user - before[n].user) + (after.system - before[n].system)
            out[n] = round(100 * used / seconds, 2)
    return out


async def soak(minutes: float, speed: float, arrivals_per_hour: float, idle_s: float, workdir: Path,
               seed: int = 1) -> dict[str, Any]:
    config = load_hall_config(CONFIGS / "hall.toml")
    hall = config.hall.id
    devices = demo_devices(config)
    procs = Processes(workdir)
    (workdir / "broker").mkdir()
    broker = PrivateBroker(workdir=workdir / "broker").start()
    xvfb, display = start_xvfb(workdir)
    tally, given = Tally(), []
    stop = asyncio.Event()
    samples = Samples()
    try:
        procs.start("controller", [sys.executable, "-m", "hall_controller", "--config", str(CONFIGS / "hall.toml"),
                                   "--broker", f"127.0.0.1:{broker.port}", "--db", str(workdir / "hall.db"),
                                   "--web-port", "0"])
        for spec in devices:
            cfg = workdir / f"agent-{spec.device_id}.toml"
            cfg.write_text(agent_config_text(spec, hall, broker.port, workdir))
            procs.start(f"agent-{spec.device_id}", [sys.executable, "-m", "edge_agent", "--config", str(cfg)])
        sock = {d.device_id: str(workdir / f"{d.device_id}.sock") for d in devices}
        deadline = time.monotonic() + 30
        while not all(Path(s).exists() for s in sock.values()):  # noqa: ASYNC240 - no event for a socket file
            if time.monotonic() > deadline or procs.check():
                raise RuntimeError(f"agents did not start: {procs.check()}")
            await asyncio.sleep(0.1)
        await wait_for_controller(broker, hall, procs)
        ui_env = dict(os.environ, DISPLAY=display, LIBGL_ALWAYS_SOFTWARE="1", KIVY_NO_ARGS="1",
                      KIVY_HOME=str(workdir / "kivy"))
        _start_uis(procs, workdir, sock, ui_env)
        await asyncio.sleep(5)  # the UIs draw their first frames
        if problems := procs.check():
            raise RuntimeError("; ".join(problems))

        watched = {name: psutil.Process(p.pid) for name, p in procs.procs}
        sampler = asyncio.create_task(_sample(watched, samples, stop))
        rng = random.Random(seed)
        per_real_s = arrivals_per_hour * speed / 3600
        actors = [asyncio.create_task(_citizens(sock["kiosk-1"], config, given, tally, per_real_s=per_real_s,
                                                rng=random.Random(rng.random()), stop=stop))]
        for d in devices:
            if d.device_id.startswith("win-"):
                actors.append(asyncio.create_task(staff(
                    sock[d.device_id], d.device_id.removeprefix("win-"), tally, speed=speed, config=config,
                    rng=random.Random(rng.random()), stop=stop)))
        began = time.monotonic()
        while time.monotonic() - began < minutes * 60:
            if problems := procs.check():
                raise RuntimeError("; ".join(problems))
            await asyncio.sleep(1.0)
        stop.set()
        for r in await asyncio.gather(*actors, return_exceptions=True):
            if isinstance(r, BaseException):
                tally.error(f"actor failed: {r!r}")
        await sampler
        idle = await asyncio.to_thread(_idle_cpu, watched, idle_s)
        lost, duplicated = await _audit(workdir / "hall.db", given)
    finally:
        procs.stop_all()
        broker.close()
        xvfb.terminate()
        xvfb.wait()
    warm = max(1, len(next(iter(samples.rss.values()))) // 10)
    per: dict[str, dict[str, float]] = {}
    for name in samples.rss:
        rss, files = samples.rss[name], samples.files[name]
        per[name] = {"rss_start_mib": round(rss[min(warm, len(rss) - 1)], 1), "rss_end_mib": round(rss[-1], 1),
                     "rss_max_mib": round(max(rss), 1), "open_files_start": files[min(warm, len(files) - 1)],
                     "open_files_end": files[-1]}
    return {
        "bench": "soak",
        "sim_hours": round(minutes * speed / 60, 2),
        "tickets": tally.issued,
        "rss_start_mib": round(sum(p["rss_start_mib"] for p in per.values()), 1),
        "rss_end_mib": round(sum(p["rss_end_mib"] for p in per.values()), 1),
        "open_files_start": int(sum(p["open_files_start"] for p in per.values())),
        "open_files_end": int(sum(p["open_files_end"] for p in per.values())),
        "lost": lost,
        "duplicated": duplicated,
        "served": tally.finished,
        "refused": tally.refused,
        "errors": tally.errors,
        "error_reasons": tally.error_reasons[:5],
        "per_process": per,
        "idle_cpu_pct": idle,
        "idle_seconds": idle_s,
        "minutes": minutes,
        "speed": speed,
    }


def _start_uis(procs: Processes, workdir: Path, sock: dict[str, str], env: dict[str, str]) -> None:
    """The kiosk and hall-screen UIs on the soak's own display."""
    for role, device in (("kiosk", "kiosk-1"), ("hall-screen", "screen-1")):
        with (workdir / f"ui-{role}.log").open("wb") as log:
            p = subprocess.Popen([sys.executable, "-m", "kiosk", "--agent-socket", sock[device], "--configs",
                                  str(CONFIGS), "--role", role], stdout=log, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True)
        procs.procs.append((f"ui-{role}", p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=54.0, help="real minutes to run (54 = a 9-hour day at 10x)")
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per real second")
    parser.add_argument("--arrivals-per-hour", type=float, default=240.0, help="citizens per simulated hour")
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="the quiet window for idle CPU")
    parser.add_argument("--workdir", default="", help="keep logs and databases here (default: a temp dir)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        workdir = Path(args.workdir) if args.workdir else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ov-soak-")))
        workdir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(soak(args.minutes, args.speed, args.arrivals_per_hour, args.idle_seconds, workdir))
    for name, p in result["per_process"].items():
        print(f"{name:<22} RSS {p['rss_start_mib']:7.1f} → {p['rss_end_mib']:7.1f} MiB (max {p['rss_max_mib']:.1f})"
              f"  files {p['open_files_start']:3d} → {p['open_files_end']:3d}"
              f"  idle CPU {result['idle_cpu_pct'].get(name, float('nan')):5.2f} %")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
