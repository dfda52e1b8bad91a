"""The hall screen, window display and evaluator models (no window): ordering, staleness, expiry, timing."""

from __future__ import annotations

import pytest

from hall_protocol.hall import CallEvent, CallView, DisplayState, HallState, ServiceQueue, TicketEvent, WindowView
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import Ack, CheckIn, ErrorReply, IssueTicket, SubmitRating, TicketReply, TicketState
from kiosk.apps.evaluator.board import EvaluatorBoard
from kiosk.apps.hall_screen.board import HallBoard
from kiosk.apps.window_display.board import WindowBoard, WindowPhase
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.rating import RatingPhase, RatingViewModel
from tests.unit.kiosk_app.conftest import NOW, call


def state(seq: int, *, calls: tuple[CallView, ...] = (), waiting: int = 3, windows: tuple[WindowView, ...] = ()
          ) -> HallState:
    return HallState(hall="demo", ts=NOW, seq=seq, recent_calls=calls, windows=windows, services=(
        ServiceQueue(code="SB-CARD", name_zh="社会保障卡申领", name_en="SSC", zone="A", waiting=waiting,
                     est_wait_s=610),
        ServiceQueue(code="GJJ-DRAW", name_zh="住房公积金提取", name_en="Fund", zone="B", waiting=0, open=False),
    ))


def test_hall_board_newest_call_first_and_stale_state_ignored(hall: HallConfig) -> None:
    board = HallBoard(hall)
    assert board.on_event(state(2, calls=(call("A001", ts=NOW - 50), call("A002", ts=NOW - 10))), NOW)
    assert [c.number for c in board.calls] == ["A002", "A001"]
    assert not board.on_event(state(1, waiting=99), NOW)  # an older retained copy
    assert board.queues[0].waiting == 3
    assert board.queues[0].wait_min == 11
    assert board.queues[1].wait_min == 0
    assert not board.queues[1].open
    assert board.on_event(CallEvent(call=call("B001", "W2", zone="B"), expires_at=NOW + 60), NOW)
    assert board.calls[0].number == "B001"
    assert board.calls[0].window.zh == "2号窗口"
    assert not board.on_event(CallEvent(call=call("B002", "W2", zone="B"), expires_at=NOW - 1), NOW)
    # a recall brings the same call back to the top, marked
    assert board.on_event(CallEvent(call=call("A001", ts=NOW + 5, recalls=1), expires_at=NOW + 60), NOW)
    assert board.calls[0].number == "A001"
    assert board.calls[0].recalled
    assert len(board.calls) == 3
    assert board.waiting_total == 3


def test_hall_board_keeps_only_its_zone_and_a_few_calls(hall: HallConfig) -> None:
    board = HallBoard(hall, zone="A", max_calls=3)
    for n in range(6):
        board.on_event(CallEvent(call=call(f"A{n:03d}", ts=NOW + n), expires_at=NOW + 60), NOW)
    board.on_event(CallEvent(call=call("B100", "W2", zone="B"), expires_at=NOW + 60), NOW)
    assert [c.number for c in board.calls] == ["A005", "A004", "A003"]
    board.on_event(DisplayState(zone="B", ts=NOW, seq=1, calls=(call("B200", "W2", zone="B"),)), NOW)
    assert "B200" not in [c.number for c in board.calls]
    board.on_event(state(1), NOW)
    assert [q.code for q in board.queues] == ["SB-CARD"]


def test_window_board_follows_its_window_only(hall: HallConfig) -> None:
    board = WindowBoard(hall, "W1")
    assert board.phase is WindowPhase.UNKNOWN
    assert not board.on_event(CallEvent(call=call("B001", "W2"), expires_at=NOW + 60), NOW)
    assert board.on_event(CallEvent(call=call("A007"), expires_at=NOW + 60), NOW)
    assert (board.phase, board.number) == (WindowPhase.CALLING, "A007")
    assert board.led_lines() == ("请A007号", "到1号窗口")
    assert board.masked_name == "张*"
    assert board.on_event(TicketEvent(ticket_id="T-A007", number="A007", service="SB-CARD",
                                      state=TicketState.SERVING, ts=NOW, window_id="W1"), NOW)
    assert board.phase.value == "serving"
    assert board.on_event(TicketEvent(ticket_id="T-A007", number="A007", service="SB-CARD",
                                      state=TicketState.FINISHED, ts=NOW, window_id="W1"), NOW)
    assert (board.phase, board.number) == (WindowPhase.IDLE, None)
    assert board.masked_name == "", "the name goes with its number"
    serving = (WindowView(window_id="W1", name="1号窗口", zone="A", state="serving", current_number="A008"),)
    assert board.on_event(state(2, windows=serving), NOW)
    assert (board.number, board.masked_name) == ("A008", ""), "another number: not that citizen's name"
    paused = (WindowView(window_id="W1", name="1号窗口", zone="A", state="paused"),)
    assert board.on_event(state(3, windows=paused), NOW)
    assert board.led_lines() == ("1号窗口", "暂停服务")
    assert not board.on_event(state(1, windows=()), NOW)
    with pytest.raises(ValueError, match="W9"):
        WindowBoard(hall, "W9")


class _Hall:
    def __init__(self) -> None:
        self.ratings: list[SubmitRating] = []

    async def issue_ticket(self, request: IssueTicket) -> TicketReply | ErrorReply:
        raise AssertionError("not used")

    async def check_in(self, request: CheckIn) -> TicketReply | ErrorReply:
        raise AssertionError("not used")

    async def submit_rating(self, request: SubmitRating) -> Ack | ErrorReply:
        self.ratings.append(request)
        return Ack(request_id=request.request_id)


def finished(ticket: str, window: str) -> TicketEvent:
    return TicketEvent(ticket_id=ticket, number=ticket[2:], service="SB-CARD", state=TicketState.FINISHED, ts=NOW,
                       window_id=window)


async def test_evaluator_rates_a_finish_at_its_window_then_thanks_and_resets(hall: HallConfig) -> None:
    client = _Hall()
    ctx = KioskContext(hall=hall, client=client, device_id="eval-W1")
    board = EvaluatorBoard(RatingViewModel(ctx), "W1", choose_s=60, thanks_s=5)
    assert not board.on_event(finished("T-B001", "W2"), NOW)
    assert not board.active
    assert board.on_event(finished("T-A001", "W1"), NOW)
    assert board.rating.phase is RatingPhase.CHOOSING
    assert board.number == "A001"
    assert await board.rate(4, NOW + 3)
    assert client.ratings[-1].level == 4
    assert client.ratings[-1].window_id == "W1"
    assert not await board.rate(1, NOW + 4), "one rating per finished ticket"
    assert not board.tick(NOW + 7)
    assert board.tick(NOW + 8.1)
    assert not board.active
    board.on_event(finished("T-A002", "W1"), NOW + 10)
    assert board.tick(NOW + 70.1), "an unanswered rating goes away"
    assert len(client.ratings) == 1


async def test_evaluator_chooses_then_sends_and_asks_why_only_for_a_poor_rating(hall: HallConfig) -> None:
    client = _Hall()
    board = EvaluatorBoard(RatingViewModel(KioskContext(hall=hall, client=client, device_id="eval-W1")), "W1")
    assert not board.choose(4, NOW), "nothing to rate yet"
    board.on_event(finished("T-A001", "W1"), NOW)
    assert board.rating_for.render("zh") == "评价：1号窗口 · 社会保障卡申领"
    assert board.rating_for.render("en") == "Rating: Window 1 · Social security card application"
    assert not board.can_submit
    assert board.choose(4, NOW + 1)
    assert board.rating.phase is RatingPhase.CHOOSING, "a tap chooses; it does not send"
    assert (board.level, board.asking_reason, board.reasons) == (4, False, ())
    assert not board.toggle_reason("slow", NOW + 1), "no reasons for a good rating"
    assert board.choose(3, NOW + 2)
    assert not board.asking_reason, "基本满意 is not asked why"
    assert board.choose(2, NOW + 3)
    assert board.asking_reason
    assert {code for code, _text, _on in board.reasons} >= {"slow", "attitude", "unclear"}
    assert board.toggle_reason("slow", NOW + 4)
    assert board.toggle_reason("unclear", NOW + 4)
    assert board.toggle_reason("unclear", NOW + 4)
    assert [on for code, _t, on in board.reasons if code == "slow"] == [True]
    assert board.choose(5, NOW + 5)
    assert board.rating.selected == set(), "a better level takes the complaints back"
    assert board.choose(1, NOW + 6)
    board.toggle_reason("attitude", NOW + 6)
    assert not board.tick(NOW + 60), "every touch restarts the minute"
    assert await board.submit(NOW + 7)
    sent = client.ratings[-1]
    assert (sent.level, sent.reasons, sent.window_id) == (1, ("attitude",), "W1")
    assert not board.asking_reason
    board.on_event(finished("T-A002", "W1"), NOW + 20)
    board.choose(2, NOW + 21)
    board.toggle_reason("slow", NOW + 21)
    assert await board.submit(NOW + 22, skip_reasons=True)
    assert (client.ratings[-1].ticket_id, client.ratings[-1].reasons) == ("T-A002", ())


def test_boards_never_show_a_full_name(hall: HallConfig) -> None:
    leaked = CallView(call_id="c-A009", ticket_id="T-A009", number="A009", window_id="W1", window_name="W1",
                      zone="A", masked_name="张三丰", ts=NOW)
    hall_board = HallBoard(hall)
    hall_board.on_event(CallEvent(call=leaked, expires_at=NOW + 60), NOW)
    assert hall_board.calls[0].masked_name == "张**"
    window = WindowBoard(hall, "W1")
    window.on_event(CallEvent(call=leaked, expires_at=NOW + 60), NOW)
    assert window.masked_name == "张**"
    kept = CallView(call_id="c-A010", ticket_id="T-A010", number="A010", window_id="W1", window_name="W1",
                    zone="A", masked_name="欧阳**", ts=NOW + 1)
    window.on_event(CallEvent(call=kept, expires_at=NOW + 60), NOW)
    assert window.masked_name == "欧阳**"
