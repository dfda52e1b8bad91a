"""The devices at a window, through the real controller, broker and edge agents: the caller keypad
(``python -m kiosk --role window-terminal`` on a pty keypad emulator, with an LED display on another pty),
and the evaluator pad that asks for the rating when the window finishes a ticket."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drivers.keypad import Key, KeypadEmulator
from drivers.led_display import LedDisplayEmulator
from drivers.serial_pty import Emulator, PtyHost
from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from hall_controller.service import ControllerService
from hall_protocol.devices import Role
from hall_protocol.hall_config import load_hall_config
from hall_protocol.local import Subscribe
from hall_protocol.tickets import IssueTicket, TicketReply, TicketState, WindowCommand, WindowOp, WindowReply
from kiosk.agent_client import AgentClient
from kiosk.apps.evaluator.board import EvaluatorBoard
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.rating import RatingPhase, RatingViewModel
from onevisit.broker import PrivateBroker
from onevisit.demo import DeviceSpec, Processes, agent_config_text
from tests.integration.controller.harness import HALL_TOML, controller

pytestmark = pytest.mark.e2e

KIOSK = Actor(ActorKind.DEVICE, "kiosk-1", Role.KIOSK, "A")
STAFF = Actor(ActorKind.PERSON, "zhang", PersonRole.STAFF, window="W1")
DEVICES = [DeviceSpec("win-W1", Role.WINDOW_TERMINAL, "A"), DeviceSpec("win-W2", Role.WINDOW_TERMINAL, "B"),
           DeviceSpec("eval-W1", Role.EVALUATOR, "A"), DeviceSpec("eval-W2", Role.EVALUATOR, "B")]
EVALUATORS = '''
[[devices]]
id = "eval-W1"
role = "evaluator"
zone = "A"
window = "W1"

[[devices]]
id = "eval-W2"
role = "evaluator"
zone = "B"
window = "W2"
'''


@dataclass
class Hall:
    service: ControllerService
    sockets: dict[str, str]
    procs: Processes
    workdir: Path
    config: Path

    @property
    def state(self) -> Any:
        return self.service.core.state


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def hall(private_mosquitto: PrivateBroker, tmp_path: Path) -> AsyncIterator[Hall]:
    """The demo hall with an evaluator pad at windows 1 and 2, and the agents of four window devices."""
    config = tmp_path / "hall.toml"
    config.write_text(HALL_TOML.read_text(encoding="utf-8") + EVALUATORS, encoding="utf-8")
    procs = Processes(tmp_path)
    sockets = {}
    async with controller(private_mosquitto, tmp_path / "hall.db", config_path=config) as service:
        try:
            for d in DEVICES:
                cfg = tmp_path / f"agent-{d.device_id}.toml"
                cfg.write_text(agent_config_text(d, "demo", private_mosquitto.port, tmp_path))
                procs.start(f"agent-{d.device_id}", [sys.executable, "-m", "edge_agent", "--config", str(cfg)])
                sockets[d.device_id] = str(tmp_path / f"{d.device_id}.sock")
            for path in sockets.values():
                async with asyncio.timeout(20):
                    while not await asyncio.to_thread(Path(path).exists):  # noqa: ASYNC110 - no event for a file
                        await asyncio.sleep(0.05)
            yield Hall(service, sockets, procs, tmp_path, config)
        finally:
            procs.stop_all()


def caller_keypad(hall: Hall, agent: str, window: str, keypad_port: str, led_port: str) -> None:
    """Start ``python -m kiosk --role window-terminal`` for ``window`` on the agent of device ``agent``."""
    toml = hall.workdir / f"pad-{agent}.toml"
    toml.write_text(
        f'device_id = "{agent}"\nrole = "window-terminal"\nwindow_id = "{window}"\n'
        f'agent_socket = "{hall.sockets[agent]}"\nconfigs_dir = "{hall.workdir}"\n\n'
        f'[devices.keypad]\ndriver = "keypad-serial"\nport = "{keypad_port}"\nkind = "caller"\n'
        f"heartbeat_timeout_s = 60\n\n"
        f'[devices.led_display]\ndriver = "led-serial"\nport = "{led_port}"\n',
        encoding="utf-8",
    )
    hall.procs.start(f"pad-{agent}", [sys.executable, "-m", "kiosk", "--config", str(toml)])


async def submit(hall: Hall, actor: Actor, request: Any) -> Any:
    return (await hall.service.submit(actor, request, origin="test")).reply


async def staff_at_w1(hall: Hall) -> None:
    """Someone logs in at window 1 (on the web terminal); the keypad works on that session."""
    for op in (WindowOp.LOGIN, WindowOp.OPEN):
        reply = await submit(hall, STAFF, WindowCommand(request_id=uuid.uuid4().hex, window_id="W1", op=op))
        assert isinstance(reply, WindowReply), reply


async def issue(hall: Hall) -> str:
    reply = await submit(hall, KIOSK, IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD"))
    assert isinstance(reply, TicketReply), reply
    return reply.ticket.number


def pty(pty_device: Callable[[Emulator], PtyHost], emulator: Any) -> PtyHost:
    return pty_device(emulator)


async def test_the_caller_keypad_calls_serves_and_pauses_its_window_and_the_evaluator_asks(
        hall: Hall, pty_device: Callable[[Emulator], PtyHost]) -> None:
    keys, led = KeypadEmulator(), LedDisplayEmulator()
    keypad_host, led_host = pty(pty_device, keys), pty(pty_device, led)
    caller_keypad(hall, "win-W1", "W1", keypad_host.port, led_host.port)
    await eventually(lambda: led.screen == ["1号窗口", "就绪"], timeout=20)  # connected to its agent
    await staff_at_w1(hall)
    first, second = await issue(hall), await issue(hall)
    w1 = lambda: hall.state.windows["W1"]  # noqa: E731
    ticket = lambda number: next(t for t in hall.state.tickets.values() if t.number == number)  # noqa: E731

    async with AgentClient(hall.sockets["eval-W1"], subscribe=Subscribe(tickets=True)) as link, \
            AgentClient(hall.sockets["eval-W2"], subscribe=Subscribe(tickets=True)) as other_link:
        await link.wait_online(10)
        board, feed = _evaluator(hall, link, "eval-W1", "W1")
        other, other_feed = _evaluator(hall, other_link, "eval-W2", "W2")

        def press(key: Key) -> None:
            keypad_host.inject(keys.press(key))

        press(Key.CALL_NEXT)
        await eventually(lambda: w1().current == ticket(first).ticket_id)
        await eventually(lambda: led.screen[0] == f"呼叫 {first}")
        press(Key.RECALL)
        await eventually(lambda: ticket(first).recall_count == 1)
        press(Key.START)
        await eventually(lambda: ticket(first).state is TicketState.SERVING)
        press(Key.TRANSFER)  # needs a target: the web terminal's job
        await eventually(lambda: led.screen[0] == "请在电脑上转办")
        press(Key.FINISH)
        await eventually(lambda: ticket(first).state is TicketState.FINISHED)
        await eventually(lambda: led.screen[0] == f"{first} 已办结")

        # the evaluator at window 1 asks for the rating of that ticket; the one at window 2 does not
        await eventually(lambda: board.rating.phase is RatingPhase.CHOOSING)
        assert board.number == first
        assert await board.rate(5, time.monotonic())
        await eventually(lambda: ticket(first).rating == 5)
        assert other.rating.phase is RatingPhase.NEEDS_TICKET

        press(Key.PAUSE)
        await eventually(lambda: w1().paused)
        press(Key.CALL_NEXT)  # refused while paused: the LED says so, nothing is called
        await eventually(lambda: led.screen[0] == "当前不能呼叫下一位")
        assert w1().current is None
        press(Key.RESUME)
        await eventually(lambda: not w1().paused)

        # a call made on the web terminal shows on the keypad's display too
        reply = await submit(hall, STAFF, WindowCommand(request_id=uuid.uuid4().hex, window_id="W1",
                                                        op=WindowOp.CALL_NEXT))
        assert isinstance(reply, WindowReply)
        await eventually(lambda: led.screen[0] == f"呼叫 {second}")

        # an evaluator at another window cannot rate a ticket served here
        other.rating.for_ticket(ticket(first).ticket_id, "W2")
        other.rating.choose_level(1)
        await other.rating.submit()
        assert other.rating.phase is RatingPhase.FAILED
        assert ticket(first).rating == 5
        feed.cancel()
        other_feed.cancel()

    lines = [x.entry for x in await hall.service.store.audit_lines()]
    pad = [e.action for e in lines if e.actor == "device:win-W1"]
    assert pad == ["window.call-next", "window.recall", "window.start", "window.finish", "window.pause",
                   "window.resume"]
    assert [(e.actor, e.action, e.target, e.outcome) for e in lines if e.action == "rating.submit"] == [
        ("device:eval-W1", "rating.submit", ticket(first).ticket_id, "ok"),
        ("device:eval-W2", "rating.submit", ticket(first).ticket_id, "forbidden"),
    ]


def _evaluator(hall: Hall, link: AgentClient, device: str, window: str) -> tuple[EvaluatorBoard, asyncio.Task[None]]:
    """The evaluator pad's own models on its agent's feed, as its App wires them (without the window)."""
    ctx = KioskContext(hall=load_hall_config(hall.config), client=link, device_id=device)
    board = EvaluatorBoard(RatingViewModel(ctx), window)

    async def feed() -> None:
        async for event in link.events():
            board.on_event(event, time.monotonic())

    return board, asyncio.get_running_loop().create_task(feed())


async def test_a_keypad_acts_only_for_the_window_its_device_is_bound_to(
        hall: Hall, pty_device: Callable[[Emulator], PtyHost]) -> None:
    """Window 2's terminal device, configured (wrongly) to drive window 1: the controller refuses it."""
    keys, led = KeypadEmulator(), LedDisplayEmulator()
    keypad_host, led_host = pty(pty_device, keys), pty(pty_device, led)
    caller_keypad(hall, "win-W2", "W1", keypad_host.port, led_host.port)
    await eventually(lambda: led.screen == ["1号窗口", "就绪"], timeout=20)
    await staff_at_w1(hall)
    await issue(hall)
    keypad_host.inject(keys.press(Key.CALL_NEXT))
    await eventually(lambda: led.screen[0] == "无权操作本窗口")
    assert hall.state.windows["W1"].current is None
    refused = [x.entry for x in await hall.service.store.audit_lines() if x.entry.actor == "device:win-W2"]
    assert [(e.action, e.target, e.outcome) for e in refused] == [("window.call-next", "W1", "forbidden")]
