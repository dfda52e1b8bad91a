"""The kiosk's screens: each renders its view-model into widgets and turns touches into view-model calls.

A renderer decides nothing: what is shown, enabled or selected is read from the view-model; a touch calls
an action of the app (``KioskActions``), which calls the view-model with the current time.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol

from kivy.uix.widget import Widget

from kiosk.app.build import button, grid, label, panel, qr, row
from kiosk.app.texts import ui
from kiosk.i18n import Lang, Text
from kiosk.viewmodels.finder import FinderTab
from kiosk.viewmodels.identify import KEYPAD_KEYS, IdentifyMethod
from kiosk.viewmodels.kiosk import KioskViewModel, Screen
from kiosk.viewmodels.paging import Pager
from kiosk.viewmodels.rating import RatingPhase
from kiosk.viewmodels.selfprint import LookupPhase
from kiosk.viewmodels.ticket import TicketPhase

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class KioskActions(Protocol):
    """What a touch can ask of the app (kiosk_app.KioskApp implements it)."""

    checkin_mode: bool

    def act(self, fn: Callable[[], Any]) -> None: ...
    def act_async(self, make: Callable[[], Any], name: str) -> None: ...
    def go(self, screen: Screen) -> None: ...
    def go_home(self) -> None: ...
    def start(self, identify: bool) -> None: ...
    def start_checkin(self) -> None: ...
    def start_rating(self) -> None: ...
    def choose_method(self, method: IdentifyMethod) -> None: ...
    def submit_keypad(self) -> None: ...
    def choose_entry(self, code: str) -> None: ...
    def guide_action(self, action: str) -> None: ...
    def identify_for(self, screen: Screen) -> None: ...
    def checkin_by_id(self) -> None: ...
    def checkin_by_qr(self) -> None: ...
    def show_qr(self, payload: str) -> None: ...
    def type_letter(self, letter: str) -> None: ...


def _pager_row(pager: Pager[Any], a: KioskActions, lang: Lang, changed: Callable[[], None]) -> list[Widget]:
    if pager.pages <= 1:
        return []

    def step(forward: bool) -> None:
        def turn() -> None:
            if forward:
                pager.next()
            else:
                pager.prev()
            changed()

        a.act(turn)

    return [row([
        button(Text("common.prev_page").render(lang), lambda: step(False), ov_id="pager.prev", role="secondary",
               enabled=pager.has_prev),
        label(pager.label.render(lang), halign="center", fg="text_muted"),
        button(Text("common.next_page").render(lang), lambda: step(True), ov_id="pager.next", role="secondary",
               enabled=pager.has_next),
    ])]


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


# attract ------------------------------------------------------------------------------------------------

def attract(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    at = vm.attract
    dots = " ".join("●" if i == at.index else "○" for i in range(len(at.slides)))
    return [
        panel([
            label(at.slide.title.render(lang), kind="title", fg="primary", ov_id="attract.slide.title"),
            label(at.slide.body.render(lang), kind="large"),
            label(dots, halign="center", fg="text_muted"),
        ], bg="surface", ov_id="attract.slide"),
        label(at.prompt.render(lang), kind="large", halign="center", ov_id="attract.prompt"),
        button(ui("start", lang), lambda: a.start(True), ov_id="attract.start", kind="title"),
        button(at.browse_label.render(lang), lambda: a.start(False), ov_id="attract.browse", role="secondary",
               kind="large"),
        row([
            button(ui("checkin", lang), a.start_checkin, ov_id="attract.checkin", role="secondary", kind="large"),
            button(ui("rate", lang), a.start_rating, ov_id="attract.rate", role="secondary", kind="large"),
        ]),
    ]


# identify -----------------------------------------------------------------------------------------------

def identify(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    idv = vm.identify
    out: list[Widget] = [label(idv.title.render(lang), kind="title", ov_id="identify.title")]
    methods = [
        button(text.render(lang), partial(a.choose_method, m), ov_id=f"identify.method.{m.value}",
               role="secondary", kind="large", selected=idv.method is m, enabled=enabled)
        for m, text, enabled in idv.methods
    ]
    out.append(grid(methods, 1 if vm.elder else 2))
    if idv.method is not None:
        out.append(label(idv.prompt.render(lang), kind="large", fg="primary", ov_id="identify.prompt"))
    if idv.busy:
        out.append(label("……", kind="large", halign="center"))
    if idv.error is not None:
        out.append(label(idv.error.render(lang), fg="error_text", bg="error_bg", ov_id="identify.error"))
    if idv.method is IdentifyMethod.MANUAL:
        kp = idv.keypad
        out.append(label(kp.display or "—", kind="title", halign="center", ov_id="identify.keypad.display"))
        out.append(label(idv.keypad_count.render(lang), halign="center", fg="text_muted"))
        keys = [
            button(k, partial(a.act, partial(idv.press, k)), ov_id=f"keypad.{k}", role="surface", kind="title",
                   enabled=kp.key_enabled(k))
            for k in KEYPAD_KEYS
        ]
        keys.append(button(vm.nav_labels["keypad_backspace"].render(lang), lambda: a.act(idv.backspace),
                           ov_id="keypad.backspace", role="secondary", kind="large"))
        out.append(grid(keys, 3))
        out.append(row([
            button(vm.nav_labels["keypad_clear"].render(lang), lambda: a.act(idv.clear), ov_id="keypad.clear",
                   role="secondary", kind="large"),
            button(vm.nav_labels["keypad_submit"].render(lang), a.submit_keypad, ov_id="keypad.submit",
                   kind="large", enabled=kp.complete),
        ]))
    return out


# finder -------------------------------------------------------------------------------------------------

def finder(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    f = vm.finder
    out: list[Widget] = [label(f.title.render(lang), kind="title", ov_id="finder.title")]
    greeting = vm.identify.greeting
    if greeting is not None:
        out.append(label(greeting.render(lang), kind="large", fg="primary", ov_id="finder.greeting"))
    tabs = [
        button(text.render(lang), partial(a.act, partial(f.select_tab, tab)), ov_id=f"finder.tab.{tab.value}",
               role="secondary", kind="body", selected=f.tab is tab)
        for tab, text in f.tabs
    ]
    out.append(grid(tabs, 2 if vm.elder else 4))
    if f.tab is FinderTab.SEARCH:
        out.append(label(f.query or f.search_placeholder.render(lang), kind="large",
                         fg="text" if f.query else "text_muted", bg="surface", ov_id="finder.query"))
        keys = [button(ch, partial(a.type_letter, ch), ov_id=f"letter.{ch}", role="surface", kind="large")
                for ch in LETTERS]
        out.append(grid(keys, 6 if vm.elder else 7, spacing=6))
        out.append(row([
            button(ui("search_delete", lang), lambda: a.type_letter("\b"), ov_id="letter.delete", role="secondary"),
            button(ui("search_clear", lang), lambda: a.type_letter(""), ov_id="letter.clear", role="secondary"),
        ]))
        if f.no_results is not None:
            out.append(label(f.no_results.render(lang), fg="warning_text", bg="warning_bg", ov_id="finder.none"))
        out += _items(vm, a, lang)
    elif f.group is None:
        groups = [
            button(g.name.render(lang), partial(a.act, partial(f.open_group, g.id)),
                   ov_id=f"finder.group.{g.id}", role="surface", kind="large")
            for g in f.groups.items
        ]
        out.append(grid(groups, 1 if vm.elder else 2))
        out += _pager_row(f.groups, a, lang, lambda: f.changed.emit("groups"))
    else:
        out.append(label(f.group.name.render(lang), kind="large", fg="primary", ov_id="finder.group"))
        out += _items(vm, a, lang)
    return out


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
    return [*items, *_pager_row(f.items, a, lang, lambda: f.changed.emit("items"))]


# guide --------------------------------------------------------------------------------------------------

def guide(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    g = vm.guide
    out: list[Widget] = []
    if g.title is not None:
        out.append(label(g.title.render(lang), kind="large", fg="primary", ov_id="guide.title"))
    if not g.done:
        if g.progress is not None:
            out.append(label(g.progress.render(lang), fg="text_muted"))
        if g.question is not None:
            out.append(label(g.question.render(lang), kind="title", ov_id="guide.question"))
        if g.help is not None:
            out.append(label(g.help.render(lang), fg="text_muted"))
        out += [
            button(o.label.render(lang), partial(a.act, partial(g.choose, o.id)), ov_id=f"guide.option.{o.id}",
                   role="secondary", kind="large")
            for o in g.options.items
        ]
        out += _pager_row(g.options, a, lang, lambda: g.changed.emit("options"))
        return out
    checklist = g.checklist
    if g.checklist_title is not None:
        out.append(label(g.checklist_title.render(lang), kind="title", ov_id="guide.checklist.title"))
    if checklist is not None:
        lines: list[Widget] = []
        for n, item in enumerate(checklist.items, 1):
            # no space after the number in Chinese: the line must wrap inside the text, not after "3."
            note = item.note.render(lang)
            if lang == "zh":
                text = f"{n}．{item.name.render(lang)}" + (f"（{note}）" if note else "")
            else:
                text = f"{n}. {item.name.render(lang)}" + (f" ({note})" if note else "")
            lines.append(label(text, kind="large"))
        if not checklist.items:
            lines.append(label(Text("guide.checklist.empty").render(lang), kind="large"))
        lines += [label("※" + note.render(lang), fg="text_muted") for note in checklist.notes]
        out.append(panel(lines, ov_id="guide.checklist"))
    if g.message is not None:
        out.append(label(g.message.render(lang), fg="primary", kind="large", ov_id="guide.message"))
    out += [
        button(text.render(lang), partial(a.guide_action, name), ov_id=f"guide.action.{name}",
               role="primary" if name == "ticket" else "secondary", kind="large")
        for name, text in g.actions
    ]
    return out


# ticket -------------------------------------------------------------------------------------------------

def ticket(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    tv = vm.ticket
    out: list[Widget] = []
    if tv.phase in (TicketPhase.IDLE, TicketPhase.REQUESTING, TicketPhase.FAILED) and tv.offline_notice is not None:
        out.append(label(tv.offline_notice.render(lang), fg="on_provisional", bg="provisional_bg"))
    if tv.phase is TicketPhase.ISSUED and tv.ticket is not None:
        t = tv.ticket
        if t.provisional_notice is not None:
            out.append(label(t.provisional_notice.render(lang), fg="on_provisional", bg="provisional_bg",
                             kind="large", ov_id="ticket.provisional"))
        if tv.message is not None:
            out.append(label(tv.message.render(lang), kind="large", fg="primary", halign="center"))
        out.append(label(tv.number_label.render(lang), kind="large", halign="center"))
        out.append(label(t.number, kind="number", fg="accent", halign="center", ov_id="ticket.number"))
        out.append(panel([label(v if isinstance(v, str) else v.render(lang), kind="large") for v in t.lines()],
                         ov_id="ticket.lines"))
        if t.qr_url:
            out.append(qr(t.qr_url, ov_id="ticket.qr"))
            if tv.qr_hint is not None:
                out.append(label(tv.qr_hint.render(lang), halign="center", fg="text_muted"))
        if tv.status is not None:
            out.append(label(tv.status.render(lang), kind="large", fg="primary", halign="center",
                             ov_id="ticket.status"))
        out.append(row([
            button(ui("reprint", lang), lambda: a.act_async(tv.print_ticket, "reprint"), ov_id="ticket.reprint",
                   role="secondary", kind="large"),
            button(ui("done", lang), a.go_home, ov_id="ticket.done", kind="large"),
        ]))
        return out
    if tv.phase is TicketPhase.REQUESTING and tv.status is not None:
        out.append(label(tv.status.render(lang), kind="title", halign="center", ov_id="ticket.status"))
    if tv.phase is TicketPhase.FAILED and tv.error is not None:
        out.append(label(tv.error.render(lang), kind="large", fg="error_text", bg="error_bg", ov_id="ticket.error"))
        if tv.can_retry:
            out.append(button(Text("common.retry").render(lang), lambda: a.act_async(tv.retry, "retry"),
                              ov_id="ticket.retry", kind="large"))
    if tv.phase is TicketPhase.SELF_SERVICE and tv.message is not None:
        out.append(label(tv.message.render(lang), kind="large"))
    if a.checkin_mode and tv.phase in (TicketPhase.IDLE, TicketPhase.FAILED):
        out.append(label(vm.nav_labels["checkin_title"].render(lang), kind="title", ov_id="ticket.checkin.title"))
        out.append(button(vm.nav_labels["checkin_qr"].render(lang), a.checkin_by_qr, ov_id="ticket.checkin.qr",
                          role="secondary", kind="large"))
        out.append(button(vm.nav_labels["checkin_id"].render(lang), a.checkin_by_id, ov_id="ticket.checkin.id",
                          role="secondary", kind="large"))
    return out


# self-service printing and progress ----------------------------------------------------------------------

def _lookup_header(title: Text, banner: str | None, message: Text | None, lang: Lang, prefix: str) -> list[Widget]:
    out: list[Widget] = [label(title.render(lang), kind="title", ov_id=f"{prefix}.title")]
    if banner:
        out.append(label(banner, fg="on_demo", bg="demo_bg", halign="center", ov_id=f"{prefix}.demo"))
    if message is not None:
        out.append(label(message.render(lang), kind="large", fg="primary", ov_id=f"{prefix}.message"))
    return out


def selfprint(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    sp = vm.selfprint
    out = _lookup_header(sp.title, sp.banner, sp.message, lang, "selfprint")
    if sp.phase is LookupPhase.NEEDS_IDENTITY:
        out.append(button(vm.identify.title.render(lang), lambda: a.identify_for(Screen.SELFPRINT),
                          ov_id="selfprint.identify", kind="large"))
    elif sp.phase in (LookupPhase.READY, LookupPhase.FAILED, LookupPhase.DONE):
        for d in sp.documents.items:
            text = f"{d.title.render(lang)}\n{d.kind.render(lang)} · {d.pages.render(lang)} · {d.issued_on}"
            out.append(button(text, partial(a.act, partial(sp.select, d.doc_id)),
                              ov_id=f"selfprint.doc.{d.doc_id}", role="secondary", halign="left",
                              selected=sp.selected == d.doc_id))
        out += _pager_row(sp.documents, a, lang, lambda: sp.changed.emit("documents"))
        if sp.documents.all:
            out.append(button(ui("print_selected", lang), lambda: a.act_async(sp.print_selected, "print"),
                              ov_id="selfprint.print", kind="large", enabled=sp.selected is not None))
    return out


def progress(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    pv = vm.progress
    out = _lookup_header(pv.title, pv.banner, pv.message, lang, "progress")
    if pv.phase is LookupPhase.NEEDS_IDENTITY:
        out.append(button(vm.identify.title.render(lang), lambda: a.identify_for(Screen.PROGRESS),
                          ov_id="progress.identify", kind="large"))
    for c in pv.cases.items:
        steps = "\n".join(("● " if done else "○ ") + name.render(lang) for name, done in c.steps)
        out.append(panel([
            label(c.service.render(lang), kind="large", bold=True),
            label(c.case.render(lang), fg="text_muted"),
            label(c.status.render(lang), kind="large", fg="primary"),
            label(steps),
            label(c.updated.render(lang), kind="small", fg="text_muted"),
        ], ov_id="progress.case"))
    out += _pager_row(pv.cases, a, lang, lambda: pv.changed.emit("cases"))
    return out


# rating -------------------------------------------------------------------------------------------------

def rating(vm: KioskViewModel, a: KioskActions, lang: Lang) -> list[Widget]:
    r = vm.rating
    out: list[Widget] = [label(r.title.render(lang), kind="title", ov_id="rating.title")]
    if r.phase is RatingPhase.NEEDS_TICKET:
        out.append(label(Text("rating.scan_ticket").render(lang), kind="large", fg="primary", ov_id="rating.prompt"))
    if r.phase in (RatingPhase.CHOOSING, RatingPhase.FAILED, RatingPhase.SUBMITTING):
        out += [
            button(text.render(lang), partial(a.act, partial(r.choose_level, n)), ov_id=f"rating.level.{n}",
                   role="secondary", kind="large", selected=chosen)
            for n, text, chosen in r.levels
        ]
        if r.reasons:
            out.append(label(r.reasons_label.render(lang), fg="text_muted"))
            out.append(grid([
                button(text.render(lang), partial(a.act, partial(r.toggle_reason, code)),
                       ov_id=f"rating.reason.{code}", role="secondary", selected=chosen)
                for code, text, chosen in r.reasons
            ], 1 if vm.elder else 2))
    if r.message is not None:
        fg, bg = ("error_text", "error_bg") if r.phase is RatingPhase.FAILED else ("primary", "")
        out.append(label(r.message.render(lang), kind="large", fg=fg, bg=bg, ov_id="rating.message"))
    if r.phase in (RatingPhase.CHOOSING, RatingPhase.FAILED):
        out.append(button(vm.nav_labels["submit_rating"].render(lang), lambda: a.act_async(r.submit, "rate"),
                          ov_id="rating.submit", kind="large", enabled=r.level is not None))
    if r.phase is RatingPhase.DONE:
        out.append(button(ui("done", lang), a.go_home, ov_id="rating.done", kind="large"))
    return out


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
