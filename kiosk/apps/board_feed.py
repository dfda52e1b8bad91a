"""What the hall screen and the window displays share about the hall's feed: no Kivy, time passed in.

Is what they show current? A screen that lost its agent, or whose agent lost the hall, or that heard nothing
from the hall for ``STALE_AFTER_S`` (the controller refreshes its retained hall state every few seconds, so
silence means a dead controller or a cut feed) says so, instead of showing old numbers as current. And the
hall manager's notices that belong on this screen, one at a time. And names only ever masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from hall_protocol.hall import Notice
from hall_protocol.identity import is_masked_name, mask_name
from kiosk.i18n import Bilingual

STALE_AFTER_S: Final = 30.0
NOTICE_S: Final = 8.0  # each notice stays this long when there are several


class FeedStatus(StrEnum):
    WAITING = "waiting"  # linked, nothing heard from the hall yet
    LIVE = "live"
    OFFLINE = "offline"  # the link is down, or the hall has been silent too long


@dataclass(frozen=True, slots=True)
class NoticeLine:
    text: Bilingual
    index: int  # 0-based, of ``count``
    count: int


class HallFeed:
    """The link to the hall as one screen sees it."""

    def __init__(self, *, stale_after_s: float = STALE_AFTER_S) -> None:
        self.stale_after_s = stale_after_s
        self.connected = False  # the local socket to the agent
        self.online = False  # the agent's link to the hall
        self.heard_at: float | None = None
        self.notices: tuple[Notice, ...] = ()

    def set_link(self, *, connected: bool, online: bool) -> None:
        self.connected, self.online = connected, online

    def heard(self, now: float) -> None:
        """Something arrived from the hall at ``now`` (wall-clock seconds)."""
        self.heard_at = now if self.heard_at is None else max(self.heard_at, now)

    def status(self, now: float) -> FeedStatus:
        if not self.connected or not self.online:
            return FeedStatus.OFFLINE
        if self.heard_at is None:
            return FeedStatus.WAITING
        if now - self.heard_at > self.stale_after_s:
            return FeedStatus.OFFLINE
        return FeedStatus.LIVE

    def set_notices(self, notices: Iterable[Notice], zones: frozenset[str] | None) -> bool:
        """Keep the notices for this screen: the hall-wide ones, and those of ``zones`` (None: every zone,
        the hall screen by the entrance). True when they changed."""
        mine = tuple(n for n in notices if n.zone is None or zones is None or n.zone in zones)
        if mine == self.notices:
            return False
        self.notices = mine
        return True

    def notice_at(self, now: float) -> NoticeLine | None:
        """The notice to show at ``now``: they take turns, ``NOTICE_S`` each."""
        if not self.notices:
            return None
        i = int(now // NOTICE_S) % len(self.notices)
        n = self.notices[i]
        return NoticeLine(Bilingual(n.text_zh, n.text_en), i, len(self.notices))


def shown_name(name: str) -> str:
    """The name a screen shows: masked already by the kiosk and the controller, masked again here, because a
    hall screen must never show a full name whatever arrives."""
    return name if not name or is_masked_name(name) else mask_name(name)
