"""python -m bench.hallsim [--all | --scenario NAME | --trace FILE --windows N [--dedicated]] [--seeds 1,2,3]

``--all`` runs every scenario under every policy, checks the staffing advice, writes docs/routing.md and
its plots (docs/routing/*.png) and ends with the JSON line. ``--scenario`` prints one scenario's figures.
``--trace`` replays a CSV day (``arrival_s,service,service_s,patience_s``) under every policy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.hallsim import report, trace
from bench.hallsim.run import ABLATION, POLICIES, PolicyRun, run_policy, run_scenario
from bench.hallsim.scenarios import SCENARIOS
from bench.hallsim.staffing_check import check

ROOT = Path(__file__).resolve().parents[2]


def _print_table(name: str, by_policy: dict[str, list[PolicyRun]]) -> None:
    print(f"== {name}")
    print("\n".join(report._table(by_policy)))
    if "onevisit" in by_policy:
        for pred in ("engine", "heuristic"):
            e = report.average_ewt(by_policy["onevisit"], pred)
            print(
                f"EWT {pred}: coverage {e['ewt_coverage']:.1%}, width {e['ewt_width_rel']:.0%}, "
                f"MAE {e['ewt_mae_min']:.2f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hallsim", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--all", action="store_true", help="every scenario; writes docs/routing.md")
    mode.add_argument("--scenario", choices=sorted(SCENARIOS))
    mode.add_argument("--trace", type=Path, help="CSV: arrival_s,service,service_s,patience_s")
    parser.add_argument("--windows", type=int, help="windows of the replayed hall (with --trace)")
    parser.add_argument("--dedicated", action="store_true", help="with --trace: windows dedicated to services")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (scenarios)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "routing.md")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]

    if args.trace is not None:
        if not args.windows or args.windows < 1:
            parser.error("--trace needs --windows N")
        try:
            setup, visits = trace.setup(trace.read(args.trace), args.windows)
            policies = POLICIES if args.windows >= len(setup.specs) else POLICIES[1:]
            by_policy = {p: [run_policy(setup, p, visits, dedicated=args.dedicated)] for p in policies}
        except trace.TraceError as err:
            print(f"hallsim: {err}", file=sys.stderr)
            return 2
        _print_table("trace", by_policy)
        print(json.dumps(report.summary({"trace": by_policy}), ensure_ascii=False))
        return 0

    names = sorted(SCENARIOS, key=lambda n: SCENARIOS[n].visits) if args.all else [args.scenario]
    results: dict[str, dict[str, list[PolicyRun]]] = {}
    city_day_s = 0.0
    for name in names:
        by_policy: dict[str, list[PolicyRun]] = {p: [] for p in (*POLICIES, ABLATION)}
        for seed in seeds:
            t0 = time.perf_counter()
            for p, run in run_scenario(SCENARIOS[name], seed).items():
                by_policy[p].append(run)
            print(f"{name} seed {seed}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if name == "city":
            city_day_s = max(r.seconds for r in by_policy["onevisit"])
        results[name] = by_policy
        _print_table(name, by_policy)
    line = json.dumps(report.summary(results), ensure_ascii=False)
    if args.all:
        staffing, staffing_summary = check(SCENARIOS["district"], seeds[0])
        report.plots(results, staffing, args.out.parent / "routing")
        args.out.write_text(
            report.markdown(results, seeds, staffing, staffing_summary, city_day_s, line), encoding="utf-8"
        )
        print(f"wrote {args.out}", file=sys.stderr)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
