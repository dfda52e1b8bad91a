"""The kiosk's screens: each renders its view-model into widgets and turns touches into view-model calls.

A renderer decides nothing: what is shown, enabled or selected is read from the view-model; a touch calls
an action of the app (``KioskActions``), which calls the view-model with the current time. The start,
identify and finder screens are here; the screens of a task (guide, ticket, printing, progress, rating) are
in ``tasks``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.metrics import dp
from kivy.uix.widget import Widget

from kiosk.apps.build import button, grid, keep_together, label, panel, row
from kiosk.apps.kiosk.parts import KioskActions, pager_row, pin
from kiosk.apps.kiosk.pictures import DevicePicture, IconTile
from kiosk.apps.kiosk.tasks import guide, progress, rating, selfprint, ticket
from kiosk.i18n import Lang, Text
from kiosk.viewmodels.finder import FinderTab
from kiosk.viewmodels.identify import KEYPAD_KEYS, IdentifyMethod
from kiosk.viewmodels.kiosk import KioskViewModel, Screen

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def render(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    screen = vm.screen
    renderer = {
        Screen.ATTRACT: attract,
        Screen.IDENTIFY: identify,
        Screen.FINDER: finder,
        Screen.GUIDE: guide,
        Screen.TICKET: ticket,
        Screen.SELFPRINT: selfprint,
        Screen.PROGRESS: progress,
        Screen.RATING: rating,
    }.get(screen, attract)
    return renderer(vm, a, lang)


def page_key(vm: KioskViewModel, a: KioskActions) -> tuple[object, ...]:
    """What makes a new page: when it changes, the screen starts again at its top."""
    f, g = vm.finder, vm.guide
    return (vm.screen, vm.identify.method, f.tab, f.group.id if f.group else None, f.groups.page, f.items.page,
            g.question, g.done, g.options.page, vm.ticket.phase, a.checkin_mode, vm.selfprint.phase,
            vm.selfprint.documents.page, vm.progress.phase, vm.progress.cases.page, vm.rating.phase)


# attract ------------------------------------------------------------------------------------------------

def slide_contents(vm: KioskViewModel, lang: Lang) -> list[Widget]:
    """What the current slide shows (the app swaps only these when the slides rotate)."""
    at = vm.attract
    dots = " ".join("●" if i == at.index else "○" for i in range(len(at.slides)))
    return [
        label(at.slide.title.render(lang), kind="title", fg="primary", ov_id="attract.slide.title"),
        label(at.slide.body.render(lang), kind="body" if vm.elder else "large"),
        Widget(),
        # elder mode's bigger slide text leaves no room for it: the box would sit half under the buttons
        *([] if vm.elder else [label(dots, halign="center", fg="text_muted"), hall_today(vm, lang)]),
    ]


def hall_today(vm: KioskViewModel, lang: Lang) -> Widget:
    """The hall's hours in one line at the foot of the slide (the room under it holds the shortcuts):
    redrawn with the slide, never the buttons."""
    parts = [Text("attract.today").render(lang), *(line.render(lang) for line in vm.hall_today())]
    return label("  ·  ".join(parts), kind="body", halign="center", fg="text_muted", ov_id="attract.today")


def attract(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    """The slides fill the space above the pinned buttons and never change its height: what a citizen must
    touch stays where it is while the slides rotate."""
    slide = panel(slide_contents(vm, lang), bg="surface", ov_id="attract.slide")
    slide.size_hint_y = 1
    # stretched over the free height, but never below what its text needs (then the page scrolls)
    slide.bind(minimum_height=slide.setter("size_hint_min_y"))
    at = vm.attract
    offline: list[Widget] = []
    if at.offline:  # said at once, before the citizen touches anything: what can still be done
        offline.append(panel([
            label(Text("attract.offline.title").render(lang), kind="large", bold=True, fg="warning_text"),
            label(Text("attract.offline.body").render(lang), fg="warning_text"),
        ], bg="warning_bg", ov_id="attract.offline"))
        offline[0].padding = (dp(14), dp(10))
    return [
        *offline,
        slide,
        *shortcuts(vm, a, lang),
        pin(label(at.prompt.render(lang), kind="body" if vm.elder else "large", halign="center",
                  ov_id="attract.prompt")),
        pin(button(Text("attract.start").render(lang), lambda: a.start(True), ov_id="attract.start", kind="title")),
        pin(button(at.browse_label.render(lang), lambda: a.start(False), ov_id="attract.browse", role="secondary",
                   kind="large")),
        pin(row([
            button(Text("attract.checkin").render(lang), a.start_checkin, ov_id="attract.checkin", role="secondary",
                   kind="large"),
            button(Text("attract.rate").render(lang), a.start_rating, ov_id="attract.rate", role="secondary",
                   kind="large"),
        ])),
    ]


def shortcuts(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    """常办事项: the hall's most asked services, one touch from the start, as at a ticket dispenser. Only in the
    room the Chinese slide leaves: elder mode's big buttons, the longer English text and the offline notice fill
    the screen without them (they would sit below the fold), and 不刷卡，先看看 / Browse leads to the same
    services."""
    entries = () if vm.elder or lang != "zh" or vm.attract.offline else vm.finder.catalog.shortcuts
    if not entries:
        return []
    tiles = [tile(short_name(e.name.render(lang)), e.icon, partial(a.choose_entry, e.code),
                  ov_id=f"attract.shortcut.{e.code}", icon_left=True, kind="body") for e in entries]
    return [label(Text("attract.shortcuts").render(lang), kind="small", bold=True, fg="primary"),
            grid(tiles, 2, spacing=8)]


def short_name(name: str) -> str:
    """A name without its bracketed detail, for a tile with room for one line: 自助打印（证明、回执、电子证照）
    is 自助打印 there (the service's page gives the whole name)."""
    for bracket in ("（", " ("):
        name = name.split(bracket, 1)[0]
    return name.strip()


# identify -----------------------------------------------------------------------------------------------

def identify(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    idv = vm.identify
    chosen = idv.method is not None
    # in elder mode the big keys fill the screen: no clipped strip of the other ways above them (返回 leads back
    # to them), and the line pinned over the number says what to type
    keys_only = vm.elder and idv.method is IdentifyMethod.MANUAL
    out: list[Widget] = [] if keys_only else [label(idv.title.render(lang), kind="title", ov_id="identify.title")]
    methods = [
        button(text.render(lang), partial(a.choose_method, m), ov_id=f"identify.method.{m.value}",
               role="secondary", kind="body" if chosen else "large", selected=idv.method is m, enabled=enabled)
        for m, text, enabled in idv.methods
    ]
    if not keys_only:
        out.append(grid(methods, 1 if vm.elder and not chosen else 2))  # two columns once chosen: room follows
        if idv.method is not None:
            out.append(label(idv.prompt.render(lang), kind="large", fg="primary", ov_id="identify.prompt"))
    if idv.method in (IdentifyMethod.ID_CARD, IdentifyMethod.SSC) and not idv.busy:
        # where the card goes on this kiosk model ([model] card_reader), said and drawn
        where = Text(f"where.{a.model.card_reader}")
        out.append(label(Text("where.card_reader", where=where).render(lang), kind="small" if vm.elder else "body",
                         halign="center", ov_id="identify.where"))
        # smaller in elder mode: the picture stays whole above the navigation bar under bigger text
        out.append(DevicePicture(a.model.card_reader, card=True, ov_id="identify.picture",
                                 height_dp=150 if vm.elder else 220))
    if idv.busy:
        out.append(label("……", kind="large", halign="center"))
    if idv.error is not None:
        out.append(label(idv.error.render(lang), fg="error_text", bg="error_bg", ov_id="identify.error"))
    if idv.method is IdentifyMethod.MANUAL:
        # the number, its keys and 确认 are pinned together: all on screen whatever is above them
        kp = idv.keypad
        out.append(pin(label(kp.masked or "—", kind="title", halign="center", ov_id="identify.keypad.display")))
        out.append(pin(label(idv.keypad_count.render(lang), halign="center", fg="text_muted",
                             ov_id="identify.keypad.count")))
        keys = [
            button(k, partial(a.act, partial(idv.press, k)), ov_id=f"keypad.{k}", role="surface", kind="title",
                   enabled=kp.key_enabled(k))
            for k in KEYPAD_KEYS
        ]
        keys.append(button(vm.nav_labels["keypad_backspace"].render(lang), lambda: a.act(idv.backspace),
                           ov_id="keypad.backspace", role="secondary", kind="large"))
        out.append(pin(grid(keys, 3, spacing=8)))
        out.append(pin(row([
            button(vm.nav_labels["keypad_clear"].render(lang), lambda: a.act(idv.clear), ov_id="keypad.clear",
                   role="secondary", kind="large"),
            button(vm.nav_labels["keypad_submit"].render(lang), a.submit_keypad, ov_id="keypad.submit",
                   kind="large", enabled=kp.complete),
        ])))
    return out


# finder -------------------------------------------------------------------------------------------------

def finder(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    f = vm.finder
    searching = f.tab is FinderTab.SEARCH
    out: list[Widget] = []
    greeting = vm.identify.greeting
    if not searching:  # the keyboard takes the space: the search tab is title enough
        out.append(label(f.title.render(lang), kind="title", ov_id="finder.title"))
        if greeting is not None:
            out.append(label(greeting.render(lang), kind="large", fg="primary", ov_id="finder.greeting"))
    tabs = grid([
        button(text.render(lang), partial(a.act, partial(f.select_tab, tab)), ov_id=f"finder.tab.{tab.value}",
               role="secondary", kind="body", selected=f.tab is tab)
        for tab, text in f.tabs
    ], 2 if vm.elder else 4)
    if not (searching and vm.elder):  # in elder mode the tabs come after the results, which must show first
        out.append(tabs)
    if searching:
        out.append(label(f.query or f.search_placeholder.render(lang), kind="large",
                         fg="text" if f.query else "text_muted", bg="surface", ov_id="finder.query"))
        # the keyboard is pinned at the bottom: the results come right under the query, never under the keys
        keys = [button(ch, partial(a.type_letter, ch), ov_id=f"letter.{ch}", role="surface",
                       kind="body" if vm.elder else "large")
                for ch in LETTERS]
        keys += [
            button(Text("finder.search.delete").render(lang), lambda: a.type_letter("\b"), ov_id="letter.delete",
                   role="secondary", kind="small" if vm.elder else "body"),
            button(Text("finder.search.clear").render(lang), lambda: a.type_letter(""), ov_id="letter.clear",
                   role="secondary", kind="small" if vm.elder else "body"),
        ]
        if f.no_results is not None:
            out.append(label(f.no_results.render(lang), fg="warning_text", bg="warning_bg", ov_id="finder.none"))
        out += _items(vm, a, lang)
        if vm.elder:
            out.append(tabs)
        out.append(pin(grid(keys, 6 if vm.elder else 7, spacing=6)))
    elif f.group is None:
        groups = [
            # a department is no life event: its tile gets the plain mark (an id may be both, such as "fund")
            tile(g.name.render(lang), "" if f.tab is FinderTab.DEPARTMENTS else g.id,
                 partial(a.act, partial(f.open_group, g.id)),
                 ov_id=f"finder.group.{g.id}", icon_left=vm.elder)
            for g in f.groups.items
        ]
        out.append(grid(groups, 1 if vm.elder else 2))
        out += pager_row(f.groups, a, lang, lambda: f.changed.emit("groups"))
    else:
        out.append(label(f.group.name.render(lang), kind="large", fg="primary", ov_id="finder.group"))
        out += _items(vm, a, lang)
    return out


def tile(text: str, icon: str, action: Callable[[], Any], *, ov_id: str, icon_left: bool,
         kind: str = "large") -> IconTile:
    """A tile with an icon (a service group's, or a catalog icon name) over its name, or left of it."""
    w = IconTile(text=keep_together(text), icon=icon, ov_id=ov_id, role="surface", kind=kind,
                 icon_left=icon_left)
    w.bind(on_release=lambda *_a: action())
    return w


def _items(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    f = vm.finder
    items: list[Widget] = []
    for it in f.items.items:
        text = f"{it.title.render(lang)}\n{it.subtitle.render(lang)}"
        if it.badge is not None:
            text += f"  ·  {it.badge.render(lang)}"
        code = it.entry.code
        items.append(button(text, partial(a.choose_entry, code), ov_id=f"finder.item.{code}",
                            role="surface", kind="body", halign="left"))
    return [*items, *pager_row(f.items, a, lang, lambda: f.changed.emit("items"))]


# what the speech button reads ------------------------------------------------------------------------------

def speech_text(vm: KioskViewModel, lang: Lang) -> str:
    parts: list[str] = []
    notice = vm.faults.notice
    if notice is not None:
        parts += [notice.title.render(lang)]
        if notice.message is not None:
            parts.append(notice.message.render(lang))
        parts.append(notice.next_step.render(lang))
        return "。".join(parts) if lang == "zh" else ". ".join(parts)
    s = vm.screen
    if s is Screen.ATTRACT:
        parts = [vm.attract.slide.title.render(lang), vm.attract.slide.body.render(lang),
                 vm.attract.prompt.render(lang)]
        if vm.attract.offline:
            parts[:0] = [Text("attract.offline.title").render(lang), Text("attract.offline.body").render(lang)]
    elif s is Screen.IDENTIFY:
        parts = [vm.identify.prompt.render(lang)]
        if vm.identify.error is not None:
            parts.append(vm.identify.error.render(lang))
    elif s is Screen.FINDER:
        parts = [vm.finder.title.render(lang)]
        if vm.finder.no_results is not None:
            parts.append(vm.finder.no_results.render(lang))
    elif s is Screen.GUIDE:
        g = vm.guide
        if g.done and g.checklist is not None:
            parts = [g.checklist.to_text(lang)]
        elif g.question is not None:
            parts = [g.question.render(lang), *(o.label.render(lang) for o in g.options.items)]
    elif s is Screen.TICKET:
        tv = vm.ticket
        if tv.ticket is not None:
            t = tv.ticket
            parts = [tv.number_label.render(lang), t.number]
            parts += [v if isinstance(v, str) else v.render(lang) for v in t.lines()]
            if t.provisional_notice is not None:
                parts.append(t.provisional_notice.render(lang))
        elif tv.error is not None:
            parts = [tv.error.render(lang)]
        elif tv.status is not None:
            parts = [tv.status.render(lang)]
    elif s is Screen.SELFPRINT:
        parts = [vm.selfprint.title.render(lang)] + ([vm.selfprint.message.render(lang)]
                                                     if vm.selfprint.message else [])
    elif s is Screen.PROGRESS:
        parts = [vm.progress.title.render(lang)] + ([vm.progress.message.render(lang)] if vm.progress.message else [])
        parts += [f"{c.service.render(lang)} {c.status.render(lang)}" for c in vm.progress.cases.items]
    elif s is Screen.RATING:
        parts = [vm.rating.title.render(lang)] + ([vm.rating.message.render(lang)] if vm.rating.message else [])
    return ("。" if lang == "zh" else ". ").join(p for p in parts if p)
