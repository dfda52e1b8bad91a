"""The self-service kiosk App: the frame, the current screen, overlays, and the glue to devices and agent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout

from hall_protocol.health import HealthState, PeripheralHealth
from kiosk.app import kiosk_screens
from kiosk.app.agent import AgentConnection, LinkState
from kiosk.app.base import OneVisitApp, load_kv
from kiosk.app.build import keep_together, label, qr
from kiosk.app.devices import DeviceHub
from kiosk.app.texts import ui
from kiosk.app.widgets import Scrim, forget_qr_codes
from kiosk.viewmodels.fault import FaultKind
from kiosk.viewmodels.identify import IdentifyMethod
from kiosk.viewmodels.idle import IdlePhase
from kiosk.viewmodels.kiosk import KioskViewModel, Screen
from kiosk.viewmodels.rating import RatingPhase
from kiosk.viewmodels.selfprint import LookupPhase
from kiosk.viewmodels.session import IdSource, WipeRecord
from kiosk.viewmodels.ticket import TicketPhase

log = logging.getLogger(__name__)

TICK_S = 0.5
DEVICE_FOR_VM = {"id_reader": "reader", "receipt_printer": "printer", "document_printer": "printer",
                 "camera": "camera"}


class KioskRoot(FloatLayout):  # type: ignore[misc]
    pass


class IdleOverlay(Scrim):
    pass


class FaultOverlay(Scrim):
    pass


class QrOverlay(Scrim):
    pass


class KioskApp(OneVisitApp):
    title = "OneVisit 自助服务终端"

    def __init__(self, vm: KioskViewModel, *, hub: DeviceHub | None = None, agent: AgentConnection | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.vm = vm
        self.hub = hub
        self.agent = agent
        self.checkin_mode = False
        self.qr_payload: str | None = None
        self.wipes: list[WipeRecord] = []
        self.renders = 0
        self._return_after_identify: Screen | None = None
        self._rendered_screen: Screen | None = None
        self._last_wipe: WipeRecord | None = None
        self._elder_applied: bool | None = None
        self._trigger = Clock.create_trigger(lambda _dt: self.render(), 0)
        self._overlays: dict[str, Scrim] = {}

    # building ---------------------------------------------------------------------------------------

    def build(self) -> KioskRoot:
        load_kv("common.kv")
        load_kv("kiosk_frame.kv")
        root = KioskRoot()
        self._overlays = {"fault": FaultOverlay(), "idle": IdleOverlay(), "qr": QrOverlay()}
        vm = self.vm
        for observable in (vm, vm.attract, vm.identify, vm.finder, vm.guide, vm.ticket, vm.selfprint, vm.progress,
                           vm.rating, vm.faults):
            observable.changed.connect(self._changed)
        Window.bind(on_touch_down=self._any_touch)
        Clock.schedule_interval(lambda _dt: self.tick(), TICK_S)
        self.root = root
        self.render()
        return root

    def _changed(self, _name: str) -> None:
        self._trigger()

    def _any_touch(self, _window: Any, _touch: Any) -> bool:
        self.vm.touch(self.now())
        return False  # the touch goes on to the widget under it

    # rendering --------------------------------------------------------------------------------------

    def render(self) -> None:
        """Draw the current screen and overlays from the view-model (called after every change)."""
        vm, root = self.vm, self.root
        if root is None or self.stopped:
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
        ids.lang_button.text = vm.lang_label.render(lang)
        ids.elder_button.text = vm.elder_label.render(lang)
        banner = vm.banner
        ids.banner.text = keep_together(
            ui("agent_down", lang) if not self.connected else (banner.render(lang) if banner else ""))
        ids.navbar.opacity = 0 if vm.screen is Screen.ATTRACT else 1
        ids.navbar.disabled = vm.screen is Screen.ATTRACT
        if vm.screen is not Screen.TICKET:
            self.checkin_mode = False
        content = ids.content
        content.clear_widgets()
        for widget in kiosk_screens.render(vm, self, lang):
            content.add_widget(widget)
        if self._rendered_screen is not vm.screen:
            ids.scroll.scroll_y = 1
            self._rendered_screen = vm.screen
        self._render_overlays(lang)
        if self.hub is not None:
            self.hub.set_scanning(self.wants_qr())

    def _render_overlays(self, lang: str) -> None:
        vm = self.vm
        notice = vm.faults.notice
        fault = self._overlays["fault"]
        if notice is not None:
            ids = fault.ids
            ids.title.text = keep_together(notice.title.render(vm.lang))
            ids.message.text = keep_together(notice.message.render(vm.lang)) if notice.message else ""
            ids.next_step.text = keep_together(notice.next_step.render(vm.lang))
            ids.ticket_box.clear_widgets()
            if notice.ticket is not None:
                ids.ticket_box.add_widget(label(notice.ticket.number, kind="number", fg="accent", halign="center",
                                                ov_id="fault.number"))
                if notice.qr:
                    ids.ticket_box.add_widget(qr(notice.qr, ov_id="fault.qr", size_dp=200))
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

    def _show(self, name: str, visible: bool) -> None:
        overlay = self._overlays[name]
        root = self.root
        if visible and overlay.parent is None:
            root.add_widget(overlay)
        elif not visible and overlay.parent is not None:
            root.remove_widget(overlay)

    def speech_text(self) -> str:
        return kiosk_screens.speech_text(self.vm, self.vm.lang)

    # time and session end ---------------------------------------------------------------------------

    def tick(self) -> None:
        self.vm.tick(self.now())
        self._check_wipe()

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
        vm, now = self.vm, self.now()
        s = vm.screen
        if (s is Screen.FINDER and vm.finder.back()) or (s is Screen.GUIDE and vm.guide.back()):
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
