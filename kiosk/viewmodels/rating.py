"""Rate the service (好差评): five levels, optional reasons; the ticket comes from its printed QR."""

from __future__ import annotations

import logging
import re
import uuid
from enum import StrEnum
from typing import Final
from urllib.parse import unquote, urlsplit

from hall_protocol.tickets import ErrorReply, SubmitRating
from kiosk.i18n import Asked, Text, refusal
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.observable import Observable

log = logging.getLogger(__name__)

LEVEL_KEYS: Final = {
    5: "rating.level.5",  # 非常满意
    4: "rating.level.4",  # 满意
    3: "rating.level.3",  # 基本满意
    2: "rating.level.2",  # 不满意
    1: "rating.level.1",  # 非常不满意
}
GOOD_REASONS: Final = {
    "fast": "rating.reason.fast",
    "polite": "rating.reason.polite",
    "clear": "rating.reason.clear",
    "one-visit": "rating.reason.one_visit",
}
BAD_REASONS: Final = {
    "slow": "rating.reason.slow",
    "attitude": "rating.reason.attitude",
    "unclear": "rating.reason.unclear",
    "repeat-visits": "rating.reason.repeat_visits",
    "repeat-materials": "rating.reason.repeat_materials",
}
_STATUS_PATH = re.compile(r"^/t/[A-Za-z0-9_-]+/(?P<ticket>[^/?#]+)$")


def ticket_id_from_status_url(payload: str) -> str | None:
    """The ticket id in a ticket's phone-page QR (``{base}/t/{hall}/{ticket_id}?k=…``)."""
    p = payload.strip()
    if not p.startswith(("http://", "https://")):
        return None
    m = _STATUS_PATH.match(urlsplit(p).path)
    return unquote(m.group("ticket")) if m else None


class RatingPhase(StrEnum):
    NEEDS_TICKET = "needs-ticket"
    CHOOSING = "choosing"
    SUBMITTING = "submitting"
    DONE = "done"
    FAILED = "failed"


class RatingViewModel(Observable):
    def __init__(self, ctx: KioskContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.title = Text("rating.title")
        self.reasons_label = Text("rating.reasons")
        self._clear()

    def _clear(self) -> None:
        self.phase = RatingPhase.NEEDS_TICKET
        self.ticket_id: str | None = None
        self.window_id: str | None = None
        self.level: int | None = None
        self.selected: set[str] = set()
        self.comment = ""
        self.message: Text | None = None
        self._request_id = uuid.uuid4().hex

    @property
    def levels(self) -> tuple[tuple[int, Text, bool], ...]:
        """(level, label, chosen), best first."""
        return tuple((n, Text(key), n == self.level) for n, key in LEVEL_KEYS.items())

    @property
    def reasons(self) -> tuple[tuple[str, Text, bool], ...]:
        """The reasons that fit the chosen level: praise for 4–5, complaints for 1–3."""
        if self.level is None:
            return ()
        table = GOOD_REASONS if self.level >= 4 else BAD_REASONS
        return tuple((code, Text(key), code in self.selected) for code, key in table.items())

    def for_ticket(self, ticket_id: str, window_id: str | None = None) -> None:
        self._clear()
        self.ticket_id = ticket_id
        self.window_id = window_id
        self.phase = RatingPhase.CHOOSING
        self._notify("phase")

    def scan_ticket_qr(self, payload: str) -> bool:
        ticket_id = ticket_id_from_status_url(payload)
        if ticket_id is None:
            self.message = Text("rating.bad_ticket_qr")
            self._notify("message")
            return False
        self.for_ticket(ticket_id)
        return True

    def choose_level(self, level: int) -> None:
        if level not in LEVEL_KEYS:
            raise ValueError(f"rating level must be 1–5, not {level}")
        self.level = level
        allowed = GOOD_REASONS if level >= 4 else BAD_REASONS
        self.selected &= set(allowed)
        self.message = None
        self._notify("level", "reasons", "message")

    def toggle_reason(self, code: str) -> None:
        if code not in {c for c, _, _ in self.reasons}:
            raise ValueError(f"reason {code!r} does not fit level {self.level}")
        self.selected ^= {code}
        self._notify("reasons")

    def set_comment(self, text: str) -> None:
        self.comment = text[:200]
        self._notify("comment")

    async def submit(self) -> bool:
        if self.ticket_id is None:
            self.phase = RatingPhase.NEEDS_TICKET
            self.message = Text("rating.scan_ticket")
            self._notify("phase", "message")
            return False
        if self.level is None:
            self.message = Text("rating.choose_level")
            self._notify("message")
            return False
        level = self.level  # the pad may move on to the next ticket while this one is being sent
        self.phase = RatingPhase.SUBMITTING
        self._notify("phase")
        ordered = [c for c in (*GOOD_REASONS, *BAD_REASONS) if c in self.selected]
        reply = await self.ctx.client.submit_rating(SubmitRating(
            request_id=self._request_id,  # kept across retries: the hall records one rating
            ticket_id=self.ticket_id,
            level=level,
            window_id=self.window_id,
            reasons=tuple(ordered),
            comment=self.comment,
            source_device=self.ctx.device_id,
        ))
        if isinstance(reply, ErrorReply):
            log.info("rating for ticket %s refused: %s", self.ticket_id, reply.code.value)
            self.phase = RatingPhase.FAILED
            self.message = refusal(Asked.RATING, reply.code)
            self._notify("phase", "message")
            return False
        self.phase = RatingPhase.DONE
        outcome = Text("rating.follow_up") if level <= 2 else Text("rating.thanks")
        # the agent keeps a rating it could not send yet, and says so: so does the screen
        self.message = Text("rating.queued", outcome=outcome) if reply.queued else outcome
        self._notify("phase", "message")
        return True

    def reset(self) -> None:
        self._clear()
        self._notify("phase", "level", "reasons", "message")
