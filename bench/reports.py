"""A month's report of a 2,500-visit/day hall, read from the stored events, must render in under 2 s.

Generates the month through the real engine (issue, call, start, finish, some no-shows, pauses, ratings at
the active-rating rate the seeds ask for) into a real controller store (SQLite), then times what the console
does: on start it folds every stored event into the history once (in the background, ``__main__``), then
each render of the month's page catches up with the events since and builds the report. The 2-second bound
is for the render; the start-up fold is reported beside it.
Run: ``.venv/bin/python -m bench.reports [--visits 2500] [--days 30]``. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

import msgspec

from hall_controller.engine import EngineError, EngineState, handle
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.records import HallRecords
from hall_controller.reports import PeriodKind, build, period_of
from hall_controller.store import Store
from hall_protocol.config_files import convert
from hall_protocol.hall_config import HallConfig

TZ = "Asia/Shanghai"
N_SERVICES, N_WINDOWS = 12, 30


def month_hall() -> HallConfig:
    services = [{"code": f"S{i:02d}", "name_zh": f"业务{i}", "name_en": f"Service {i}", "prefix": chr(65 + i),
                 "zone": "A", "daily_cap": 9999, "issue_from": "00:00", "issue_until": "23:59",
                 "expected_service_min": 6} for i in range(N_SERVICES)]
    windows = [{"id": f"W{i:02d}", "name_zh": f"{i}号窗口", "name_en": f"Window {i}", "zone": "A",
                "comprehensive": True} for i in range(N_WINDOWS)]
    raw = {"hall": {"id": "bench", "name_zh": "基准大厅", "name_en": "Bench hall", "timezone": TZ},
           "zones": [{"id": "A", "name_zh": "A区", "name_en": "Zone A"}], "services": services, "windows": windows,
           "calling": {"recycle_no_show": False}}
    return convert(raw, HallConfig)


class Month:
    def __init__(self, config: HallConfig, rng: random.Random, start: float) -> None:
        self.rng = rng
        self.state = EngineState.initial(config, start)
        self.ids = iter(range(10**9))
        self.batch: list[bytes] = []
        self.codes = [s.code for s in config.services]
        self.windows = [w.id for w in config.windows]

    def do(self, command: cmd.Command, now: float) -> list[ev.Event]:
        try:
            self.state, events = handle(self.state, command, now)
        except EngineError:
            return []
        self.batch.extend(msgspec.json.encode(e) for e in events)
        return events

    def rid(self) -> str:
        return f"r{next(self.ids)}"

    def day(self, day_start: float, visits: int) -> None:
        """Windows open 09:00-17:00; arrivals spread over 8 hours; each window calls whenever it is free."""
        opens = day_start + 9 * 3600
        for w in self.windows:
            self.do(cmd.Login(request_id=self.rid(), window_id=w, staff_id=f"staff-{w}"), opens)
            self.do(cmd.OpenWindow(request_id=self.rid(), window_id=w), opens)
        arrivals = sorted(opens + self.rng.random() * 8 * 3600 for _ in range(visits))
        free_at = {w: opens for w in self.windows}
        waiting: list[float] = []
        for t in arrivals:
            issued = self.do(cmd.IssueTicket(request_id=self.rid(), service=self.rng.choice(self.codes)), t)
            if issued:
                waiting.append(t)
            self._serve_until(t, free_at, waiting)
        self._serve_until(opens + 12 * 3600, free_at, waiting)
        closes = opens + 12 * 3600
        for w in self.windows:
            self.do(cmd.Logout(request_id=self.rid(), window_id=w), closes)

    def _serve_until(self, now: float, free_at: dict[str, float], waiting: list[float]) -> None:
        while waiting:
            w = min(free_at, key=free_at.__getitem__)
            t = max(free_at[w], waiting[0])
            if t > now:
                return
            called = self.do(cmd.CallNext(request_id=self.rid(), window_id=w), t)
            if not called:
                return
            waiting.pop(0)
            ticket = called[-1].ticket_id  # type: ignore[union-attr]
            if self.rng.random() < 0.03:
                self.do(cmd.Recall(request_id=self.rid(), window_id=w), t + 60)
                self.do(cmd.Recall(request_id=self.rid(), window_id=w), t + 120)
                self.do(cmd.MarkNoShow(request_id=self.rid(), window_id=w), t + 180)
                free_at[w] = t + 180
                continue
            duration = self.rng.expovariate(1 / 300) + 60
            self.do(cmd.StartService(request_id=self.rid(), window_id=w), t + 30)
            self.do(cmd.FinishService(request_id=self.rid(), window_id=w), t + 30 + duration)
            end = t + 30 + duration
            if self.rng.random() < 0.45:  # a little above the seeds' 40 %
                level = self.rng.choices([5, 4, 3, 2, 1], [70, 18, 7, 3, 2])[0]
                self.do(cmd.RecordRating(request_id=self.rid(), ticket_id=ticket, level=level,
                                         comment="等候时间长" if level <= 2 else ""), end + 20)
            if self.rng.random() < 0.02:
                self.do(cmd.PauseWindow(request_id=self.rid(), window_id=w, reason="break"), end)
                self.do(cmd.ResumeWindow(request_id=self.rid(), window_id=w), end + 600)
                end += 600
            free_at[w] = end


async def run(visits: int, days: int, seed: int, db: Path) -> dict[str, object]:
    config = month_hall()
    first = "2025-03-01"
    month = period_of(PeriodKind.MONTH, first, TZ)
    rng = random.Random(seed)
    gen = Month(config, rng, month.start)
    store = await Store.open(db)
    t0 = time.perf_counter()
    for d in range(days):
        gen.day(month.start + d * 86400, visits)
        await store.commit_batch(gen.batch, month.start + d * 86400 + 86000, [])
        gen.batch = []
    generate_s = time.perf_counter() - t0
    events = store.last_seq
    now = month.end + 3600

    cold = time.perf_counter()
    records = HallRecords(store)
    history = await records.current()
    report = build(history, config, month, await records.followups(), now)
    cold_s = time.perf_counter() - cold
    warm = time.perf_counter()
    history = await records.current()
    build(history, config, month, await records.followups(), now)
    warm_s = time.perf_counter() - warm
    await store.close()
    print(f"generated {days} days x {visits} visits: {events:,} events in {generate_s:.1f} s")
    print(f"month report: {report.visits:,} visits, {report.served:,} served, {report.ratings:,} ratings "
          f"(active-rating rate {report.active_rating_rate or 0:.1%}), "
          f"wait p50 {(report.wait_p50_s or 0) / 60:.1f} min")
    print(f"start-up fold of every stored event + first build: {cold_s * 1000:.0f} ms; "
          f"month report render (catch up + build): {warm_s * 1000:.0f} ms")
    return {"bench": "reports", "days": days, "visits_per_day": visits, "events": events,
            "report_visits": report.visits, "startup_fold_ms": round(cold_s * 1000),
            "render_ms": round(warm_s * 1000), "render_under_2s": warm_s < 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=2500, help="visits per day")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onevisit-bench-") as tmp:
        result = asyncio.run(run(args.visits, args.days, args.seed, Path(tmp) / "hall.db"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
