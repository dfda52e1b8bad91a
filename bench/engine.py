"""Queue engine throughput and call-next latency on a large hall.

100 windows, 40 services, 5,000 tickets waiting; then a mix of issue / call-next / start / finish that
keeps about 5,000 waiting. Every command goes through ``handle`` (decide + apply, new immutable state).
Routing is on by default (the OneVisit call order with a 2:1 class ratio, estimates kept at issue).
Run: ``.venv/bin/python -m bench.engine [--ops N] [--seed S] [--call-order onevisit|skill-tiers]``.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time
from typing import Any

from hall_controller.engine import EngineError, EngineState, handle
from hall_controller.engine import commands as cmd
from hall_protocol.config_files import convert
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import Priority

N_SERVICES = 40
N_WINDOWS = 100
WAITING = 5000


def _prefixes(n: int) -> list[str]:
    letters = string.ascii_uppercase
    out = list(letters)
    out += [a + b for a in letters for b in letters]
    return out[:n]


def big_hall(rng: random.Random, call_order: str = "onevisit") -> HallConfig:
    zones = [{"id": f"Z{i}", "name_zh": f"{i}区", "name_en": f"Zone {i}"} for i in range(8)]
    services = [
        {
            "code": f"S{i:02d}",
            "name_zh": f"业务{i}",
            "name_en": f"Service {i}",
            "prefix": p,
            "zone": f"Z{i % 8}",
            "daily_cap": 9999,
            "issue_from": "00:00",
            "issue_until": "23:59",
            "expected_service_min": rng.choice([3, 5, 8, 12, 15]),
        }
        for i, p in enumerate(_prefixes(N_SERVICES))
    ]
    windows: list[dict[str, Any]] = []
    for i in range(N_WINDOWS):
        w: dict[str, Any] = {"id": f"W{i:03d}", "name_zh": f"{i}号窗口", "name_en": f"Window {i}", "zone": f"Z{i % 8}"}
        if i % 10 == 0:
            w["comprehensive"] = True  # 10 comprehensive windows serve all 40 services
        else:
            picks = rng.sample(range(N_SERVICES), 3)
            w["skills"] = {f"S{picks[0]:02d}": 1.0, f"S{picks[1]:02d}": 1.0, f"S{picks[2]:02d}": 0.5}
        windows.append(w)
    raw = {
        "hall": {"id": "bench", "name_zh": "基准大厅", "name_en": "Bench hall"},
        "zones": zones,
        "services": services,
        "windows": windows,
        # routing on: the OneVisit call order with the 2:1 class ratio (docs/routing.md)
        "routing": {"call_order": call_order, "class_ratio": [2, 1] if call_order == "onevisit" else None},
    }
    return convert(raw, HallConfig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=60_000, help="commands in the measured mix")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--call-order", choices=["onevisit", "skill-tiers"], default="onevisit")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    config = big_hall(rng, args.call_order)
    now = 1_741_568_400.0  # 2025-03-10 09:00 Asia/Shanghai
    state = EngineState.initial(config, now)
    ids = iter(range(10**9))
    codes = [s.code for s in config.services]
    classes = [Priority.NORMAL] * 85 + [Priority.GREEN] * 10 + [Priority.VIP] * 5

    def issue(st: EngineState, t: float) -> EngineState:
        c = cmd.IssueTicket(request_id=f"i{next(ids)}", service=rng.choice(codes), priority=rng.choice(classes))
        return handle(st, c, t)[0]

    for w in config.windows:
        state = handle(state, cmd.Login(request_id=f"l{w.id}", window_id=w.id, staff_id=f"s{w.id}"), now)[0]
        state = handle(state, cmd.OpenWindow(request_id=f"o{w.id}", window_id=w.id), now)[0]
    t0 = time.perf_counter()
    for _ in range(WAITING):
        now += 0.01
        state = issue(state, now)
    setup_s = time.perf_counter() - t0
    print(f"setup: {WAITING} tickets issued in {setup_s:.2f} s ({WAITING / setup_s:,.0f} issues/s)")

    window_ids = [w.id for w in config.windows]
    call_ns: list[int] = []
    all_ns: list[int] = []
    counts = {"issue": 0, "call-next": 0, "start": 0, "finish": 0, "empty": 0}
    for _ in range(args.ops):
        now += 0.05
        wid = rng.choice(window_ids)
        current = state.windows[wid].current
        if state.waiting_count() < WAITING or rng.random() < 0.25:
            command: cmd.Command = cmd.IssueTicket(
                request_id=f"i{next(ids)}", service=rng.choice(codes), priority=rng.choice(classes)
            )
            kind = "issue"
        elif current is None:
            command = cmd.CallNext(request_id=f"c{next(ids)}", window_id=wid)
            kind = "call-next"
        elif state.tickets[current].state == "serving":
            command = cmd.FinishService(request_id=f"f{next(ids)}", window_id=wid)
            kind = "finish"
        else:
            command = cmd.StartService(request_id=f"s{next(ids)}", window_id=wid)
            kind = "start"
        start = time.perf_counter_ns()
        try:
            state, _events = handle(state, command, now)
        except EngineError:
            kind = "empty"  # nobody waiting for this window's skills
        elapsed = time.perf_counter_ns() - start
        all_ns.append(elapsed)
        counts[kind] += 1
        if kind == "call-next":
            call_ns.append(elapsed)

    total_s = sum(all_ns) / 1e9
    ops_per_s = len(all_ns) / total_s
    call_ns.sort()
    p50 = call_ns[len(call_ns) // 2] / 1e6
    p99 = call_ns[int(len(call_ns) * 0.99)] / 1e6
    all_ns.sort()
    print(f"mix: {counts}")
    print(f"throughput: {ops_per_s:,.0f} ops/s over {len(all_ns):,} commands (handle only, one core)")
    print(
        f"all commands: p50 {all_ns[len(all_ns) // 2] / 1e3:.1f} µs, p99 {all_ns[int(len(all_ns) * 0.99)] / 1e3:.1f} µs"
    )
    print(f"call-next: p50 {p50 * 1e3:.1f} µs, p99 {p99 * 1e3:.1f} µs over {len(call_ns):,} calls")
    print(f"waiting at end: {state.waiting_count()}, windows: {len(window_ids)}")
    print(
        json.dumps(
            {
                "bench": "engine",
                "ops_per_s": round(ops_per_s),
                "call_next_p50_ms": round(p50, 4),
                "call_next_p99_ms": round(p99, 4),
                "waiting": state.waiting_count(),
                "windows": len(window_ids),
                "call_order": args.call_order,
            }
        )
    )


if __name__ == "__main__":
    main()
