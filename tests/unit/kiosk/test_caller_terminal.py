"""The caller keypad's logic (kiosk/caller_terminal.py): keys to window commands, answers to display lines."""

from __future__ import annotations

import pytest

from drivers.keypad import Key
from drivers.led_display import LedDisplaySim
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import TicketEvent
from hall_protocol.tickets import (
    ErrorReply,
    RpcReply,
    RpcRequest,
    TicketState,
    TicketView,
    WindowCommand,
    WindowOp,
    WindowReply,
)
from kiosk.caller_terminal import KEY_OPS, CallerPad, CallerTerminal


def _view(number: str) -> TicketView:
    return TicketView(ticket_id="t1", number=number, service="SB-CARD", service_name_zh="社保卡",
                      service_name_en="SSC", state=TicketState.CALLED, zone="A")


@pytest.mark.parametrize(("key", "op"), list(KEY_OPS.items()), ids=[k.name for k in KEY_OPS])
def test_each_caller_key_sends_its_operation_for_this_window(key: Key, op: WindowOp) -> None:
    command = CallerPad("W1", "1号窗口").command(key)
    assert command is not None
    assert (command.window_id, command.op, command.ticket_id, command.staff_id) == ("W1", op, None, None)


def test_request_ids_are_new_for_every_press() -> None:
    pad = CallerPad("W1", "1号窗口")
    first, second = pad.command(Key.CALL_NEXT), pad.command(Key.CALL_NEXT)
    assert first is not None
    assert second is not None
    assert first.request_id != second.request_id


@pytest.mark.parametrize("key", [Key.TRANSFER, Key.VERY_SATISFIED])
def test_keys_that_send_nothing_say_why(key: Key) -> None:
    pad = CallerPad("W1", "1号窗口")
    assert pad.command(key) is None
    assert pad.lines[0] == ("请在电脑上转办" if key is Key.TRANSFER else "此键无效")


@pytest.mark.parametrize(
    ("op", "reply", "shown"),
    [
        (WindowOp.CALL_NEXT, WindowReply(request_id="r", window_id="W1", window_state="calling",
                                         ticket=_view("A003")), "呼叫 A003"),
        (WindowOp.FINISH, WindowReply(request_id="r", window_id="W1", window_state="open", ticket=_view("A003")),
         "A003 已办结"),
        (WindowOp.PAUSE, WindowReply(request_id="r", window_id="W1", window_state="paused"), "暂停服务"),
        (WindowOp.CALL_NEXT, ErrorReply(request_id="r", code=ErrorCode.NOT_FOUND, message="nobody"), "无人等候"),
        (WindowOp.START, ErrorReply(request_id="r", code=ErrorCode.ILLEGAL_TRANSITION, message="x"),
         "当前不能开始办理"),
        (WindowOp.RECALL, ErrorReply(request_id="r", code=ErrorCode.FORBIDDEN, message="x"), "无权操作本窗口"),
        (WindowOp.RECALL, ErrorReply(request_id="r", code=ErrorCode.TIMEOUT, message="x"), "网络中断 请稍候"),
    ],
)
def test_what_the_display_says_after_an_answer(op: WindowOp, reply: RpcReply, shown: str) -> None:
    pad = CallerPad("W1", "1号窗口")
    assert pad.answered(WindowCommand(request_id="r", window_id="W1", op=op), reply) == (shown, "1号窗口")


def test_ticket_events_at_this_window_show_and_others_do_not() -> None:
    pad = CallerPad("W1", "1号窗口")
    called = TicketEvent(ticket_id="t", number="A009", service="SB-CARD", state=TicketState.CALLED, ts=0.0,
                         window_id="W1")
    assert pad.on_event(called) == ("呼叫 A009", "1号窗口")
    elsewhere = TicketEvent(ticket_id="u", number="C001", service="GJJ-DRAW", state=TicketState.CALLED, ts=0.0,
                            window_id="W2")
    assert pad.on_event(elsewhere) is None
    waiting = TicketEvent(ticket_id="t", number="A009", service="SB-CARD", state=TicketState.WAITING, ts=0.0)
    assert pad.on_event(waiting) is None


class _Hall:
    def __init__(self, reply: RpcReply) -> None:
        self.reply = reply
        self.requests: list[RpcRequest] = []

    async def request(self, body: RpcRequest, timeout: float = 5.0) -> RpcReply:
        self.requests.append(body)
        return self.reply


async def test_a_press_goes_to_the_hall_and_its_answer_to_the_led() -> None:
    hall = _Hall(WindowReply(request_id="r", window_id="W1", window_state="calling", ticket=_view("A001")))
    led = LedDisplaySim()
    terminal = CallerTerminal(CallerPad("W1", "1号窗口"), hall, led=led)
    assert await terminal.press(Key.CALL_NEXT) == ("呼叫 A001", "1号窗口")
    assert led.screen == ["呼叫 A001", "1号窗口"]
    assert [type(r).__name__ for r in hall.requests] == ["WindowCommand"]
    await terminal.press(Key.TRANSFER)  # nothing sent
    assert len(hall.requests) == 1
    assert led.screen[0] == "请在电脑上转办"
    await led.aclose()
