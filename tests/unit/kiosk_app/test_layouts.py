"""Each App's .kv layout lies beside its module, is loaded by it, and ships with the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_every_kv_layout_is_loaded_beside_its_app_and_ships() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.kv" in config["tool"]["setuptools"]["package-data"]["*"]
    layouts = sorted((ROOT / "kiosk").rglob("*.kv"))
    assert {p.relative_to(ROOT / "kiosk" / "apps").as_posix() for p in layouts} == {
        "common.kv", "kiosk/kiosk.kv", "hall_screen/hall_screen.kv", "window_display/window_display.kv",
        "evaluator/evaluator.kv",
    }
    for kv in layouts:
        assert (kv.parent / "__init__.py").is_file(), f"{kv} is not inside a package: it would not ship"
        modules = " ".join(p.read_text(encoding="utf-8") for p in kv.parent.glob("*.py"))
        assert f'with_name("{kv.name}")' in modules, f"nothing beside {kv} loads it"
