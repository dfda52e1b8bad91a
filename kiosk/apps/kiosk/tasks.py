"""The screens of a task: the guide and its checklist, the ticket, self-service printing, case progress, rating."""

from __future__ import annotations

from functools import partial

from kivy.uix.widget import Widget

from kiosk.apps.build import button, grid, label, panel, qr, row
from kiosk.apps.kiosk.parts import KioskActions, pager_row, pin
from kiosk.apps.kiosk.pictures import DevicePicture
from kiosk.i18n import Lang, Text
from kiosk.viewmodels.fault import FaultKind
from kiosk.viewmodels.kiosk import KioskViewModel, Screen
from kiosk.viewmodels.rating import RatingPhase
from kiosk.viewmodels.selfprint import LookupPhase
from kiosk.viewmodels.ticket import TicketPhase

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
        out += pager_row(g.options, a, lang, lambda: g.changed.emit("options"))
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
    actions = {name: button(text.render(lang), partial(a.guide_action, name), ov_id=f"guide.action.{name}",
                            role="primary" if name == "ticket" else "secondary", kind="large")
               for name, text in g.actions}
    if "restart" in actions:
        out.append(actions.pop("restart"))
    ticket_button = actions.pop("ticket", None)
    if actions:  # print and take by QR side by side, the ticket under them: all pinned on screen
        out.append(pin(row(list(actions.values()))))
    if ticket_button is not None:
        out.append(pin(ticket_button))
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
            out.append(label(tv.message.render(lang), kind="large", fg="primary", halign="center",
                             ov_id="ticket.message"))
        if tv.status is not None:  # 请取走号票: first, where the eye lands
            out.append(label(tv.status.render(lang), kind="large", fg="primary", halign="center",
                             ov_id="ticket.status"))
        if not vm.elder:  # in elder mode the big number says it alone, and its phone code stays above the fold
            out.append(label(tv.number_label.render(lang), kind="large", halign="center"))
        out.append(label(t.number, kind="number", fg="accent", halign="center", ov_id="ticket.number"))
        lines = panel([label(v if isinstance(v, str) else v.render(lang), kind="body" if vm.elder else "large")
                       for v in t.lines()], ov_id="ticket.lines")
        if t.qr_url:  # the phone code beside the ticket's lines, not under them: both above the fold
            code = qr(t.qr_url, ov_id="ticket.qr", size_dp=180)
            code.size_hint_x = None
            code.width = code.height
            code.pos_hint = {"top": 1}
            out.append(row([code, lines], spacing=14))
            if tv.qr_hint is not None:
                out.append(label(tv.qr_hint.render(lang), halign="center", fg="text_muted"))
        else:
            out.append(lines)
        done = button(Text("common.done").render(lang), a.go_home, ov_id="ticket.done", kind="large",
                      enabled=not tv.printing)
        if FaultKind.PRINTER_PAPER_OUT in vm.faults.seen:  # printing again cannot work: say where help is
            out.insert(0, label(Text("ticket.no_paper_help").render(lang), fg="warning_text", bg="warning_bg",
                                ov_id="ticket.no_paper"))
            out.append(pin(done))
        else:
            out.append(pin(row([
                button(Text("ticket.reprint").render(lang), lambda: a.act_async(tv.print_ticket, "reprint"),
                       ov_id="ticket.reprint", role="secondary", kind="large", enabled=not tv.printing),
                done,
            ])))
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
        if a.qr_waiting:  # where to hold the code: the scanner's place on this kiosk model, drawn
            where = Text(f"where.{a.model.scanner}")
            out.insert(1, label(Text("where.scanner", where=where).render(lang), kind="large", fg="primary",
                                halign="center", ov_id="ticket.checkin.where"))
            out.insert(2, DevicePicture(a.model.scanner, ov_id="ticket.checkin.picture"))
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
        out += pager_row(sp.documents, a, lang, lambda: sp.changed.emit("documents"))
        if sp.documents.all:
            out.append(pin(button(Text("print.selected").render(lang),
                                  lambda: a.act_async(sp.print_selected, "print"), ov_id="selfprint.print",
                                  kind="large", enabled=sp.selected is not None)))
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
    out += pager_row(pv.cases, a, lang, lambda: pv.changed.emit("cases"))
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
        out.append(pin(button(vm.nav_labels["submit_rating"].render(lang), lambda: a.act_async(r.submit, "rate"),
                              ov_id="rating.submit", kind="large", enabled=r.level is not None)))
    if r.phase is RatingPhase.DONE:
        out.append(pin(button(Text("common.done").render(lang), a.go_home, ov_id="rating.done", kind="large")))
    return out
