from __future__ import annotations

from pathlib import Path

import pytest

from hall_protocol.config_files import ConfigError
from hall_protocol.hall_config import load_hall_config
from onevisit.config_kinds import KINDS, kind_of, validate_files

ROOT = Path(__file__).resolve().parents[3]
CONFIG_FILES = sorted((ROOT / "configs").rglob("*.toml"))


def test_there_are_configs() -> None:
    assert any(p.name == "hall.toml" for p in CONFIG_FILES)


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_config_file_is_valid(path: Path) -> None:
    KINDS[kind_of(path)](path)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "hall.toml"
    p.write_text(text, encoding="utf-8")
    return p


DEMO = (ROOT / "configs/demo/hall.toml").read_text(encoding="utf-8")


def test_a_typo_in_a_key_is_named_with_file_field_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, DEMO.replace("daily_cap = 300", "dialy_cap = 300"))
    with pytest.raises(ConfigError) as info:
        load_hall_config(p)
    [problem] = info.value.problems
    assert problem.file == str(p)
    assert problem.field == "services[0].dialy_cap"
    assert "unknown key" in problem.message
    assert problem.line is not None
    assert "dialy_cap" in DEMO.replace("daily_cap", "dialy_cap").splitlines()[problem.line - 1]


def test_a_bad_value_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path, DEMO.replace('prefix = "A"', 'prefix = "a1"'))
    with pytest.raises(ConfigError) as info:
        load_hall_config(p)
    [problem] = info.value.problems
    assert problem.field == "services[0].prefix"
    assert problem.value == "'a1'"


def test_cross_field_rules_name_the_entry(tmp_path: Path) -> None:
    p = _write(tmp_path, DEMO.replace('skills = { "SB-CARD" = 1.0', 'skills = { "NOPE" = 1.0', 1))
    with pytest.raises(ConfigError, match=r"windows\[0\].skills: 'NOPE'"):
        load_hall_config(p)


def test_broken_toml_reports_the_line(tmp_path: Path) -> None:
    p = _write(tmp_path, DEMO.replace('id = "demo"', 'id = "demo'))
    with pytest.raises(ConfigError) as info:
        load_hall_config(p)
    assert info.value.problems[0].line is not None


def test_validate_command_prints_each_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, DEMO.replace("grace_s = 120", "grace_s = 1"))
    assert validate_files([bad]) == 1
    err = capsys.readouterr().err
    assert "calling.grace_s" in err
    assert "value: 1" in err
    assert validate_files([ROOT / "configs/demo/hall.toml"]) == 0
