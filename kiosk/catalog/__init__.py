"""The kiosk's service catalog: life events, business themes, departments, 一件事 packages, search."""

from __future__ import annotations

from pathlib import Path

from hall_protocol.hall_config import load_hall_config
from kiosk.catalog.catalog import Catalog, Entry, EntryKind, ThemeView, load_catalog, validate_catalog
from kiosk.catalog.model import CatalogConfig, Department, KioskScreen, Package, ServiceInfo, Theme, ThemeKind
from kiosk.catalog.search import SearchHit, SearchIndex

__all__ = [
    "Catalog",
    "CatalogConfig",
    "Department",
    "Entry",
    "EntryKind",
    "KioskScreen",
    "Package",
    "SearchHit",
    "SearchIndex",
    "ServiceInfo",
    "Theme",
    "ThemeKind",
    "ThemeView",
    "load_catalog",
    "load_catalog_file",
    "validate_catalog",
]


def load_catalog_file(path: str | Path) -> Catalog:
    """Load a ``catalog.toml`` with the ``hall.toml`` and ``guides/`` beside it (how configs/ is laid out)."""
    from kiosk.guide import load_guides

    p = Path(path)
    hall = load_hall_config(p.parent / "hall.toml")
    guides_dir = p.parent / "guides"
    guides = set(load_guides(guides_dir)) if guides_dir.is_dir() else None
    return load_catalog(p, hall, guides=guides)
