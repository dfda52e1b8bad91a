"""What an evaluator pad (评价器) shows: plain Python, no Kivy, time passed in."""

from __future__ import annotations

from typing import Final

from hall_protocol.hall import TicketEvent
from hall_protocol.tickets import TicketState
from kiosk.agent_client import HallEvent
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.rating import RatingPhase, RatingViewModel

POOR_LEVEL: Final = 2  # 不满意 and 非常不满意 ask why (the national 好差评 practice)
_OPEN = (RatingPhase.CHOOSING, RatingPhase.FAILED)


class EvaluatorBoard(Observable):
    """An evaluator pad (评价器) at a window: the rating appears when that window finishes a ticket.

    A tap chooses one of five equal levels (and can be changed); a poor level asks the optional reasons;
    then the citizen submits (or skips the reasons). The evaluator keypad's keys rate at once. A rating left
    unanswered goes away after ``choose_s``; the thanks stay ``thanks_s``.
    """

    def __init__(self, rating: RatingViewModel, window_id: str, *, choose_s: float = 60.0,
                 thanks_s: float = 5.0) -> None:
        super().__init__()
        self.rating = rating
        self.window_id = window_id
        self.choose_s = choose_s
        self.thanks_s = thanks_s
        self.number: str | None = None
        self.service: Bilingual | None = None
        hall = rating.ctx.hall
        window = next((w for w in hall.windows if w.id == window_id), None)
        self.window_name = Bilingual(window.name_zh, window.name_en) if window else Bilingual(window_id)
        self._services = {s.code: Bilingual(s.name_zh, s.name_en) for s in hall.services}
        self._since: float | None = None

    @property
    def active(self) -> bool:
        return self.rating.phase is not RatingPhase.NEEDS_TICKET

    @property
    def level(self) -> int | None:
        return self.rating.level

    @property
    def rating_for(self) -> Text:
        """Which window and service this rating is about."""
        return Text("evaluator.rating_for", window=self.window_name, service=self.service or Bilingual(""))

    @property
    def asking_reason(self) -> bool:
        return self.rating.phase in _OPEN and self.level is not None and self.level <= POOR_LEVEL

    @property
    def reasons(self) -> tuple[tuple[str, Text, bool], ...]:
        """(code, label, chosen) of the reasons offered now: only while a poor level is chosen."""
        return self.rating.reasons if self.asking_reason else ()

    @property
    def can_submit(self) -> bool:
        return self.rating.phase in _OPEN and self.level is not None

    def on_event(self, event: HallEvent, now: float) -> bool:
        if not isinstance(event, TicketEvent):
            return False
        if event.state is not TicketState.FINISHED or event.window_id != self.window_id:
            return False
        self.rating.for_ticket(event.ticket_id, self.window_id)
        self.number = event.number
        self.service = self._services.get(event.service, Bilingual(event.service))
        self._since = now
        self._notify("active")
        return True

    def choose(self, level: int, now: float) -> bool:
        """A tap on one of the five levels: chosen, not sent; another tap changes it."""
        if self.rating.phase not in _OPEN:
            return False
        self.rating.choose_level(level)
        if level > POOR_LEVEL:  # reasons belong to a poor rating: none go with a better one
            for code in list(self.rating.selected):
                self.rating.toggle_reason(code)
        self._since = now
        self._notify("level")
        return True

    def toggle_reason(self, code: str, now: float) -> bool:
        if not self.asking_reason:
            return False
        self.rating.toggle_reason(code)
        self._since = now
        self._notify("reasons")
        return True

    async def submit(self, now: float, *, skip_reasons: bool = False) -> bool:
        """Send the chosen level (with its reasons, unless the citizen skipped them)."""
        if not self.can_submit:
            return False
        if skip_reasons:
            for code in list(self.rating.selected):
                self.rating.toggle_reason(code)
        ok = await self.rating.submit()
        self._since = now
        self._notify("active")
        return ok

    async def rate(self, level: int, now: float) -> bool:
        """The evaluator keypad: one key rates at once (it has no keys for reasons)."""
        if not self.choose(level, now):
            return False
        return await self.submit(now)

    def tick(self, now: float) -> bool:
        """Back to the waiting picture when the citizen walked away or the thanks were shown."""
        if self._since is None:
            return False
        phase = self.rating.phase
        limit = self.thanks_s if phase is RatingPhase.DONE else self.choose_s
        if phase is not RatingPhase.SUBMITTING and now - self._since >= limit:
            self.rating.reset()
            self.number = None
            self.service = None
            self._since = None
            self._notify("active")
            return True
        return False
