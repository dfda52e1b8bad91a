"""What the hall screen, a window display and an evaluator pad show: plain Python, no Kivy, time passed in.

The kiosk's own screens have their view-models in ``kiosk.viewmodels``; these three devices have no
citizen session, only the hall's feed, so their models are small and live beside their screens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from hall_controller.config import HallConfig
from hall_protocol.hall import CallEvent, CallView, DisplayState, HallState, TicketEvent
from hall_protocol.tickets import TicketState
from kiosk.i18n import Bilingual
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.rating import RatingPhase, RatingViewModel

HallFeedEvent = CallEvent | TicketEvent | HallState | DisplayState


@dataclass(frozen=True, slots=True)
class CallRow:
    call_id: str
    number: str
    window: Bilingual
    masked_name: str
    recalled: bool


@dataclass(frozen=True, slots=True)
class QueueRow:
    code: str
    name: Bilingual
    zone: str
    waiting: int
    wait_min: int  # estimated wait, whole minutes rounded up; 0 when nobody waits
    open: bool


class HallBoard(Observable):
    """The hall screen (大厅综合屏): the latest calls, and the queue of every service.

    Retained hall state and display state render at once; a stale retained copy (lower ``seq``) never
    replaces a newer one; a call past its expiry is never shown.
    """

    def __init__(self, hall: HallConfig, *, zone: str | None = None, max_calls: int = 8) -> None:
        super().__init__()
        self.hall = hall
        self.zone = zone
        self.max_calls = max_calls
        self.state: HallState | None = None
        self._calls: list[CallView] = []  # newest first
        self._display_seq: dict[str, int] = {}
        self._windows = {w.id: Bilingual(w.name_zh, w.name_en) for w in hall.windows}

    @property
    def hall_name(self) -> Bilingual:
        return Bilingual(self.hall.hall.name_zh, self.hall.hall.name_en)

    def on_event(self, event: HallFeedEvent, now: float) -> bool:
        """Feed one hall event (``now``: wall-clock seconds); True when what the board shows changed."""
        if isinstance(event, HallState):
            if self.state is not None and event.seq < self.state.seq:
                return False
            self.state = event
            self._merge(event.recent_calls)
            self._notify("queues", "calls")
            return True
        if isinstance(event, DisplayState):
            if self.zone is not None and event.zone != self.zone:
                return False
            if event.seq < self._display_seq.get(event.zone, -1):
                return False
            self._display_seq[event.zone] = event.seq
            if self._merge(event.calls):
                self._notify("calls")
                return True
            return False
        if isinstance(event, CallEvent):
            if event.expires_at <= now:
                return False  # a stale call must not be shown
            if self._merge((event.call,), newest=True):
                self._notify("calls")
                return True
        return False

    def _merge(self, calls: tuple[CallView, ...], *, newest: bool = False) -> bool:
        changed = False
        for call in calls:
            if self.zone is not None and call.zone != self.zone:
                continue
            existing = next((i for i, c in enumerate(self._calls) if c.call_id == call.call_id), None)
            if existing is not None:
                if self._calls[existing] == call:
                    continue
                del self._calls[existing]
            self._calls.append(call)
            changed = True
        if changed:
            # newest first by call time; a recall (same call id, later ts) comes back to the top
            self._calls.sort(key=lambda c: c.ts, reverse=True)
            del self._calls[self.max_calls:]
        return changed

    @property
    def calls(self) -> tuple[CallRow, ...]:
        return tuple(
            CallRow(call_id=c.call_id, number=c.number,
                    window=self._windows.get(c.window_id, Bilingual(c.window_name, c.window_name)),
                    masked_name=c.masked_name, recalled=c.recall_count > 0)
            for c in self._calls
        )

    @property
    def queues(self) -> tuple[QueueRow, ...]:
        if self.state is None:
            return ()
        return tuple(
            QueueRow(code=s.code, name=Bilingual(s.name_zh, s.name_en), zone=s.zone, waiting=s.waiting,
                     wait_min=math.ceil(s.est_wait_s / 60) if s.waiting else 0, open=s.open)
            for s in self.state.services
            if self.zone is None or s.zone == self.zone
        )

    @property
    def waiting_total(self) -> int:
        return sum(q.waiting for q in self.queues)


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
        self.window_name = Bilingual(window.name_zh, window.name_en)
        self.phase = WindowPhase.UNKNOWN
        self.number: str | None = None
        self.recalled = False
        self._seq = -1
        self._call_ts = 0.0

    def on_event(self, event: HallFeedEvent, now: float) -> bool:
        before = (self.phase, self.number, self.recalled)
        if isinstance(event, CallEvent):
            call = event.call
            if call.window_id != self.window_id or event.expires_at <= now or call.ts < self._call_ts:
                return False
            self._call_ts = call.ts
            self.number = call.number
            self.recalled = call.recall_count > 0
            self.phase = WindowPhase.CALLING
        elif isinstance(event, HallState):
            if event.seq < self._seq:
                return False
            self._seq = event.seq
            w = next((w for w in event.windows if w.window_id == self.window_id), None)
            if w is None:
                return False
            self._from_window_state(w.state, w.current_number)
        elif isinstance(event, TicketEvent) and event.window_id == self.window_id:
            if event.state in (TicketState.FINISHED, TicketState.NO_SHOW, TicketState.TRANSFERRED,
                               TicketState.PARKED, TicketState.CANCELLED) and event.number == self.number:
                self.phase, self.number, self.recalled = WindowPhase.IDLE, None, False
            elif event.state is TicketState.SERVING:
                self.phase, self.number = WindowPhase.SERVING, event.number
        changed = (self.phase, self.number, self.recalled) != before
        if changed:
            self._notify("window")
        return changed

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
            return (f"请{self.number}号", f"到{name}")
        if self.phase is WindowPhase.PAUSED:
            return (name, "暂停服务")
        if self.phase is WindowPhase.CLOSED:
            return (name, "暂停受理")
        return (name, "欢迎光临")


class EvaluatorBoard(Observable):
    """An evaluator pad (评价器) at a window: the rating appears when that window finishes a ticket.

    A rating left unanswered goes away after ``choose_s``; the thanks stay ``thanks_s``.
    """

    def __init__(self, rating: RatingViewModel, window_id: str, *, choose_s: float = 60.0,
                 thanks_s: float = 5.0) -> None:
        super().__init__()
        self.rating = rating
        self.window_id = window_id
        self.choose_s = choose_s
        self.thanks_s = thanks_s
        self.number: str | None = None
        self._since: float | None = None

    @property
    def active(self) -> bool:
        return self.rating.phase is not RatingPhase.NEEDS_TICKET

    def on_event(self, event: HallFeedEvent, now: float) -> bool:
        if not isinstance(event, TicketEvent):
            return False
        if event.state is not TicketState.FINISHED or event.window_id != self.window_id:
            return False
        self.rating.for_ticket(event.ticket_id, self.window_id)
        self.number = event.number
        self._since = now
        self._notify("active")
        return True

    async def rate(self, level: int, now: float) -> bool:
        if self.rating.phase is not RatingPhase.CHOOSING and self.rating.phase is not RatingPhase.FAILED:
            return False
        self.rating.choose_level(level)
        ok = await self.rating.submit()
        self._since = now
        self._notify("active")
        return ok

    def tick(self, now: float) -> bool:
        """Back to the waiting picture when the citizen walked away or the thanks were shown."""
        if self._since is None:
            return False
        phase = self.rating.phase
        limit = self.thanks_s if phase is RatingPhase.DONE else self.choose_s
        if phase is not RatingPhase.SUBMITTING and now - self._since >= limit:
            self.rating.reset()
            self.number = None
            self._since = None
            self._notify("active")
            return True
        return False
