"""What the hall screen (大厅综合屏) shows: plain Python, no Kivy, time passed in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from hall_protocol.hall import CallEvent, CallView, DisplayState, HallState
from hall_protocol.hall_config import HallConfig
from kiosk.agent_client import HallEvent
from kiosk.apps.board_feed import FeedStatus, HallFeed, NoticeLine, shown_name
from kiosk.i18n import Bilingual
from kiosk.viewmodels.observable import Observable

PAGE_S: Final = 10.0  # a list longer than the screen turns a page this often
ANNOUNCE_WITHIN_S: Final = 60.0  # older when it reaches the screen (a retained copy at start): shown, not said
T = TypeVar("T")


def page_at(items: Sequence[T], per_page: int, now: float) -> tuple[tuple[T, ...], int, int]:
    """(the items on the page shown at ``now``, that page 1-based, pages): a long list turns its pages
    every ``PAGE_S``, so every row is seen without anyone touching the screen."""
    per_page = max(1, per_page)
    pages = max(1, -(-len(items) // per_page))
    page = int(now // PAGE_S) % pages
    return tuple(items[page * per_page:(page + 1) * per_page]), page + 1, pages


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
        self._page_slot = -1
        self._announced: dict[str, int] = {}  # call id -> the recall count said aloud
        self.feed = HallFeed()

    @property
    def _zones(self) -> frozenset[str] | None:
        return frozenset((self.zone,)) if self.zone is not None else None

    def status(self, now: float) -> FeedStatus:
        """Whether what the screen shows is current (see ``board_feed``)."""
        return self.feed.status(now)

    def notice_at(self, now: float) -> NoticeLine | None:
        return self.feed.notice_at(now)

    @property
    def hall_name(self) -> Bilingual:
        return Bilingual(self.hall.hall.name_zh, self.hall.hall.name_en)

    def on_event(self, event: HallEvent, now: float) -> bool:
        """Feed one hall event (``now``: wall-clock seconds); True when what the board shows changed."""
        if isinstance(event, HallState):
            self.feed.heard(now)  # even an older copy: the hall's feed is alive
            if self.state is not None and event.seq < self.state.seq:
                return False
            self.state = event
            self._merge(event.recent_calls)
            self.feed.set_notices(event.notices, self._zones)
            self._notify("queues", "calls")
            return True
        if isinstance(event, DisplayState):
            if self.zone is not None and event.zone != self.zone:
                return False
            self.feed.heard(now)
            if event.seq < self._display_seq.get(event.zone, -1):
                return False
            self._display_seq[event.zone] = event.seq
            notices = self.zone is not None and self.feed.set_notices(event.notices, self._zones)
            if self._merge(event.calls) or notices:
                self._notify("calls")
                return True
            return False
        if isinstance(event, CallEvent):
            if event.expires_at <= now:
                return False  # a stale call must not be shown
            self.feed.heard(now)
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
        return tuple(self._row(c) for c in self._calls)

    def _row(self, c: CallView) -> CallRow:
        return CallRow(call_id=c.call_id, number=c.number,
                       window=self._windows.get(c.window_id, Bilingual(c.window_name, c.window_name)),
                       masked_name=shown_name(c.masked_name), recalled=c.recall_count > 0)

    def to_announce(self, now: float) -> tuple[CallRow, ...]:
        """The calls to say aloud at ``now``, oldest first: each call and each recall once, and only when fresh
        (a screen that starts or reconnects shows the calls it missed but says none of them)."""
        rows: list[CallRow] = []
        for c in sorted(self._calls, key=lambda c: c.ts):
            if self._announced.get(c.call_id, -1) >= c.recall_count:
                continue
            self._announced[c.call_id] = c.recall_count
            if now - c.ts <= ANNOUNCE_WITHIN_S:
                rows.append(self._row(c))
        shown = {c.call_id for c in self._calls}
        self._announced = {k: v for k, v in self._announced.items() if k in shown}
        return tuple(rows)

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

    def queue_page(self, per_page: int, now: float) -> tuple[tuple[QueueRow, ...], int, int]:
        """The queues shown at ``now`` when ``per_page`` fit: (rows, page, pages)."""
        self._page_slot = int(now // PAGE_S)
        return page_at(self.queues, per_page, now)

    def page_turned(self, now: float) -> bool:
        """True when the page shown last is no longer the page of ``now``."""
        return int(now // PAGE_S) != self._page_slot
