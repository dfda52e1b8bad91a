"""The kiosk's service catalog as written in ``configs/*/catalog.toml``: themes, departments, 一件事 packages.

Service names, zones and materials stay in ``hall.toml`` (one source); the catalog only says how a citizen
finds them: which life events / business themes list them, which department owns them, search keywords,
icons, and which guide (情景化引导) to run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from hall_protocol.config_files import ConfigStruct

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="identifier: A-Z a-z 0-9 _ -")]
Icon = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]{1,40}$", description="icon name in the kiosk's icon set")]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class ThemeKind(StrEnum):
    LIFE = "life"  # 个人: life events (出生, 入学, 退休 …)
    BUSINESS = "business"  # 法人: business themes (企业开办, 开餐饮店 …)


class KioskScreen(StrEnum):
    """Where a kiosk-capable service is done on the kiosk itself instead of at a window."""

    PRINT = "print"
    PROGRESS = "progress"


class ServiceInfo(ConfigStruct, kw_only=True, frozen=True):
    """Kiosk-side facts about one service of hall.toml."""

    code: Code
    icon: Icon = "service"
    keywords: tuple[NonEmpty, ...] = ()
    """Everyday words citizens search with (社保卡 for 社会保障卡申领); matched in Chinese and pinyin."""
    guide: Code | None = None
    """Guide id (a file ``guides/{id}.toml``) that yields this service's material checklist."""
    kiosk_screen: KioskScreen | None = None
    """Required when hall.toml marks the service ``kiosk_capable``; the screen that does it."""


class Package(ConfigStruct, kw_only=True, frozen=True):
    """一件事一次办: several services in one visit, one ticket, served in order."""

    id: Code
    name_zh: NonEmpty
    name_en: NonEmpty
    steps: Annotated[tuple[Code, ...], msgspec.Meta(min_length=1)]
    """Service codes of hall.toml, in the order they are served."""
    guide: Code | None = None
    icon: Icon = "package"
    keywords: tuple[NonEmpty, ...] = ()
    summary_zh: str = ""
    summary_en: str = ""


class Theme(ConfigStruct, kw_only=True, frozen=True):
    """A life event or business theme: the first way a citizen browses."""

    id: Code
    kind: ThemeKind
    name_zh: NonEmpty
    name_en: NonEmpty
    icon: Icon = "theme"
    services: tuple[Code, ...] = ()
    packages: tuple[Code, ...] = ()


class Department(ConfigStruct, kw_only=True, frozen=True):
    id: Code
    name_zh: NonEmpty
    name_en: NonEmpty
    icon: Icon = "department"
    services: Annotated[tuple[Code, ...], msgspec.Meta(min_length=1)]


class CatalogConfig(ConfigStruct, kw_only=True, frozen=True):
    themes: Annotated[tuple[Theme, ...], msgspec.Meta(min_length=1)]
    departments: Annotated[tuple[Department, ...], msgspec.Meta(min_length=1)]
    packages: tuple[Package, ...] = ()
    services: tuple[ServiceInfo, ...] = ()
    shortcuts: Annotated[tuple[Code, ...], msgspec.Meta(max_length=4)] = ()
    """常办事项: up to four services or packages the start screen offers straight away (the hall's most asked)."""
