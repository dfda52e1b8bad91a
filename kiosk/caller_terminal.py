"""``python -m kiosk --role window-terminal``: the caller keypad at a window (窗口呼叫器), without a screen.

Each key press becomes a ``WindowCommand`` for this device's window, sent through the device's edge agent.
The controller knows the device by its broker identity and accepts the command only for the window the
device is bound to (``[[devices]] window=`` in hall.toml, or the enrolment registry): the same rule, and the
same audit line, as for staff on the web terminal. The keypad acts on the window's current session and
ticket, whoever logged in at the window's web terminal. Transfer needs a target, so it is done on the web
terminal; the keypad says so.

When a two-line LED display is fitted (``[devices.led_display]``), it shows what each key did, and follows
the window's tickets from the hall's ticket events (a call made on the web terminal shows there too).

Plain asyncio, no Kivy: the pad has no screen. :class:`CallerPad` is the sans-IO part (key in, command out;
reply or event in, display lines out); :class:`CallerTerminal` wires it to the keypad, the agent and the LED.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from drivers.keypad import Key, Keypad, KeypadError, open_keypad
from drivers.led_display import LedDisplay, LedDisplayError, open_led_display
from hall_protocol.errors import ErrorCode
from hall_protocol.hall import TicketEvent
from hall_protocol.hall_config import load_hall_config
from hall_protocol.local import Subscribe
from hall_protocol.tickets import ErrorReply, RpcReply, RpcRequest, TicketState, WindowCommand, WindowOp, WindowReply
from hall_runtime.backoff import Backoff
from kiosk.agent_client import AgentClient, LinkState
from kiosk.config import KioskConfig

log = logging.getLogger(__name__)

KEY_OPS: dict[Key, WindowOp] = {
    Key.CALL_NEXT: WindowOp.CALL_NEXT,
    Key.RECALL: WindowOp.RECALL,
    Key.START: WindowOp.START,
    Key.FINISH: WindowOp.FINISH,
    Key.NO_SHOW: WindowOp.NO_SHOW,
    Key.PAUSE: WindowOp.PAUSE,
    Key.RESUME: WindowOp.RESUME,
    Key.PARK: WindowOp.PARK,
}
# What each done operation shows on the LED's first line ({n}: the ticket's number). LED displays carry
# Chinese only; 16 columns hold eight Chinese characters.
_DONE = {
    WindowOp.CALL_NEXT: "呼叫 {n}",
    WindowOp.RECALL: "重呼 {n}",
    WindowOp.START: "{n} 办理中",
    WindowOp.FINISH: "{n} 已办结",
    WindowOp.NO_SHOW: "{n} 过号",
    WindowOp.PARK: "{n} 已挂起",
    WindowOp.PAUSE: "暂停服务",
    WindowOp.RESUME: "恢复服务",
}
_REFUSED = {
    ErrorCode.FORBIDDEN: "无权操作本窗口",
    ErrorCode.UNAVAILABLE: "网络中断 请稍候",
    ErrorCode.TIMEOUT: "网络中断 请稍候",
}
HEALTH_EVERY_S = 30.0

Lines = tuple[str, str]


class Requester(Protocol):
    """The shape of ``kiosk.agent_client.AgentClient.request``."""

    async def request(self, body: RpcRequest, timeout: float = 5.0) -> RpcReply: ...


class CallerPad:
    """The keypad's logic without I/O: which command a key sends, and what the display says afterwards."""

    def __init__(self, window_id: str, window_name: str) -> None:
        self.window_id = window_id
        self.window_name = window_name
        self.lines: Lines = (window_name, "就绪")

    def command(self, key: Key) -> WindowCommand | None:
        """The command for ``key`` (None for a key that sends nothing, e.g. transfer or a rating key)."""
        op = KEY_OPS.get(key)
        if op is None:
            self.lines = ("请在电脑上转办" if key is Key.TRANSFER else "此键无效", self.window_name)
            return None
        return WindowCommand(request_id=uuid.uuid4().hex, window_id=self.window_id, op=op)

    def answered(self, command: WindowCommand, reply: RpcReply) -> Lines:
        if isinstance(reply, WindowReply):
            number = reply.ticket.number if reply.ticket is not None else ""
            self.lines = (_DONE[command.op].format(n=number), self.window_name)
        elif isinstance(reply, ErrorReply):
            self.lines = (self._refusal(command.op, reply.code), self.window_name)
        else:
            self.lines = ("操作失败", self.window_name)
        return self.lines

    def _refusal(self, op: WindowOp, code: ErrorCode) -> str:
        if code is ErrorCode.NOT_FOUND and op is WindowOp.CALL_NEXT:
            return "无人等候"
        if code is ErrorCode.ILLEGAL_TRANSITION:
            return "当前不能" + next(k.label_zh for k, o in KEY_OPS.items() if o is op)
        return _REFUSED.get(code, "操作失败")

    def on_event(self, event: TicketEvent) -> Lines | None:
        """The display after a ticket event at this window (a call made elsewhere, a finish), or None."""
        if event.window_id != self.window_id:
            return None
        shown = {TicketState.CALLED: "呼叫 {n}", TicketState.RECALLED: "重呼 {n}", TicketState.SERVING: "{n} 办理中",
                 TicketState.FINISHED: "{n} 已办结"}.get(event.state)
        if shown is None:
            return None
        self.lines = (shown.format(n=event.number), self.window_name)
        return self.lines


class CallerTerminal:
    """Key presses → commands through the agent → the LED; ticket events → the LED."""

    def __init__(self, pad: CallerPad, link: Requester, *, led: LedDisplay | None = None,
                 timeout_s: float = 5.0) -> None:
        self.pad = pad
        self.link = link
        self.led = led
        self.timeout_s = timeout_s
        self.sent: list[tuple[WindowCommand, RpcReply]] = []  # the last few, for diagnostics

    async def press(self, key: Key) -> Lines:
        command = self.pad.command(key)
        if command is None:
            await self.show(self.pad.lines)
            return self.pad.lines
        reply = await self.link.request(command, self.timeout_s)
        log.info("key %s: %s → %s", key.name, command.op.value, type(reply).__name__ if not isinstance(
            reply, ErrorReply) else f"{reply.code.value} ({reply.message})")
        self.sent = [*self.sent[-9:], (command, reply)]
        lines = self.pad.answered(command, reply)
        await self.show(lines)
        return lines

    async def on_event(self, event: object) -> None:
        if isinstance(event, TicketEvent) and (lines := self.pad.on_event(event)) is not None:
            await self.show(lines)

    async def show(self, lines: Lines) -> None:
        if self.led is None:
            return
        try:
            for n, text in enumerate(lines):
                await self.led.show(text, line=n)
        except LedDisplayError as err:
            log.warning("LED display: %s", err)

    async def run_keys(self, keypad: Keypad) -> None:
        """Key presses for as long as the terminal runs; a lost or silent keypad is waited for, with backoff."""
        backoff = Backoff(base=1.0, cap=30.0)
        while True:
            try:
                async for event in keypad.events():
                    backoff.reset()
                    await self.press(event.key)
            except KeypadError as err:
                delay = backoff.next_delay()
                log.warning("keypad: %s; trying again in %.0f s", err, delay)
                await asyncio.sleep(delay)


async def _events(client: AgentClient, terminal: CallerTerminal) -> None:
    async for event in client.events():
        await terminal.on_event(event)


async def _forever(what: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run ``work`` again (with backoff) whenever it fails: one part failing must not stop the pad."""
    backoff = Backoff(base=1.0, cap=30.0)
    while True:
        try:
            await work()
            backoff.reset()
        except (OSError, ConnectionError, TimeoutError) as err:
            delay = backoff.next_delay()
            log.warning("%s: %r; again in %.0f s", what, err, delay)
            await asyncio.sleep(delay)


async def run_caller_terminal(config: KioskConfig, base: Path) -> int:
    """Run until SIGTERM / SIGINT. Exit status 2 when the configuration has no caller keypad."""
    keypad_config = config.devices.keypad
    if keypad_config is None or keypad_config.kind != "caller":
        log.error("role window-terminal needs [devices.keypad] with kind = \"caller\"")
        return 2
    assert config.window_id is not None  # KioskConfig checks it for this role
    hall = load_hall_config(config.configs_path(base) / "hall.toml")
    window = next((w for w in hall.windows if w.id == config.window_id), None)
    if window is None:
        log.error("window %s is not in the hall's configuration", config.window_id)
        return 2
    keypad = open_keypad(keypad_config)
    led = open_led_display(config.devices.led_display) if config.devices.led_display is not None else None
    pad = CallerPad(window.id, window.name_zh)
    # the client reconnects by itself (backoff) and re-sends the peripherals' health after each reconnect
    client = AgentClient(config.agent_socket, subscribe=Subscribe(tickets=True))
    terminal = CallerTerminal(pad, client, led=led)

    shown: set[asyncio.Future[None]] = set()

    def on_state(state: LinkState) -> None:
        if state.connected:  # the agent is back: show the window's lines again
            fut = asyncio.ensure_future(terminal.show(pad.lines))
            shown.add(fut)
            fut.add_done_callback(shown.discard)

    client.on_state = on_state

    async def health() -> None:
        while True:
            await client.report_health("keypad", await keypad.health())
            if led is not None:
                await client.report_health("led_display", await led.health())
            await asyncio.sleep(HEALTH_EVERY_S)

    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    log.info("caller keypad for %s (%s) on %s", window.id, window.name_zh, config.agent_socket)
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(client.run())
            tg.create_task(_events(client, terminal))
            tg.create_task(terminal.run_keys(keypad))
            tg.create_task(_forever("health", health))
    except asyncio.CancelledError:
        log.info("caller keypad stopped")
    finally:
        await keypad.aclose()
        if led is not None:
            await led.aclose()
    return 0
