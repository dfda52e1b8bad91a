"""The hall's records for the console and the open API: the history folded from the stored events (kept
in memory and brought up to date on each look), and the follow-ups of bad ratings (in the store, each change
written with its audit line)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import msgspec

from hall_controller.actors import Actor
from hall_controller.audit import AuditEntry
from hall_controller.followups import Action, Change, FollowUp, FollowUpError, apply_change
from hall_controller.history import HallHistory, RatingRow
from hall_controller.store import Store

log = logging.getLogger(__name__)

CHUNK = 50_000  # stored events read per query while catching up
_followup_decoder = msgspec.json.Decoder(FollowUp)
T = TypeVar("T")


class HallRecords:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.history = HallHistory()
        self._followups: dict[str, FollowUp] | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> HallHistory:
        """The history with every event committed so far folded in."""
        async with self._lock:  # one reader catches up; the others then find nothing new
            await self._catch_up()
        return self.history

    async def read(self, fn: Callable[[HallHistory], T]) -> T:
        """``fn`` of the history brought up to date, run in a thread: nothing is fed in meanwhile, so ``fn`` may
        go over weeks of facts without stalling the loop."""
        async with self._lock:
            await self._catch_up()
            return await asyncio.to_thread(fn, self.history)

    async def _catch_up(self) -> None:
        h = self.history
        while h.seq < self.store.last_seq:
            rows = await self.store.event_rows_after(h.seq, CHUNK)
            if not rows:
                break
            await asyncio.to_thread(h.feed_stored, rows)  # a month of events must not stall the loop

    async def followups(self) -> dict[str, FollowUp]:
        if self._followups is None:
            self._followups = {k: _followup_decoder.decode(v) for k, v in (await self.store.followups()).items()}
        return self._followups

    async def change_followup(self, actor: Actor, rating: RatingRow, change: Change, origin: str,
                              now: float) -> FollowUp:
        """Apply ``change`` to the follow-up of ``rating`` (FollowUpError when it may not), store it with its
        audit line, and return it."""
        if not rating.bad:
            raise FollowUpError("only a bad rating has a follow-up", "只有差评需要处理")
        followups = await self.followups()
        before = followups.get(rating.key) or FollowUp(key=rating.key)
        after = apply_change(before, rating, change, actor.id, now)
        detail = {Action.ASSIGN: f"assignee={after.assignee}", Action.VERIFY: f"verdict={after.verdict.value}"}
        entry = AuditEntry(ts=now, actor=actor.label, action=f"rating.follow-up.{change.action.value}",
                           target=rating.key, detail=detail.get(change.action, ""), origin=origin)
        await self.store.save_followup(rating.key, msgspec.json.encode(after), now, entry)
        followups[rating.key] = after
        log.info("follow-up of rating %s: %s by %s", rating.key, change.action.value, actor.label)
        return after
