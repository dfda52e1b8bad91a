"""Imports point one way: hall_protocol ← hall_runtime ← drivers, edge_agent, hall_controller, kiosk ← onevisit.

Walks the import statements of every product module (including imports inside functions, which the lazy
per-subcommand CLI uses) and fails on an edge that runs the wrong way.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# package -> the project packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "hall_protocol": set(),
    "hall_runtime": {"hall_protocol"},
    "drivers": {"hall_protocol", "hall_runtime"},
    "edge_agent": {"hall_protocol", "hall_runtime"},
    "kiosk": {"hall_protocol", "hall_runtime", "drivers"},
    "hall_controller": {"hall_protocol", "hall_runtime"},
    "onevisit": {"hall_protocol", "hall_runtime", "drivers", "edge_agent", "kiosk", "hall_controller"},
}
PROJECT = set(ALLOWED)
MAX_LINES = 450


def imported_packages(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, m) for line, m in found if m.split(".")[0] in PROJECT]


def product_modules() -> list[Path]:
    return sorted(p for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_runs_the_wrong_way(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in imported_packages(path)
        if module.split(".")[0] not in ALLOWED[package] | {package}
    ]
    assert wrong == []


def test_the_walker_sees_function_level_imports(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from hall_controller.core import ControllerCore\n")
    assert imported_packages(f) == [(2, "hall_controller.core")]


def test_no_product_module_is_long_without_a_reason() -> None:
    decisions = (ROOT / "docs/decisions.md").read_text(encoding="utf-8")
    long = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in product_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(p.relative_to(ROOT)) not in decisions
    ]
    assert long == []


def test_the_contract_imports_without_an_mqtt_library() -> None:
    """hall_protocol names the MQTT conventions; only hall_runtime needs aiomqtt/paho to apply them."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "hall_protocol").glob("*.py")
    )
    code = (
        "import sys\n"
        "for blocked in ('aiomqtt', 'paho', 'paho.mqtt', 'aiosqlite', 'starlette'):\n"
        "    sys.modules[blocked] = None\n"
        f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
