"""Every kind of configuration file OneVisit reads, and how to recognise and validate each."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hall_protocol.config_files import ConfigError


def _hall(path: Path) -> Any:
    from hall_protocol.hall_config import load_hall_config

    return load_hall_config(path)


def _agent(path: Path) -> Any:
    from edge_agent.config import load_agent_config

    return load_agent_config(path)


def _kiosk(path: Path) -> Any:
    from kiosk.config import load_kiosk_config

    return load_kiosk_config(path)


def _catalog(path: Path) -> Any:
    from kiosk.catalog import load_catalog_file

    return load_catalog_file(path)


def _guide(path: Path) -> Any:
    from kiosk.guide import load_guide_file

    return load_guide_file(path)


KINDS: dict[str, Callable[[Path], Any]] = {
    "hall": _hall,
    "agent": _agent,
    "kiosk": _kiosk,
    "catalog": _catalog,
    "guide": _guide,
}


def kind_of(path: Path) -> str:
    """Recognise a file by its name and folder: hall.toml, agent*.toml, kiosk*.toml, catalog.toml, guides/*."""
    name = path.name
    if path.parent.name == "guides":
        return "guide"
    for kind in ("hall", "catalog", "agent", "kiosk"):
        if name.startswith(kind):
            return kind
    raise ValueError(f"{path}: cannot tell what kind of configuration this is; pass --kind")


def expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.rglob("*.toml")) if p.is_dir() else [p])
    return out


def validate_files(paths: list[Path], kind: str | None = None) -> int:
    """Print one line per file (ok, or each problem with file, field and value). Exit code 1 on any problem."""
    failed = 0
    for path in expand(paths):
        try:
            k = kind or kind_of(path)
            if k not in KINDS:
                raise ValueError(f"unknown kind {k!r}; one of {', '.join(KINDS)}")
            KINDS[k](path)
        except ConfigError as err:
            failed += 1
            for problem in err.problems:
                print(f"error: {problem}", file=sys.stderr)
        except ValueError as err:
            failed += 1
            print(f"error: {err}", file=sys.stderr)
        else:
            print(f"ok: {path} ({k})")
    return 1 if failed else 0
