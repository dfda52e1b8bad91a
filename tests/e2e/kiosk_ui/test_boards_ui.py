"""Hall screen, window display and evaluator pad: real UI processes under Xvfb fed by a fake agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from hall_controller.config import HallConfig
from hall_protocol.hall import CallEvent, CallView, HallState, ServiceQueue, TicketEvent, WindowView
from hall_protocol.tickets import SubmitRating, TicketState
from tests.e2e.kiosk_ui.conftest import start_ui
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.remote import RemoteUi, compare_with_reference
from tests.fixtures.xvfb import Display

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

FROZEN = 1_767_225_600.0 + 9.5 * 3600  # a fixed wall clock for the screenshots


def call(number: str, window: str, name: str, ts: float, *, zone: str = "A") -> CallView:
    return CallView(call_id=f"c-{number}", ticket_id=f"T-{number}", number=number, window_id=window,
                    window_name=window, zone=zone, masked_name=name, ts=ts)


def hall_state(hall: HallConfig, seq: int, calls: tuple[CallView, ...]) -> HallState:
    services = tuple(ServiceQueue(code=s.code, name_zh=s.name_zh, name_en=s.name_en, zone=s.zone,
                                  waiting=(n * 3) % 7, est_wait_s=((n * 3) % 7) * 240, open=n != 5)
                     for n, s in enumerate(hall.services[:8]))
    windows = tuple(WindowView(window_id=w.id, name=w.name_zh, zone=w.zone, state="serving") for w in hall.windows)
    return HallState(hall=hall.hall.id, ts=FROZEN, seq=seq, services=services, windows=windows, recent_calls=calls)


@pytest_asyncio.fixture(loop_scope="module")
async def role_ui(xvfb: Display, workdir: Path, agent: FakeAgent, request: pytest.FixtureRequest
                  ) -> AsyncIterator[RemoteUi]:
    args: list[str] = request.param
    sub = workdir / args[0]
    sub.mkdir(exist_ok=True)
    agent.subscribed.clear()
    remote = await start_ui(xvfb, sub, agent, "--role", *args)
    await remote.call("freeze_wall", at=FROZEN)
    await remote.wait("the agent link", lambda s: s["connected"])
    yield remote
    assert await remote.close() == 0
    assert "Traceback" not in remote.log.read_text()


@pytest.mark.parametrize("role_ui", [["hall-screen", "--device-id", "screen-1"]], indirect=True)
async def test_hall_screen_shows_calls_and_queues(role_ui: RemoteUi, agent: FakeAgent, hall: HallConfig,
                                                  tmp_path: Path) -> None:
    ui = role_ui
    now = FROZEN
    agent.retained = [hall_state(hall, 5, (call("A001", "W1", "张*", now - 60), call("B001", "W2", "", now - 30)))]
    await agent.drop_clients()  # the screen reconnects and gets the retained state at once
    state = await ui.wait("the retained hall state", lambda s: s["calls"] == ["B001", "A001"])
    assert sum(state["queues"].values()) > 0
    agent.push(CallEvent(call=call("C001", "W3", "李*", now, zone="C"), expires_at=now + 300))
    agent.push(CallEvent(call=call("C009", "W3", "", now - 400, zone="C"), expires_at=now - 100))  # stale
    agent.push(hall_state(hall, 4, ()))  # an older copy must not win
    state = await ui.wait("the new call on top", lambda s: s["calls"][:1] == ["C001"])
    assert "C009" not in state["calls"]
    assert "hall.call.C001" in state["ids"]
    assert "李*" in state["texts"]
    assert "李四" not in " ".join(state["texts"])
    compare_with_reference(await ui.screenshot(tmp_path / "hall_screen.png"), "hall_screen")
    agent.retained = []


@pytest.mark.parametrize("role_ui", [["window-display", "--window-id", "W1", "--device-id", "win-W1"]],
                         indirect=True)
async def test_window_display_shows_the_number_at_its_window(role_ui: RemoteUi, agent: FakeAgent,
                                                             tmp_path: Path) -> None:
    ui = role_ui
    await ui.wait("subscribed", lambda s: s["connected"])
    now = FROZEN
    agent.push(CallEvent(call=call("B007", "W2", "", now), expires_at=now + 300))  # another window
    agent.push(CallEvent(call=call("A012", "W1", "王*", now), expires_at=now + 300))
    state = await ui.wait("the call", lambda s: s["window_number"] == "A012")
    assert state["window_phase"] == "calling"
    assert "A012" in state["texts"]
    compare_with_reference(await ui.screenshot(tmp_path / "window_display.png"), "window_display")
    agent.push(TicketEvent(ticket_id="T-A012", number="A012", service="SB-CARD", state=TicketState.FINISHED,
                           ts=now + 60, window_id="W1"))
    state = await ui.wait("back to idle", lambda s: s["window_phase"] == "idle")
    assert state["window_number"] is None


@pytest.mark.parametrize("role_ui", [["evaluator", "--window-id", "W1", "--device-id", "eval-W1"]], indirect=True)
async def test_evaluator_asks_after_a_finish_at_its_window(role_ui: RemoteUi, agent: FakeAgent,
                                                           tmp_path: Path) -> None:
    ui = role_ui
    state = await ui.wait("idle", lambda s: "eval.idle" in s["ids"])
    now = FROZEN
    agent.push(TicketEvent(ticket_id="T-B003", number="B003", service="GJJ-DRAW", state=TicketState.FINISHED,
                           ts=now, window_id="W2"))  # another window: ignored
    agent.push(TicketEvent(ticket_id="T-A020", number="A020", service="SB-CARD", state=TicketState.FINISHED,
                           ts=now, window_id="W1"))
    state = await ui.wait("the rating buttons", lambda s: s["rating_phase"] == "choosing")
    assert all(f"rating.level.{n}" in state["ids"] for n in range(1, 6))
    compare_with_reference(await ui.screenshot(tmp_path / "evaluator.png"), "evaluator")
    await ui.tap("rating.level.5")
    state = await ui.wait("thanks", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level, sent.window_id) == ("T-A020", 5, "W1")
    # the hardware evaluator keypad works the same way
    agent.push(TicketEvent(ticket_id="T-A021", number="A021", service="SB-CARD", state=TicketState.FINISHED,
                           ts=now + 1, window_id="W1"))
    await ui.wait("the next rating", lambda s: s["rating_phase"] == "choosing")
    await ui.call("key", key=0x14)  # 不满意
    await ui.wait("thanks", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level) == ("T-A021", 2)
