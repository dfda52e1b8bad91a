"""Loads every fixture module under tests/fixtures as a pytest plugin, so each component keeps its own file."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest
from hypothesis import settings

# Speed is measured in bench/, never in tests: a property test on a busy 2-core machine must not fail on time.
settings.register_profile("onevisit", deadline=None)
settings.load_profile("onevisit")

pytest_plugins = [
    f"tests.fixtures.{m.name}"
    for m in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])
    if not m.name.startswith("_")
]


_FAULTS = ("e2e", "faults")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """For pytest-xdist's ``--dist loadgroup`` (scripts/test): each test module stays on one worker, so a
    module's UI or hall starts once; the fault suite is one group, run first and one test at a time on its
    worker, since it breaks and restarts whole halls and bounds their recovery."""
    tests_dir = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(tests_dir).parts
        item.add_marker(pytest.mark.xdist_group("faults" if parts[:2] == _FAULTS else "/".join(parts)))
    items.sort(key=lambda item: item.path.relative_to(tests_dir).parts[:2] != _FAULTS)  # stable: order kept
