"""Find the service: browse life events, business themes or departments; search by name or pinyin."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.catalog import Catalog, Entry, KioskScreen, ThemeKind, ThemeView
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.paging import Pager


class FinderTab(StrEnum):
    LIFE = "life"
    BUSINESS = "business"
    DEPARTMENTS = "departments"
    SEARCH = "search"


_TAB_LABELS = {
    FinderTab.LIFE: "finder.tab.life",
    FinderTab.BUSINESS: "finder.tab.business",
    FinderTab.DEPARTMENTS: "finder.tab.departments",
    FinderTab.SEARCH: "finder.tab.search",
}


class NextStep(StrEnum):
    GUIDE = "guide"  # answer questions first, then the checklist and a ticket
    TICKET = "ticket"  # straight to a ticket
    SELF_SERVICE = "self-service"  # done here at the kiosk (print, progress)


@dataclass(frozen=True, slots=True)
class ItemView:
    entry: Entry
    title: Bilingual
    subtitle: Text
    icon: str
    badge: Text | None


@dataclass(frozen=True, slots=True)
class Selection:
    entry: Entry
    next_step: NextStep
    kiosk_screen: KioskScreen | None = None


def item_view(entry: Entry) -> ItemView:
    if entry.is_package:
        subtitle = Text("finder.item.package", count=len(entry.steps))
    else:
        subtitle = Text("finder.item.department", department=entry.department)
    badge = Text("finder.item.kiosk") if entry.kiosk_screen is not None else None
    return ItemView(entry=entry, title=entry.name, subtitle=subtitle, icon=entry.icon, badge=badge)


def next_step_for(entry: Entry) -> Selection:
    if entry.kiosk_screen is not None:
        return Selection(entry, NextStep.SELF_SERVICE, entry.kiosk_screen)
    if entry.guide is not None:
        return Selection(entry, NextStep.GUIDE)
    return Selection(entry, NextStep.TICKET)


class ServiceFinderViewModel(Observable):
    def __init__(self, catalog: Catalog, *, per_page: int = 8) -> None:
        super().__init__()
        self.catalog = catalog
        self.title = Text("finder.title")
        self.search_placeholder = Text("finder.search.placeholder")
        self.tab = FinderTab.LIFE
        self.groups: Pager[ThemeView] = Pager(catalog.themes_of(ThemeKind.LIFE), per_page)
        self.group: ThemeView | None = None
        self.items: Pager[ItemView] = Pager((), per_page)
        self.query = ""
        self.selection: Selection | None = None

    @property
    def tabs(self) -> tuple[tuple[FinderTab, Text], ...]:
        return tuple((tab, Text(label)) for tab, label in _TAB_LABELS.items())

    @property
    def no_results(self) -> Text | None:
        if self.tab is FinderTab.SEARCH and self.query.strip() and not self.items.all:
            return Text("finder.search.no_results", query=self.query.strip())
        return None

    def set_per_page(self, per_page: int) -> None:
        self.groups.per_page = per_page
        self.items.per_page = per_page
        self._notify("groups", "items")

    def select_tab(self, tab: FinderTab) -> None:
        self.tab = tab
        self.group = None
        self.query = ""
        if tab is FinderTab.LIFE:
            self.groups.set_items(self.catalog.themes_of(ThemeKind.LIFE))
        elif tab is FinderTab.BUSINESS:
            self.groups.set_items(self.catalog.themes_of(ThemeKind.BUSINESS))
        elif tab is FinderTab.DEPARTMENTS:
            self.groups.set_items(self.catalog.departments)
        else:
            self.groups.set_items(())
        self.items.set_items(())
        self._notify("tab", "groups", "group", "items", "query")

    def open_group(self, group_id: str) -> None:
        for g in self.groups.all:
            if g.id == group_id:
                self.group = g
                self.items.set_items([item_view(e) for e in g.entries])
                self._notify("group", "items")
                return
        raise KeyError(group_id)

    def back(self) -> bool:
        """Leave the open theme; False when there was nothing to go back to (the screen goes home)."""
        if self.group is not None:
            self.group = None
            self.items.set_items(())
            self._notify("group", "items")
            return True
        return False

    def set_query(self, query: str) -> None:
        if self.tab is not FinderTab.SEARCH:
            self.select_tab(FinderTab.SEARCH)
        self.query = query
        hits = self.catalog.search(query) if query.strip() else []
        self.items.set_items([item_view(h.entry) for h in hits])
        self._notify("query", "items")

    def select(self, code: str) -> Selection:
        """The citizen picked a service or package: where to go next (guide, ticket or a kiosk screen)."""
        self.selection = next_step_for(self.catalog.entry(code))
        self._notify("selection")
        return self.selection

    def reset(self) -> None:
        self.selection = None
        self.select_tab(FinderTab.LIFE)
