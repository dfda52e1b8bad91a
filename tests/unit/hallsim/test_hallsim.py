"""The hall simulator on a small day: deterministic for a seed, every visit resolved, the real engine
driven, the baselines calling what their rules say, and a replayed trace through the command line."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.hallsim.__main__ import main
from bench.hallsim.run import run_scenario
from bench.hallsim.scenarios import SCENARIOS
from hall_controller.engine import events as ev

SMALL = replace(SCENARIOS["township"], visits=60)


def test_a_small_day_is_deterministic_and_resolves_every_visit() -> None:
    a = run_scenario(SMALL, 7, ("qmatic_longest_wait", "onevisit"))
    b = run_scenario(SMALL, 7, ("qmatic_longest_wait", "onevisit"))
    for policy in a:
        assert a[policy].metrics == b[policy].metrics
        result = a[policy].result
        assert len(result.records) == 60
        assert all(r.done or r.left_s is not None for r in result.records)
        assert result.commands > 60  # every queue operation went through the engine
    onevisit_calls = a["onevisit"].result.calls
    assert onevisit_calls
    assert all(not c.explicit and c.reason.startswith("called ") for c in onevisit_calls)
    assert all(c.explicit for c in a["qmatic_longest_wait"].result.calls)
    assert a["onevisit"].ewt["engine"]["n"] > 0


def test_baselines_follow_their_rules() -> None:
    runs = run_scenario(SMALL, 3, ("dedicated_fifo", "novosga", "qsystem"))
    for run in runs.values():
        assert isinstance(run.result.calls[0], ev.TicketCalled)
        assert run.metrics["served"] + round(run.metrics["abandoned"] * 60) == 60


def test_a_trace_replayed_through_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "day.csv"
    rows = ["arrival_s,service,service_s,patience_s"]
    for i in range(40):
        rows.append(f"{i * 45},{'S01' if i % 3 else 'S02'},{200 + (i % 5) * 40},{'' if i % 4 else 900}")
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["--trace", str(csv), "--windows", "3", "--dedicated"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    policies = out["scenarios"]["trace"]["policies"]
    assert set(policies) == {"dedicated_fifo", "novosga", "qsystem", "qmatic_longest_wait", "onevisit"}
    assert set(policies["onevisit"]) == {
        "mean_wait_min",
        "p90_wait_min",
        "p95_wait_min",
        "within_target",
        "abandoned",
        "max_wait_lowest_class_min",
    }


def test_a_bad_trace_is_refused_with_its_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("arrival,service\n1,S01\n", encoding="utf-8")
    assert main(["--trace", str(csv), "--windows", "2"]) == 2
    assert "header must be" in capsys.readouterr().err
