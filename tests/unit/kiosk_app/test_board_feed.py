"""Is what a board shows current? Link, silence and notices, with time passed in (no window)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall_protocol.hall import CallEvent, CallView, DisplayState, HallState, Notice
from hall_protocol.hall_config import HallConfig, load_hall_config
from kiosk.apps.board_feed import NOTICE_S, STALE_AFTER_S, FeedStatus, HallFeed
from kiosk.apps.hall_screen.board import HallBoard
from kiosk.apps.window_display.board import WindowBoard

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo"
NOW = 1_000_000.0
HALL_WIDE = Notice(text_zh="今日 16:00 起暂停取号", text_en="No tickets after 16:00 today")
ZONE_A = Notice(text_zh="A区1号窗口暂停服务", zone="A")
ZONE_B = Notice(text_zh="B区2号窗口调整至3号窗口", zone="B")


@pytest.fixture(scope="module")
def hall() -> HallConfig:
    return load_hall_config(DEMO / "hall.toml")


def state(seq: int, notices: tuple[Notice, ...] = ()) -> HallState:
    return HallState(hall="demo", ts=NOW, seq=seq, notices=notices)


def test_the_feed_is_offline_when_the_link_is_down_or_the_hall_is_silent() -> None:
    feed = HallFeed()
    assert feed.status(NOW) is FeedStatus.OFFLINE, "no agent yet"
    feed.set_link(connected=True, online=True)
    assert feed.status(NOW) is FeedStatus.WAITING
    feed.heard(NOW)
    assert feed.status(NOW + STALE_AFTER_S) is FeedStatus.LIVE
    assert feed.status(NOW + STALE_AFTER_S + 0.1) is FeedStatus.OFFLINE, "silence: old numbers are not current"
    feed.heard(NOW + 40)
    assert feed.status(NOW + 41) is FeedStatus.LIVE
    feed.heard(NOW + 5)  # a late delivery does not make the feed older
    assert feed.heard_at == NOW + 40
    feed.set_link(connected=True, online=False)
    assert feed.status(NOW + 41) is FeedStatus.OFFLINE, "the agent lost the hall"
    feed.set_link(connected=False, online=False)
    assert feed.status(NOW + 41) is FeedStatus.OFFLINE, "the agent is gone"


def test_notices_take_turns_and_belong_to_their_zone() -> None:
    feed = HallFeed()
    assert feed.notice_at(NOW) is None
    assert feed.set_notices((HALL_WIDE, ZONE_A, ZONE_B), frozenset({"A"}))
    assert not feed.set_notices((HALL_WIDE, ZONE_A, ZONE_B), frozenset({"A"})), "unchanged"
    assert feed.notices == (HALL_WIDE, ZONE_A)
    shown = {feed.notice_at(NOW + n * NOTICE_S).text.zh for n in range(4)}  # type: ignore[union-attr]
    assert shown == {HALL_WIDE.text_zh, ZONE_A.text_zh}
    line = feed.notice_at(0.0)
    assert line is not None
    assert (line.index, line.count, line.text.en) == (0, 2, HALL_WIDE.text_en)
    feed.set_notices((HALL_WIDE, ZONE_A, ZONE_B), None)
    assert len(feed.notices) == 3, "the hall screen by the entrance shows every zone's"


def test_hall_board_goes_stale_without_updates_and_recovers(hall: HallConfig) -> None:
    board = HallBoard(hall)
    board.feed.set_link(connected=True, online=True)
    assert board.status(NOW) is FeedStatus.WAITING
    assert board.on_event(state(2, (HALL_WIDE, ZONE_B)), NOW)
    assert board.status(NOW + 10) is FeedStatus.LIVE
    assert [n.zone for n in board.feed.notices] == [None, "B"]
    assert board.status(NOW + 31) is FeedStatus.OFFLINE
    assert not board.on_event(state(1), NOW + 32), "an older copy changes nothing shown"
    assert board.status(NOW + 33) is FeedStatus.LIVE, "but it shows the feed is alive"
    call = CallView(call_id="c1", ticket_id="T1", number="A001", window_id="W1", window_name="W1", zone="A", ts=NOW)
    board.on_event(CallEvent(call=call, expires_at=NOW + 100), NOW + 70)
    assert board.status(NOW + 80) is FeedStatus.LIVE
    assert not board.on_event(CallEvent(call=call, expires_at=NOW), NOW + 120), "an expired call proves nothing"
    assert board.status(NOW + 120) is FeedStatus.OFFLINE


def test_a_zone_screen_takes_its_zone_notices_from_display_state(hall: HallConfig) -> None:
    board = HallBoard(hall, zone="B")
    assert board.on_event(DisplayState(zone="B", ts=NOW, seq=1, notices=(HALL_WIDE, ZONE_B)), NOW)
    assert board.feed.notices == (HALL_WIDE, ZONE_B)
    assert not board.on_event(DisplayState(zone="A", ts=NOW, seq=2, notices=(ZONE_A,)), NOW)
    board.on_event(state(3, (HALL_WIDE, ZONE_A, ZONE_B)), NOW)
    assert board.feed.notices == (HALL_WIDE, ZONE_B)


def test_window_board_shows_its_zone_notices_and_goes_stale(hall: HallConfig) -> None:
    board = WindowBoard(hall, "W2")  # zone B
    board.feed.set_link(connected=True, online=True)
    assert board.on_event(state(1, (HALL_WIDE, ZONE_A, ZONE_B)), NOW), "new notices are a change"
    assert board.feed.notices == (HALL_WIDE, ZONE_B)
    assert not board.on_event(state(2, (HALL_WIDE, ZONE_A, ZONE_B)), NOW + 1)
    assert board.status(NOW + 20) is FeedStatus.LIVE
    assert board.status(NOW + 32) is FeedStatus.OFFLINE
    assert board.notice_at(NOW) is not None


def test_window_board_hears_the_hall_through_its_zone_display_state(hall: HallConfig) -> None:
    """A window display's broker account reads display/{zone} and the calls, not the hall state."""
    board = WindowBoard(hall, "W2")  # zone B
    board.feed.set_link(connected=True, online=True)
    assert not board.on_event(DisplayState(zone="A", ts=NOW, seq=1, notices=(ZONE_A,)), NOW)
    assert board.status(NOW) is FeedStatus.WAITING, "another zone's display is not this window's feed"
    assert board.on_event(DisplayState(zone="B", ts=NOW, seq=2, notices=(HALL_WIDE, ZONE_B)), NOW)
    assert board.feed.notices == (HALL_WIDE, ZONE_B)
    assert not board.on_event(DisplayState(zone="B", ts=NOW, seq=1, notices=()), NOW + 20), "an older copy"
    assert board.feed.notices == (HALL_WIDE, ZONE_B)
    assert board.status(NOW + 45) is FeedStatus.LIVE, "but it is news from the hall"
    assert board.status(NOW + 51) is FeedStatus.OFFLINE


def test_window_board_clears_its_number_when_its_zone_display_says_the_window_is_free(hall: HallConfig) -> None:
    """A window display reads no ticket events: the finish reaches it as its window's state in display/{zone}."""
    from hall_protocol.hall import WindowView

    board = WindowBoard(hall, "W2")  # zone B
    call = CallView(call_id="c1", ticket_id="t1", number="B201", window_id="W2", window_name="2号窗口", zone="B",
                    ts=NOW)
    assert board.on_event(CallEvent(call=call, expires_at=NOW + 60), NOW)
    assert board.number == "B201"

    def w2(state: str, number: str | None) -> DisplayState:
        seq = int(NOW) + {"calling": 1, "serving": 2}.get(state, 3)
        return DisplayState(zone="B", ts=NOW, seq=seq, windows=(
            WindowView(window_id="W2", name="2号窗口", zone="B", state=state, current_number=number),))

    assert not board.on_event(w2("calling", "B201"), NOW + 1), "the same as the call said"
    assert board.on_event(w2("serving", "B201"), NOW + 2)
    assert board.on_event(w2("open", None), NOW + 3)
    assert board.number is None
    assert "B201" not in "".join(board.led_lines())
