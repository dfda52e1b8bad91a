"""What a window display (窗口屏) shows: plain Python, no Kivy, time passed in."""

from __future__ import annotations

from enum import StrEnum

from hall_protocol.hall import CallEvent, DisplayState, HallState, TicketEvent
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import TicketState
from kiosk.agent_client import HallEvent
from kiosk.apps.board_feed import FeedStatus, HallFeed, NoticeLine, shown_name
from kiosk.i18n import Bilingual, t
from kiosk.viewmodels.observable import Observable


class WindowPhase(StrEnum):
    UNKNOWN = "unknown"  # nothing heard yet
    CLOSED = "closed"
    IDLE = "idle"  # open, nobody called
    CALLING = "calling"
    SERVING = "serving"
    PAUSED = "paused"


class WindowBoard(Observable):
    """A window display (窗口屏): the number being served at this one window."""

    def __init__(self, hall: HallConfig, window_id: str) -> None:
        super().__init__()
        window = next((w for w in hall.windows if w.id == window_id), None)
        if window is None:
            raise ValueError(f"window {window_id!r} is not in hall.toml")
        self.window_id = window_id
        self.zone = window.zone
        self.feed = HallFeed()
        self.window_name = Bilingual(window.name_zh, window.name_en)
        self.phase = WindowPhase.UNKNOWN
        self.number: str | None = None
        self._called_name = ("", "")  # (number, masked name) of the last call here
        self.recalled = False
        self._seq = -1
        self._display_seq = -1
        self._call_ts = 0.0

    def on_event(self, event: HallEvent, now: float) -> bool:
        before = (self.phase, self.number, self.recalled, self.masked_name)
        notices = False
        if isinstance(event, CallEvent):
            call = event.call
            if event.expires_at > now:
                self.feed.heard(now)
            if call.window_id != self.window_id or event.expires_at <= now or call.ts < self._call_ts:
                return False
            self._call_ts = call.ts
            self.number = call.number
            self._called_name = (call.number, call.masked_name)
            self.recalled = call.recall_count > 0
            self.phase = WindowPhase.CALLING
        elif isinstance(event, HallState):
            self.feed.heard(now)
            if event.seq < self._seq:
                return False
            self._seq = event.seq
            notices = self.feed.set_notices(event.notices, frozenset((self.zone,)))
            w = next((w for w in event.windows if w.window_id == self.window_id), None)
            if w is not None:
                self._from_window_state(w.state, w.current_number)
        elif isinstance(event, DisplayState):  # what a window display's broker account may read
            if event.zone != self.zone:
                return False
            self.feed.heard(now)
            if event.seq >= self._display_seq:
                self._display_seq = event.seq
                notices = self.feed.set_notices(event.notices, frozenset((self.zone,)))
                w = next((w for w in event.windows if w.window_id == self.window_id), None)
                if w is not None:  # the window's state: a finish clears the number (displays read no ticket events)
                    self._from_window_state(w.state, w.current_number)
        elif isinstance(event, TicketEvent):
            self.feed.heard(now)
            if event.window_id == self.window_id:
                self._from_ticket(event)
        changed = (self.phase, self.number, self.recalled, self.masked_name) != before
        if changed:
            self._notify("window")
        if notices:
            self._notify("notices")
        return changed or notices

    def _from_ticket(self, event: TicketEvent) -> None:
        if event.state in (TicketState.FINISHED, TicketState.NO_SHOW, TicketState.TRANSFERRED,
                           TicketState.PARKED, TicketState.CANCELLED) and event.number == self.number:
            self.phase, self.number, self.recalled = WindowPhase.IDLE, None, False
        elif event.state is TicketState.SERVING:
            self.phase, self.number = WindowPhase.SERVING, event.number

    def status(self, now: float) -> FeedStatus:
        """Whether what the display shows is current (see ``board_feed``)."""
        return self.feed.status(now)

    def notice_at(self, now: float) -> NoticeLine | None:
        return self.feed.notice_at(now)

    @property
    def masked_name(self) -> str:
        """张*: the citizen called to this number, when they identified; never a full name."""
        number, name = self._called_name
        return shown_name(name) if self.number is not None and number == self.number else ""

    def _from_window_state(self, state: str, current: str | None) -> None:
        if state == "closed":
            self.phase, self.number, self.recalled = WindowPhase.CLOSED, None, False
        elif state == "paused":
            self.phase = WindowPhase.PAUSED
        elif state == "serving":
            self.phase, self.number = WindowPhase.SERVING, current
        elif state == "calling":
            self.phase, self.number = WindowPhase.CALLING, current or self.number
        else:
            self.phase, self.number, self.recalled = WindowPhase.IDLE, None, False

    def led_lines(self) -> tuple[str, str]:
        """What a two-line LED window display shows (Chinese: LED displays carry no second language)."""
        name = self.window_name.zh
        if self.phase in (WindowPhase.CALLING, WindowPhase.SERVING) and self.number:
            return (t("window_display.led.number", "zh", number=self.number),
                    t("window_display.led.window", "zh", window=name))
        if self.phase is WindowPhase.PAUSED:
            return (name, t("window_display.led.paused", "zh"))
        if self.phase is WindowPhase.CLOSED:
            return (name, t("window_display.led.closed", "zh"))
        return (name, t("window_display.led.welcome", "zh"))
