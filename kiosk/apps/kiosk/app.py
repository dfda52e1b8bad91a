"""The self-service kiosk App: the frame, the current screen, overlays, and the glue to devices and agent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty
from kivy.uix.floatlayout import FloatLayout

from hall_protocol.health import HealthState, PeripheralHealth
from kiosk.agent_client import AgentClient, LinkState
from kiosk.apps.base import COMMON_KV, OneVisitApp, load_kv
from kiosk.apps.build import keep_together
from kiosk.apps.devices import DeviceHub
from kiosk.apps.kiosk import frame, screens
from kiosk.apps.kiosk.parts import split
from kiosk.apps.kiosk.touch import RenderGate
from kiosk.apps.widgets import Scrim, forget_qr_codes
from kiosk.config import KioskModelConfig
from kiosk.i18n import t
from kiosk.viewmodels.clock import ClockView, clock_view
from kiosk.viewmodels.fault import FaultKind
from kiosk.viewmodels.identify import IdentifyMethod
from kiosk.viewmodels.idle import IdlePhase
from kiosk.viewmodels.kiosk import KioskViewModel, Screen
from kiosk.viewmodels.rating import RatingPhase
from kiosk.viewmodels.selfprint import LookupPhase
from kiosk.viewmodels.session import IdSource, WipeRecord
from kiosk.viewmodels.theme import Theme
from kiosk.viewmodels.ticket import TicketPhase

log = logging.getLogger(__name__)

KV = Path(__file__).resolve().with_name("kiosk.kv")
TICK_S = 0.5
DEVICE_FOR_VM = {"id_reader": "reader", "receipt_printer": "printer", "document_printer": "printer",
                 "camera": "camera"}


class KioskRoot(FloatLayout):  # type: ignore[misc]
    fill = BooleanProperty(False)  # the screen's content stretches to the height of its viewport


class IdleOverlay(Scrim):
    pass


class FaultOverlay(Scrim):
    pass


class QrOverlay(Scrim):
    pass


class KioskApp(OneVisitApp):
    title = "OneVisit 自助服务终端"

    def __init__(self, vm: KioskViewModel, *, hub: DeviceHub | None = None, agent: AgentClient | None = None,
                 model: KioskModelConfig | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.model = model or KioskModelConfig()
        self.qr_waiting = False  # 扫预约二维码签到 was chosen: the screen shows where the scanner is
        self.vm = vm
        self.hub = hub
        self.agent = agent
        self.checkin_mode = False
        self.qr_payload: str | None = None
        self.wipes: list[WipeRecord] = []
        self.renders = 0
        self._return_after_identify: Screen | None = None
        self._rendered_page: object = None
        self._last_wipe: WipeRecord | None = None
        self._elder_applied: bool | None = None
        self._trigger = Clock.create_trigger(lambda _dt: self.render(), 0)
        self._overlays: dict[str, Scrim] = {}
        self._navbar: Any = None
        self._gate: RenderGate | None = None
        self._clock_shown: tuple[ClockView, str] | None = None

    # building ---------------------------------------------------------------------------------------

    def build(self) -> KioskRoot:
        load_kv(COMMON_KV)
        load_kv(KV)
        root = KioskRoot()
        self._overlays = {"fault": FaultOverlay(), "idle": IdleOverlay(), "qr": QrOverlay()}
        self._navbar = root.ids.navbar.__self__  # ids are weak: the bar must outlive its time out of the tree
        vm = self.vm
        for observable in (vm, vm.attract, vm.identify, vm.finder, vm.guide, vm.ticket, vm.selfprint, vm.progress,
                           vm.rating, vm.faults):
            observable.changed.connect(self._changed)
        self._gate = RenderGate(self._trigger, lambda x, y: bool(root.ids.scroll.collide_point(x, y)))
        Window.bind(on_touch_down=self._any_touch, on_touch_up=self._touch_up)
        Clock.schedule_interval(lambda _dt: self.tick(), TICK_S)
        self.root = root
        self.render()
        return root

    @property
    def render_pending(self) -> bool:
        """A redraw is asked for and not done yet (a test driver waits for it before it touches anything)."""
        return bool(self._trigger.is_triggered) or (self._gate is not None and self._gate.held)

    def _changed(self, name: str) -> None:
        # a new slide: only the slide's widgets are replaced, a finger on a button keeps it
        if name == "slide" and self._swap_slide():
            return
        self._trigger()

    def _swap_slide(self) -> bool:
        return self.root is not None and frame.swap_slide(self.root.ids.content, self.vm)

    def _any_touch(self, _window: Any, touch: Any) -> bool:
        self.vm.touch(self.now())
        if self._gate is not None:
            self._gate.down(touch)
        return False  # the touch goes on to the widget under it

    def _touch_up(self, _window: Any, touch: Any) -> bool:
        if self._gate is not None:
            self._gate.up(touch)
        return False

    # rendering --------------------------------------------------------------------------------------

    def render(self) -> None:
        """Draw the current screen and overlays from the view-model (called after every change)."""
        vm, root = self.vm, self.root
        if root is None or self.stopped or (self._gate is not None and self._gate.hold()):
            return
        self.renders += 1
        self._check_wipe()
        if self._elder_applied is not vm.elder:
            self.apply_theme(vm.theme)
            self.elder = vm.elder
            self._elder_applied = vm.elder
        lang = vm.lang
        self.lang = lang
        ids = root.ids
        ids.hall_name.text = vm.ctx.hall_name.render(lang)
        self.show_clock()
        ids.lang_button.text = vm.lang_label.render(lang)
        ids.elder_button.text = vm.elder_label.render(lang)
        banner = vm.banner
        ids.banner.text = keep_together(
            t("common.agent_down", lang) if not self.connected else (banner.render(lang) if banner else ""))
        self._place_navbar(vm.screen is not Screen.ATTRACT)
        busy = vm.ticket.printing or vm.selfprint.phase is LookupPhase.PRINTING  # a page half out of the printer
        ids.back_button.disabled = ids.home_button.disabled = busy
        # once identified, 首页 ends the session and wipes it: it says so
        ids.home_button.text = t("common.end_session" if vm.ctx.session.identified else "common.home", lang)
        if vm.screen is not Screen.TICKET:
            self.checkin_mode = False
        self.qr_waiting = self.qr_waiting and self.checkin_mode and vm.ticket.phase is not TicketPhase.ISSUED
        content, actions = ids.content, ids.actions
        content.clear_widgets()
        actions.clear_widgets()
        shown, pinned = split(screens.render(vm, self, lang))
        for widget in shown:
            content.add_widget(widget)
        for widget in pinned:
            actions.add_widget(widget)
        actions.padding = (dp(18), dp(12)) if pinned else (0, 0)
        root.fill = vm.screen is Screen.ATTRACT
        page = screens.page_key(vm, self)
        if self._rendered_page != page:  # a new page starts at its top, never under an empty scrolled-off part
            ids.scroll.scroll_y = 1
            self._rendered_page = page
        self._render_overlays(lang)
        if self.hub is not None:
            self.hub.set_scanning(self.wants_qr())

    def _render_overlays(self, lang: str) -> None:
        vm = self.vm
        notice = vm.faults.notice
        fault = self._overlays["fault"]
        if notice is not None:
            frame.fill_fault_notice(fault.ids, notice, vm.lang)
        # on the attract loop the offline banner says it; the notice waits for the citizen's first touch
        self._show("fault", notice is not None and not (
            notice.kind is FaultKind.HALL_OFFLINE and vm.screen is Screen.ATTRACT))
        qr_overlay = self._overlays["qr"]
        if self.qr_payload:
            qr_overlay.ids.qr.payload = self.qr_payload
        self._show("qr", bool(self.qr_payload) and notice is None)
        idle = self._overlays["idle"]
        status = vm.idle_status
        message = status.message
        if message is not None:
            idle.ids.message.text = keep_together(message.render(vm.lang))
        self._show("idle", status.phase is IdlePhase.WARNING)

    def _place_navbar(self, visible: bool) -> None:
        frame.place(self._navbar, self.root.ids.frame, visible)

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        frame.restyle_detached([self._navbar, *self._overlays.values()])

    def _show(self, name: str, visible: bool) -> None:
        overlay = self._overlays[name]
        root = self.root
        if visible and overlay.parent is None:
            root.add_widget(overlay)
        elif not visible and overlay.parent is not None:
            root.remove_widget(overlay)

    def speech_text(self) -> str:
        return screens.speech_text(self.vm, self.vm.lang)

    # time and session end ---------------------------------------------------------------------------

    def tick(self) -> None:
        self.vm.tick(self.now())
        self._check_wipe()
        self.show_clock()

    def show_clock(self) -> None:
        if self.root is not None:
            self._clock_shown = frame.show_clock(self.root.ids, clock_view(self.wall(), self.vm.ctx.hall.hall.timezone),
                                                 self.vm.lang, self._clock_shown)

    def _check_wipe(self) -> None:
        record = self.vm.last_wipe
        if record is not None and record is not self._last_wipe:
            self._last_wipe = record
            self.wipes.append(record)
            del self.wipes[:-50]
            self.qr_payload = None
            self.checkin_mode = False
            self._return_after_identify = None
            forget_qr_codes()
            if self.speaker is not None:
                self.speaker.forget()
            if self.hub is not None and self.hub.camera is not None:
                self.hub.set_scanning(False)

    # actions (KioskActions) -------------------------------------------------------------------------

    def act(self, fn: Callable[[], Any]) -> None:
        fn()
        self._trigger()

    def act_async(self, make: Callable[[], Any], name: str) -> None:
        self.spawn(make(), name=name)
        self._trigger()

    def go(self, screen: Screen) -> None:
        self.vm.go(screen, self.now())

    def go_home(self) -> None:
        self.vm.home(self.now())
        self._trigger()

    def toggle_lang(self) -> None:
        self.vm.toggle_lang()

    def toggle_elder(self) -> None:
        self.vm.toggle_elder()

    def end_session(self) -> None:
        self.go_home()

    def keep_going(self) -> None:
        self.vm.touch(self.now())
        self._trigger()

    def dismiss_fault(self) -> None:
        self.vm.faults.clear()

    def show_qr(self, payload: str) -> None:
        self.qr_payload = payload
        self._trigger()

    def close_qr(self) -> None:
        self.qr_payload = None
        self._trigger()

    def back(self) -> None:
        vm, now, s = self.vm, self.now(), self.vm.screen
        if (s is Screen.FINDER and vm.finder.back()) or (s is Screen.GUIDE and vm.guide.back()) or (
                s is Screen.IDENTIFY and vm.identify.back()):
            pass
        elif s in (Screen.GUIDE, Screen.SELFPRINT, Screen.PROGRESS) or (
                s is Screen.TICKET and not self.checkin_mode and vm.ticket.phase is not TicketPhase.ISSUED):
            vm.go(Screen.FINDER, now)
        elif s is Screen.IDENTIFY and self._return_after_identify is not None:
            target, self._return_after_identify = self._return_after_identify, None
            vm.go(target, now)
        else:
            self.go_home()
        self._trigger()

    def start(self, identify: bool) -> None:
        self.vm.start(self.now(), identify=identify)

    def start_checkin(self) -> None:
        self.vm.go(Screen.TICKET, self.now())
        self.vm.ticket.reset()
        self.checkin_mode = True
        self._trigger()

    def start_rating(self) -> None:
        self.vm.go(Screen.RATING, self.now())

    def choose_method(self, method: IdentifyMethod) -> None:
        self.vm.identify.choose(method)

    def submit_keypad(self) -> None:
        if self.vm.identify.submit():
            self._after_identified()

    def choose_entry(self, code: str) -> None:
        self.spawn(self.vm.choose(code, self.now()), name="choose")

    def guide_action(self, action: str) -> None:
        g = self.vm.guide
        if action == "print":
            self.spawn(g.print_checklist(), name="print-checklist")
        elif action == "qr":
            payload = g.qr_text(self.vm.lang)
            if payload:
                self.show_qr(payload)
        elif action == "ticket":
            self.spawn(self.vm.take_ticket(self.now()), name="ticket")
        elif action == "restart":
            g.restart()
        self._trigger()

    def identify_for(self, screen: Screen) -> None:
        self._return_after_identify = screen
        self.vm.go(Screen.IDENTIFY, self.now())

    def checkin_by_id(self) -> None:
        if self.vm.ctx.session.identified:
            self.spawn(self.vm.ticket.check_in_id(), name="checkin-id")
        else:
            self.vm.identify.choose(IdentifyMethod.ID_CARD)
            self.identify_for(Screen.TICKET)
            self.checkin_mode = True

    def checkin_by_qr(self) -> None:
        self.vm.ticket.message = None
        self.qr_waiting = True
        if self.hub is not None:
            self.hub.set_scanning(True)
        self._trigger()

    def type_letter(self, letter: str) -> None:
        f = self.vm.finder
        if letter == "\b":
            f.set_query(f.query[:-1])
        elif letter == "":
            f.set_query("")
        else:
            f.set_query(f.query + letter.lower())
        self._trigger()

    # driver events ----------------------------------------------------------------------------------

    def wants_qr(self) -> bool:
        vm = self.vm
        if vm.screen is Screen.IDENTIFY:
            return vm.identify.method is IdentifyMethod.EID_QR and not vm.identify.busy
        if vm.screen is Screen.TICKET:
            return self.checkin_mode and vm.ticket.phase in (TicketPhase.IDLE, TicketPhase.FAILED)
        if vm.screen is Screen.RATING:
            return vm.rating.phase is RatingPhase.NEEDS_TICKET
        return False

    def on_card(self, id_number: str, name: str, source: IdSource) -> None:
        vm = self.vm
        vm.on_card(self.now())
        if source is IdSource.SSC:
            vm.identify.choose(IdentifyMethod.SSC)
        if vm.identify.on_card(id_number, name, source):
            self._after_identified()
        self._trigger()

    def on_card_error(self) -> None:
        if self.vm.screen is not Screen.ATTRACT:
            self.vm.identify.on_card_error()

    def on_qr(self, text: str) -> None:
        """A code the camera read (or a test standing in for it): used by the screen that expects one."""
        vm = self.vm
        vm.touch(self.now())
        if vm.screen is Screen.IDENTIFY and vm.identify.method is IdentifyMethod.EID_QR:
            self.spawn(self._identify_by_qr(text), name="eid")
        elif vm.screen is Screen.TICKET and self.checkin_mode:
            self.spawn(vm.ticket.check_in_qr(text), name="checkin-qr")
        elif vm.screen is Screen.RATING and vm.rating.phase is RatingPhase.NEEDS_TICKET:
            vm.rating.scan_ticket_qr(text)
        else:
            log.info("a QR code was read while no screen expected one; ignored")
        self._trigger()

    async def _identify_by_qr(self, text: str) -> None:
        if await self.vm.identify.on_qr(text):
            self._after_identified()

    def _after_identified(self) -> None:
        vm, now = self.vm, self.now()
        target, self._return_after_identify = self._return_after_identify, None
        if target is Screen.TICKET:
            vm.go(Screen.TICKET, now)
            self.checkin_mode = True
            self.spawn(vm.ticket.check_in_id(), name="checkin-id")
        elif target in (Screen.SELFPRINT, Screen.PROGRESS):
            self.spawn(vm.open_self_service(None if target is Screen.SELFPRINT else _progress(), now))
        elif vm.screen is Screen.IDENTIFY:
            vm.on_identified(now)
        elif vm.screen is Screen.SELFPRINT and vm.selfprint.phase is LookupPhase.NEEDS_IDENTITY:
            self.spawn(vm.selfprint.load(), name="documents")
        elif vm.screen is Screen.PROGRESS and vm.progress.phase is LookupPhase.NEEDS_IDENTITY:
            self.spawn(vm.progress.load(), name="cases")
        elif vm.screen is Screen.TICKET and self.checkin_mode:
            self.spawn(vm.ticket.check_in_id(), name="checkin-id")
        self._trigger()

    def on_health(self, device: str, health: PeripheralHealth) -> None:
        if device == "card_reader":
            self.vm.identify.set_available(IdentifyMethod.SSC, health.state in (HealthState.OK, HealthState.DEGRADED))
        elif device in DEVICE_FOR_VM:
            self.vm.on_peripheral_health(DEVICE_FOR_VM[device], health)
        if self.agent is not None:
            self.spawn(self.agent.report_health(device, health), name="health")
        self._trigger()

    def on_link(self, state: LinkState) -> None:
        self.connected = state.connected
        self.online = state.online
        if state.connected:
            self.vm.set_online(state.online)
        self._trigger()


def _progress() -> Any:
    from kiosk.catalog import KioskScreen

    return KioskScreen.PROGRESS
