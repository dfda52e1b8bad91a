"""The kiosk as a whole: which screen is up, language, elder mode, idle reset, connectivity, faults.

The Kivy app owns one KioskViewModel, calls ``tick(now)`` about once a second and ``touch(now)`` on every
touch, and shows ``screen``; everything else it reads from the screen view-models held here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum

from hall_protocol.hall import HallState
from hall_protocol.health import PeripheralHealth
from kiosk.catalog import Catalog, KioskScreen
from kiosk.guide import Guide
from kiosk.i18n import DEFAULT_LANG, Lang, Text
from kiosk.viewmodels.attract import AttractViewModel
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import FaultKind, hall_offline_notice, notice_for_health
from kiosk.viewmodels.finder import NextStep, Selection, ServiceFinderViewModel
from kiosk.viewmodels.guide import GuideViewModel
from kiosk.viewmodels.identify import IdentifyMethod, IdentifyViewModel
from kiosk.viewmodels.idle import IdlePhase, IdleStatus, IdleTimer
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.rating import RatingViewModel
from kiosk.viewmodels.selfprint import ProgressViewModel, SelfPrintViewModel
from kiosk.viewmodels.session import WipeRecord
from kiosk.viewmodels.theme import Theme, theme_for
from kiosk.viewmodels.ticket import TicketPhase, TicketViewModel

log = logging.getLogger(__name__)


class Screen(StrEnum):
    ATTRACT = "attract"
    IDENTIFY = "identify"
    FINDER = "finder"
    GUIDE = "guide"
    TICKET = "ticket"
    SELFPRINT = "selfprint"
    PROGRESS = "progress"
    RATING = "rating"
    FAULT = "fault"


class KioskViewModel(Observable):
    def __init__(
        self, ctx: KioskContext, catalog: Catalog, guides: Mapping[str, Guide], *, idle: IdleTimer | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.catalog = catalog
        self.idle = idle or IdleTimer()
        self.screen = Screen.ATTRACT
        self.elder = False
        self.attract = AttractViewModel(ctx.hall_name)
        self.identify = IdentifyViewModel(ctx.session, ctx.verifier)
        self.finder = ServiceFinderViewModel(catalog)
        self.guide = GuideViewModel(ctx, guides)
        self.ticket = TicketViewModel(ctx)
        self.selfprint = SelfPrintViewModel(ctx)
        self.progress = ProgressViewModel(ctx)
        self.rating = RatingViewModel(ctx)
        self.faults = ctx.faults
        self.idle_status = IdleStatus(IdlePhase.INACTIVE, 0)
        self.last_wipe: WipeRecord | None = None
        self._apply_scale()
        ctx.faults.changed.connect(self._on_fault)

    # presentation ------------------------------------------------------------------------------------

    @property
    def lang(self) -> Lang:
        return self.ctx.lang

    @property
    def theme(self) -> Theme:
        return theme_for(self.elder)

    @property
    def nav_labels(self) -> dict[str, Text]:
        """The buttons every screen has (back, home, paging, retry …)."""
        return {
            "back": Text("common.back"),
            "home": Text("common.home"),
            "next_page": Text("common.next_page"),
            "prev_page": Text("common.prev_page"),
            "retry": Text("common.retry"),
            "cancel": Text("common.cancel"),
            "confirm": Text("common.confirm"),
            "continue": Text("idle.continue"),
            "submit_rating": Text("rating.submit"),
            "keypad_backspace": Text("identify.keypad.backspace"),
            "keypad_clear": Text("identify.keypad.clear"),
            "keypad_submit": Text("identify.keypad.submit"),
            "checkin_title": Text("ticket.checkin.title"),
            "checkin_qr": Text("ticket.checkin.by_qr"),
            "checkin_id": Text("ticket.checkin.by_id"),
        }

    @property
    def lang_label(self) -> Text:
        return Text("common.lang_switch")

    @property
    def elder_label(self) -> Text:
        return Text("common.elder_off") if self.elder else Text("common.elder_on")

    @property
    def banner(self) -> Text | None:
        return Text("common.offline_banner") if not self.ctx.online else None

    def toggle_lang(self) -> None:
        self.ctx.lang = "en" if self.ctx.lang == "zh" else "zh"
        self._notify("lang")

    def set_elder(self, elder: bool) -> None:
        self.elder = elder
        self._apply_scale()
        self._notify("elder", "theme")

    def toggle_elder(self) -> None:
        self.set_elder(not self.elder)

    def _apply_scale(self) -> None:
        scale = self.theme.scale
        self.finder.set_per_page(scale.items_per_page)
        self.guide.options.per_page = scale.options_per_page
        self.selfprint.documents.per_page = scale.items_per_page
        self.progress.cases.per_page = scale.items_per_page

    # navigation --------------------------------------------------------------------------------------

    def go(self, screen: Screen, now: float) -> None:
        if self.screen is Screen.ATTRACT and screen is not Screen.ATTRACT:
            self.idle.start(now)  # a session begins with the first touch
        self.idle.touch(now)
        self.screen = screen
        self._notify("screen")

    def start(self, now: float, *, identify: bool = True) -> None:
        """Leave the attract loop: to identification, or straight to browsing."""
        self.go(Screen.IDENTIFY if identify else Screen.FINDER, now)

    def on_identified(self, now: float) -> None:
        self.go(Screen.FINDER, now)

    def on_card(self, now: float) -> None:
        """A card arrived on the reader, whatever the screen: it starts or continues a session."""
        if self.screen is Screen.ATTRACT:
            self.go(Screen.IDENTIFY, now)
        self.identify.choose(IdentifyMethod.ID_CARD)

    async def choose(self, code: str, now: float) -> Selection:
        """The citizen picked a service or package in the finder."""
        selection = self.finder.select(code)
        await self._follow(selection, now)
        return selection

    async def _follow(self, selection: Selection, now: float) -> None:
        if selection.next_step is NextStep.GUIDE:
            self.guide.start(selection.entry)
            self.go(Screen.GUIDE, now)
        elif selection.next_step is NextStep.SELF_SERVICE:
            await self.open_self_service(selection.kiosk_screen, now)
        else:
            await self.take_ticket(now)

    async def take_ticket(self, now: float) -> TicketPhase:
        """For the selected entry (from the finder or at the end of its guide)."""
        selection = self.finder.selection
        if selection is None:
            raise RuntimeError("no service selected")
        self.go(Screen.TICKET, now)
        phase = await self.ticket.take(selection.entry)
        if phase is TicketPhase.SELF_SERVICE:
            await self.open_self_service(self.ticket.kiosk_screen, now)
        return phase

    async def open_self_service(self, screen: KioskScreen | None, now: float) -> None:
        if screen is KioskScreen.PROGRESS:
            self.go(Screen.PROGRESS, now)
            await self.progress.load()
        else:
            self.go(Screen.SELFPRINT, now)
            await self.selfprint.load()

    def home(self, now: float) -> WipeRecord:
        """The citizen pressed 首页 / finished: the session ends and is wiped."""
        return self.reset("finished", now)

    # time, connectivity, devices ---------------------------------------------------------------------

    def touch(self, now: float) -> None:
        self.idle.touch(now)
        if self.idle_status.phase is IdlePhase.WARNING:
            self.tick(now)

    def tick(self, now: float) -> IdleStatus:
        """About once a second: rotates the attract slides, runs the idle countdown, resets on expiry."""
        if self.screen is Screen.ATTRACT:
            self.attract.tick(now)
        status = self.idle.status(now)
        if status != self.idle_status:
            # the screen is redrawn for a new phase or a countdown second, not for every second of a session:
            # a redraw replaces the buttons, and a finger on one as it is replaced loses its tap
            shown = status.phase is not self.idle_status.phase or status.phase is IdlePhase.WARNING
            self.idle_status = status
            if shown:
                self._notify("idle")
        if status.phase is IdlePhase.EXPIRED:
            self.reset("idle", now)
            return self.idle_status
        return status

    def set_online(self, online: bool) -> None:
        if online == self.ctx.online:
            return
        self.ctx.online = online
        self.attract.set_offline(not online)
        if not online:
            self.faults.show(hall_offline_notice())
        elif self.faults.notice is not None and self.faults.notice.kind is FaultKind.HALL_OFFLINE:
            self.faults.clear()
        self._notify("online")

    def set_hall_state(self, state: HallState) -> None:
        current = self.ctx.hall_state
        if current is None or state.seq >= current.seq:  # a stale retained copy must not win
            self.ctx.hall_state = state

    def hall_today(self) -> tuple[Text, ...]:
        """What the start screen says about the hall today: its opening hours (why not each zone's queue:
        docs/decisions.md, "Kiosk look")."""
        hall = self.ctx.hall
        if not hall.services:
            return ()
        return (Text("attract.hours", opens=min(s.opens for s in hall.services),
                     closes=max(s.closes for s in hall.services)),)

    def on_peripheral_health(self, device: str, health: PeripheralHealth) -> None:
        if device == "reader":
            self.identify.set_available(IdentifyMethod.ID_CARD, health.state.value in ("ok", "degraded"))
            self.identify.set_available(IdentifyMethod.SSC, health.state.value in ("ok", "degraded"))
        if device == "camera":
            self.identify.set_available(IdentifyMethod.EID_QR, health.state.value in ("ok", "degraded"))
        notice = notice_for_health(device, health, self.ctx.nearest_window(None))
        if notice is not None and self.screen is not Screen.ATTRACT:
            self.faults.show_once(notice)

    def _on_fault(self, _name: str) -> None:
        self._notify("fault")

    # the end of a session ----------------------------------------------------------------------------

    def reset(self, reason: str, now: float) -> WipeRecord:
        """Wipe identity, photo, inputs, temporary files and every screen's state; back to attract."""
        record = self.ctx.session.wipe(reason, now)
        for vm in (self.identify, self.finder, self.guide, self.ticket, self.selfprint, self.progress, self.rating):
            vm.reset()
        self.faults.clear()
        self.faults.forget()
        self.ctx.lang = DEFAULT_LANG
        self.set_elder(False)
        self.idle.stop()
        self.idle_status = IdleStatus(IdlePhase.INACTIVE, 0)
        self.screen = Screen.ATTRACT
        self.last_wipe = record
        self._notify("screen", "lang", "idle")
        return record
