"""Kiosk UI benchmark: cold start, screen transitions, and a soak of citizen sessions driven by touches.

    .venv/bin/python -m bench.kiosk [--sessions 1000] [--cold-runs 3]

Runs under its own Xvfb (Mesa llvmpipe) with the demo kiosk's simulated devices and a stand-in agent.
Cold start: from spawning ``python -m kiosk`` to its first drawn interactive frame. Transitions: from the
finger's release to the first frame showing the next screen. Soak: each session browses, takes a ticket
(printed on the simulated printer) and goes home (session wiped); RSS, textures, descriptors and temporary
files are compared after a warm-up and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hall_protocol.hall_config import load_hall_config
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.remote import ROOT, RemoteUi, kiosk_test_config, ui_env

FIRST_FRAME = re.compile(r"first interactive frame after")
WARM_UP = 20


def start_xvfb(workdir: Path, width: int = 1080, height: int = 1920) -> tuple[subprocess.Popen[bytes], str]:
    """A private Xvfb (GLX, for Mesa llvmpipe); returns it and its display name. With ``-displayfd`` the server
    picks a free display number itself and says it on the pipe once ready, so processes starting at once (test
    workers, a benchmark beside the tests) never race for one number. SystemExit when it does not start."""
    read_end, write_end = os.pipe()
    with open(workdir / "xvfb.log", "wb") as log:
        proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
                                 "-nolisten", "tcp", "+extension", "GLX"],
                                stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_end,))
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        number = pipe.readline().strip()  # b"" when the server exits instead
    deadline = time.monotonic() + 10
    while not (number.isdigit() and Path(f"/tmp/.X11-unix/X{int(number)}").exists()):
        if proc.poll() is not None or time.monotonic() > deadline or not number.isdigit():
            proc.kill()
            raise SystemExit(f"Xvfb did not start: {(workdir / 'xvfb.log').read_text()}")
        time.sleep(0.05)
    return proc, f":{int(number)}"


async def cold_start(env: dict[str, str], config: Path, agent_socket: str) -> float:
    """Seconds from spawning the kiosk process to its first interactive frame."""
    began = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kiosk", "--config", str(config), "--agent-socket", agent_socket,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            while line := await proc.stdout.readline():
                if FIRST_FRAME.search(line.decode(errors="replace")):
                    return time.perf_counter() - began
        raise SystemExit("the kiosk exited before its first frame")
    finally:
        proc.terminate()
        await proc.wait()


async def run(sessions: int, cold_runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ov-kb-") as tmp:
        work = Path(tmp)
        xvfb, display = start_xvfb(work)
        try:
            env = ui_env(dict(os.environ, DISPLAY=display, LIBGL_ALWAYS_SOFTWARE="1"))
            hall = load_hall_config(ROOT / "configs" / "demo" / "hall.toml")
            agent = await FakeAgent(str(work / "agent.sock"), hall).start()
            config = kiosk_test_config(work)
            colds = [await cold_start(env, config, agent.path) for _ in range(cold_runs)]
            print(f"cold start to first interactive frame: {', '.join(f'{c:.2f}' for c in colds)} s")
            ui = await RemoteUi.start(env, work, ["--config", str(config), "--agent-socket", agent.path])
            try:
                await ui.wait("the agent link", lambda s: s["connected"] and s["online"])
                transitions: dict[str, list[float]] = {}
                start: dict[str, Any] = {}
                began = time.perf_counter()
                for n in range(sessions):
                    if n == min(WARM_UP, sessions // 2):
                        start = await ui.call("resources")
                    for step, seconds in (await ui.call("session")).items():
                        transitions.setdefault(step, []).append(seconds * 1000)
                    if (n + 1) % 100 == 0:
                        rss = (await ui.call("resources"))["rss"] / 2**20
                        print(f"  {n + 1} sessions, {time.perf_counter() - began:.0f} s, RSS {rss:.1f} MiB", flush=True)
                end = await ui.call("resources")
                state = await ui.state()
            finally:
                code = await ui.close()
            await agent.close()
        finally:
            xvfb.terminate()
            xvfb.wait()
    every = [v for values in transitions.values() for v in values]
    p95 = statistics.quantiles(every, n=20)[-1] if len(every) >= 20 else max(every)
    rss_start, rss_end = start["rss"] / 2**20, end["rss"] / 2**20
    print("transition p50 / p95 per step (ms):")
    for step, values in transitions.items():
        q = statistics.quantiles(values, n=20) if len(values) >= 20 else [max(values)] * 19
        print(f"  {step:24s} {statistics.median(values):7.1f} / {q[-1]:7.1f}")
    print(f"sessions {sessions}: tickets printed {state['receipts_printed']}, wipes seen {len(state['wipes'])} "
          f"(last 50 kept), UI exit code {code}")
    print(f"RSS {rss_start:.1f} MiB after warm-up → {rss_end:.1f} MiB; textures {start['textures']} → "
          f"{end['textures']}; fds {start['fds']} → {end['fds']}; speech files {end['speech_files']}; "
          f"print temp files {end['print_temp_files']}; failed UI tasks {state['failed_tasks']}")
    return {
        "bench": "kiosk",
        "cold_start_s": round(statistics.median(colds), 3),
        "cold_start_runs_s": [round(c, 3) for c in colds],
        "transition_p50_ms": round(statistics.median(every), 1),
        "transition_p95_ms": round(p95, 1),
        "rss_start_mib": round(rss_start, 1),
        "rss_end_mib": round(rss_end, 1),
        "rss_growth_pct": round((rss_end - rss_start) / rss_start * 100, 2),
        "textures_start": start["textures"],
        "textures_end": end["textures"],
        "fds_start": start["fds"],
        "fds_end": end["fds"],
        "temp_files_end": end["speech_files"] + end["print_temp_files"],
        "receipts_printed": state["receipts_printed"],
        "failed_tasks": state["failed_tasks"],
        "sessions": sessions,
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.kiosk")
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--cold-runs", type=int, default=3)
    args = p.parse_args()
    result = asyncio.run(run(args.sessions, args.cold_runs))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
