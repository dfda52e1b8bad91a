"""The catalog a kiosk browses: hall.toml's services joined with catalog.toml, checked against each other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hall_protocol.config_files import ConfigError, ConfigProblem, load_toml
from hall_protocol.hall_config import HallConfig
from kiosk.catalog.model import CatalogConfig, Department, KioskScreen, Package, ServiceInfo, Theme, ThemeKind
from kiosk.catalog.search import SearchHit, SearchIndex
from kiosk.i18n import Bilingual

_NO_SUMMARY = Bilingual("")


class EntryKind(StrEnum):
    SERVICE = "service"
    PACKAGE = "package"


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing a citizen can pick: a single service or a 一件事 package."""

    kind: EntryKind
    code: str  # service code, or package id
    name: Bilingual
    steps: tuple[str, ...]  # service codes in order; (code,) for a single service
    department: Bilingual
    icon: str
    guide: str | None
    kiosk_screen: KioskScreen | None  # set when the whole thing is done at the kiosk
    keywords: tuple[str, ...] = ()
    summary: Bilingual = _NO_SUMMARY

    @property
    def is_package(self) -> bool:
        return self.kind is EntryKind.PACKAGE


@dataclass(frozen=True, slots=True)
class ThemeView:
    id: str
    kind: ThemeKind
    name: Bilingual
    icon: str
    entries: tuple[Entry, ...]


class Catalog:
    """Everything the service finder shows, with the search index built once at load."""

    def __init__(self, config: CatalogConfig, hall: HallConfig) -> None:
        self.config = config
        self.hall = hall
        info = {s.code: s for s in config.services}
        dept_of: dict[str, Department] = {}
        for d in config.departments:
            for code in d.services:
                dept_of.setdefault(code, d)
        self._services: dict[str, Entry] = {}
        for s in hall.services:
            si = info.get(s.code, ServiceInfo(code=s.code))
            dept = dept_of.get(s.code)
            dept_name = Bilingual(dept.name_zh, dept.name_en) if dept else Bilingual(s.department_zh, s.department_en)
            self._services[s.code] = Entry(
                kind=EntryKind.SERVICE,
                code=s.code,
                name=Bilingual(s.name_zh, s.name_en),
                steps=(s.code,),
                department=dept_name,
                icon=si.icon,
                guide=si.guide,
                kiosk_screen=si.kiosk_screen if s.kiosk_capable else None,
                keywords=si.keywords,
            )
        self._packages: dict[str, Entry] = {p.id: self._package_entry(p) for p in config.packages}
        self.themes: tuple[ThemeView, ...] = tuple(self._theme_view(th) for th in config.themes)
        self.departments: tuple[ThemeView, ...] = tuple(
            ThemeView(
                id=d.id,
                kind=ThemeKind.LIFE,
                name=Bilingual(d.name_zh, d.name_en),
                icon=d.icon,
                entries=tuple(self._services[c] for c in d.services),
            )
            for d in config.departments
        )
        self.index = SearchIndex([*self._packages.values(), *self._services.values()])
        self.shortcuts: tuple[Entry, ...] = tuple(self.entry(code) for code in config.shortcuts)

    def _package_entry(self, p: Package) -> Entry:
        first = self._services[p.steps[0]]
        depts: list[str] = []
        depts_en: list[str] = []
        for code in p.steps:
            d = self._services[code].department
            if d.zh not in depts:
                depts.append(d.zh)
                depts_en.append(d.en)
        return Entry(
            kind=EntryKind.PACKAGE,
            code=p.id,
            name=Bilingual(p.name_zh, p.name_en),
            steps=p.steps,
            department=Bilingual("、".join(depts), ", ".join(e for e in depts_en if e)),
            icon=p.icon,
            guide=p.guide,
            kiosk_screen=first.kiosk_screen if len(p.steps) == 1 else None,
            keywords=p.keywords,
            summary=Bilingual(p.summary_zh, p.summary_en),
        )

    def _theme_view(self, th: Theme) -> ThemeView:
        entries = [self._packages[p] for p in th.packages] + [self._services[s] for s in th.services]
        return ThemeView(id=th.id, kind=th.kind, name=Bilingual(th.name_zh, th.name_en), icon=th.icon,
                         entries=tuple(entries))

    def themes_of(self, kind: ThemeKind) -> tuple[ThemeView, ...]:
        return tuple(th for th in self.themes if th.kind is kind)

    def service(self, code: str) -> Entry:
        return self._services[code]

    def package(self, package_id: str) -> Entry:
        return self._packages[package_id]

    def entry(self, code: str) -> Entry:
        """A package id or a service code."""
        return self._packages.get(code) or self._services[code]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return (*self._packages.values(), *self._services.values())

    def guide_ids(self) -> set[str]:
        return {e.guide for e in self.entries if e.guide}

    def search(self, query: str, limit: int = 20) -> list[SearchHit[Entry]]:
        return self.index.search(query, limit)


def _line_of_value(text: str, value: str) -> int | None:
    pattern = re.compile(r'"' + re.escape(value) + r'"')
    for n, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return n
    return None


def validate_catalog(
    config: CatalogConfig,
    hall: HallConfig,
    *,
    source: str = "<catalog>",
    text: str = "",
    guides: set[str] | None = None,
) -> list[ConfigProblem]:
    """Every cross-reference: catalog → hall.toml services, packages, guides; kiosk routes; duplicates.

    ``guides`` is the set of guide ids that exist; None skips the guide check.
    """
    problems: list[ConfigProblem] = []
    services = {s.code: s for s in hall.services}

    def bad(field: str, value: str, message: str) -> None:
        problems.append(ConfigProblem(source, field, repr(value), message, _line_of_value(text, value)))

    def check_service(field: str, code: str) -> None:
        if code not in services:
            bad(field, code, f"{code!r} is not a service of hall {hall.hall.id!r} (hall.toml); "
                f"add it there or fix the code")

    def check_unique(what: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i, v in enumerate(ids):
            if v in seen:
                bad(f"{what}[{i}]", v, f"{v!r} appears twice in {what}")
            seen.add(v)

    check_unique("themes", [t.id for t in config.themes])
    check_unique("departments", [d.id for d in config.departments])
    check_unique("packages", [p.id for p in config.packages])
    check_unique("services", [s.code for s in config.services])
    package_ids = {p.id for p in config.packages}
    for i, si in enumerate(config.services):
        check_service(f"services[{i}].code", si.code)
        svc = services.get(si.code)
        if svc is not None and svc.kiosk_capable and si.kiosk_screen is None:
            bad(f"services[{i}].kiosk_screen", si.code,
                f"{si.code!r} is kiosk_capable in hall.toml: say which kiosk screen does it (print, progress)")
        if svc is not None and not svc.kiosk_capable and si.kiosk_screen is not None:
            bad(f"services[{i}].kiosk_screen", si.code,
                f"{si.code!r} is not kiosk_capable in hall.toml, so it cannot have a kiosk screen")
    described = {s.code for s in config.services}
    for code, svc in services.items():
        if svc.kiosk_capable and code not in described:
            bad("services", code, f"{code!r} is kiosk_capable in hall.toml: add a [[services]] entry with kiosk_screen")
    check_unique("shortcuts", list(config.shortcuts))
    for i, code in enumerate(config.shortcuts):
        if code not in services and code not in package_ids:
            bad(f"shortcuts[{i}]", code, f"{code!r} is neither a service of hall.toml nor a package of this catalog")
    for i, p in enumerate(config.packages):
        for j, code in enumerate(p.steps):
            check_service(f"packages[{i}].steps[{j}] (package {p.id})", code)
        if len(set(p.steps)) != len(p.steps):
            bad(f"packages[{i}].steps", p.id, f"package {p.id!r} lists a service twice")
    for i, th in enumerate(config.themes):
        if not th.services and not th.packages:
            bad(f"themes[{i}]", th.id, f"theme {th.id!r} lists no services and no packages")
        for j, code in enumerate(th.services):
            check_service(f"themes[{i}].services[{j}] (theme {th.id})", code)
        for j, pid in enumerate(th.packages):
            if pid not in package_ids:
                bad(f"themes[{i}].packages[{j}] (theme {th.id})", pid, f"{pid!r} is not a package of this catalog")
    in_department: set[str] = set()
    for i, d in enumerate(config.departments):
        for j, code in enumerate(d.services):
            check_service(f"departments[{i}].services[{j}] (department {d.id})", code)
            in_department.add(code)
    for code in services:
        if code not in in_department:
            bad("departments", code, f"service {code!r} of hall.toml is in no department: citizens browsing by "
                "department would never find it")
    if guides is not None:
        for i, si in enumerate(config.services):
            if si.guide is not None and si.guide not in guides:
                bad(f"services[{i}].guide", si.guide, f"no guide file {si.guide}.toml")
        for i, p in enumerate(config.packages):
            if p.guide is not None and p.guide not in guides:
                bad(f"packages[{i}].guide", p.guide, f"no guide file {p.guide}.toml")
    return problems


def load_catalog(path: str | Path, hall: HallConfig, *, guides: set[str] | None = None) -> Catalog:
    """Load ``catalog.toml`` and check it against ``hall``; ConfigError lists every problem found."""
    p = Path(path)
    config = load_toml(p, CatalogConfig)
    problems = validate_catalog(config, hall, source=str(p), text=p.read_text(encoding="utf-8"), guides=guides)
    if problems:
        raise ConfigError(problems)
    return Catalog(config, hall)
