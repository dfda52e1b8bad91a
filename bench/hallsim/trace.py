"""A real day replayed: a CSV ``arrival_s,service,service_s,patience_s`` (seconds from opening; an empty
patience never leaves). The hall has ``windows`` windows serving every service, or, with ``dedicated``,
windows shared out among the services by their workload (at least one each). Nothing else is invented:
no appointments, classes, bundles, kiosks, breaks or absences; the hall opens at 08:30."""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

from bench.hallsim.run import Setup
from bench.hallsim.scenarios import Behaviour, Layout, ServiceSpec, apportion
from bench.hallsim.workload import OPEN_MIN, Visit
from hall_protocol.tickets import Priority


class TraceError(ValueError):
    pass


def read(path: str | Path) -> list[tuple[float, str, float, float]]:
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        want = ["arrival_s", "service", "service_s", "patience_s"]
        if reader.fieldnames != want:
            raise TraceError(f"{path}: the header must be {','.join(want)}, not {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            try:
                patience = float(row["patience_s"]) if row["patience_s"].strip() else math.inf
                rows.append((float(row["arrival_s"]), row["service"].strip(), float(row["service_s"]), patience))
            except ValueError as err:
                raise TraceError(f"{path}:{line}: {err}") from err
    if not rows:
        raise TraceError(f"{path}: no visits")
    return rows


def setup(rows: list[tuple[float, str, float, float]], windows: int) -> tuple[Setup, list[Visit]]:
    codes = sorted({r[1] for r in rows})
    if len(codes) > 26:
        raise TraceError("at most 26 services (one ticket prefix letter each)")
    specs = []
    for code in codes:
        times = [r[2] for r in rows if r[1] == code]
        mean = max(statistics.fmean(times), 1.0)
        cv = statistics.pstdev(times) / mean if len(times) > 1 else 0.5
        specs.append(ServiceSpec(code, code, code, mean / 60, cv, len(times) / len(rows)))
    load = {s.code: s.share * s.mean_min for s in specs}

    def layouts(dedicated: bool) -> Layout:
        if dedicated:
            if windows < len(codes):
                raise TraceError(f"--dedicated needs at least one window per service ({len(codes)})")
            seats = apportion(windows, load)
            skills: dict[str, dict[str, float]] = {}
            for code in codes:
                for _ in range(seats[code]):
                    skills[f"W{len(skills) + 1:02d}"] = {code: 1.0}
        else:
            skills = {f"W{i + 1:02d}": dict.fromkeys(codes, 1.0) for i in range(windows)}
        return Layout(skills=skills, staffed=tuple(skills), reserve=())

    visits = [
        Visit(
            vid=i,
            arrival_s=OPEN_MIN * 60 + arrival,
            steps=(code,),
            service_s=(service_s,),
            priority=Priority.NORMAL,
            patience_s=patience,
            walk_s=0.0,
        )
        for i, (arrival, code, service_s, patience) in enumerate(sorted(rows))
    ]
    s = Setup(
        name="trace",
        specs=tuple(specs),
        layouts=layouts,
        pauses=lambda staffed: [],
        kiosks=0,
        behaviour=Behaviour(),
        windows_open_s=OPEN_MIN * 60.0,
        all_day=True,
    )
    return s, visits
