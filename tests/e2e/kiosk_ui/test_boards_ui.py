"""Hall screen, window display and evaluator pad: real UI processes under Xvfb fed by a fake agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image, ImageChops

from hall_protocol.hall import (
    CallEvent,
    CallView,
    DisplayState,
    HallState,
    Notice,
    ServiceQueue,
    TicketEvent,
    WindowView,
)
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import SubmitRating, TicketState
from tests.e2e.kiosk_ui.conftest import start_ui
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.layout_check import assert_layout
from tests.e2e.kiosk_ui.remote import RemoteUi, compare_with_reference
from tests.fixtures.xvfb import Display

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

FROZEN = 1_767_225_600.0 + 9.5 * 3600  # a fixed wall clock for the screenshots


def call(number: str, window: str, name: str, ts: float, *, zone: str = "A") -> CallView:
    return CallView(call_id=f"c-{number}", ticket_id=f"T-{number}", number=number, window_id=window,
                    window_name=window, zone=zone, masked_name=name, ts=ts)


NOTICES = (Notice(text_zh="今日 16:00 起不动产登记暂停受理，请改日办理",
                  text_en="Real estate registration closes at 16:00 today"),
           Notice(text_zh="2号窗口临时调整至3号窗口办理", zone="B"))


def hall_state(hall: HallConfig, seq: int, calls: tuple[CallView, ...], notices: tuple[Notice, ...] = ()
               ) -> HallState:
    services = tuple(ServiceQueue(code=s.code, name_zh=s.name_zh, name_en=s.name_en, zone=s.zone,
                                  waiting=(n * 3) % 7, est_wait_s=((n * 3) % 7) * 240, open=n != 5)
                     for n, s in enumerate(hall.services[:8]))
    windows = tuple(WindowView(window_id=w.id, name=w.name_zh, zone=w.zone, state="serving") for w in hall.windows)
    return HallState(hall=hall.hall.id, ts=FROZEN, seq=seq, services=services, windows=windows, recent_calls=calls,
                     notices=notices)


@pytest_asyncio.fixture(loop_scope="module")
async def role_ui(xvfb: Display, workdir: Path, agent: FakeAgent, request: pytest.FixtureRequest
                  ) -> AsyncIterator[RemoteUi]:
    """One UI process for one role at one resolution (``--width``/``--height`` in its arguments); a test takes
    several screenshots from it."""
    args: list[str] = request.param
    sub = workdir / "-".join(a.lstrip("-") for a in args[:1] + args[-3:])
    sub.mkdir(exist_ok=True)
    agent.subscribed.clear()
    remote = await start_ui(xvfb, sub, agent, "--role", *args)
    await remote.call("freeze_wall", at=FROZEN)
    await remote.wait("the agent link", lambda s: s["connected"])
    yield remote
    assert await remote.close() == 0
    assert "Traceback" not in remote.log.read_text()


def glyph_height_px(shot: Path, box: list[float]) -> int:
    """How tall the accent red of a called number is inside ``box`` (window coordinates, origin bottom left):
    the height of its digits as the hall sees them, in pixels."""
    image = Image.open(shot).convert("RGB")
    top, bottom = max(0, int(image.height - box[3])), min(image.height, int(image.height - box[1]))
    r, g, b = image.crop((int(box[0]), top, int(box[2]), bottom)).split()
    red = ImageChops.multiply(r.point(lambda v: 255 if v > 150 else 0),
                              ImageChops.multiply(g.point(lambda v: 255 if v < 90 else 0),
                                                  b.point(lambda v: 255 if v < 90 else 0)))
    found = red.getbbox()
    return found[3] - found[1] if found else 0


def box_of(geo: dict[str, Any], ov_id: str) -> list[float]:
    return next(w["box"] for w in geo["widgets"] if w["id"] == ov_id)


HALL_1080P = ["hall-screen", "--device-id", "screen-1", "--width", "1920", "--height", "1080"]
HALL_PORTRAIT = ["hall-screen", "--device-id", "screen-2", "--width", "1080", "--height", "1920"]
WINDOW_1080P = ["window-display", "--window-id", "W1", "--device-id", "win-W1", "--width", "1920", "--height", "1080"]
HALL_PRIMARY = ("hall.call.*", "hall.window.*", "hall.queue.*")


@pytest.mark.parametrize("role_ui", [HALL_1080P], indirect=True)
async def test_hall_screen_on_a_1080p_tv(role_ui: RemoteUi, agent: FakeAgent, hall: HallConfig,
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
    agent.push(CallEvent(call=CallView(call_id="c-A001", ticket_id="T-A001", number="A001", window_id="W1",
                                       window_name="W1", zone="A", masked_name="张*", recall_count=1, ts=now + 1),
                         expires_at=now + 300))  # a recall comes back to the top, marked
    await ui.wait("the recall on top", lambda s: s["calls"][:1] == ["A001"])
    shot = await ui.screenshot(tmp_path / "hall_screen_1080p.png")
    geo = await ui.call("geometry")
    assert_layout(geo, primary=HALL_PRIMARY, min_target_dp=48, apart=("hall.call.*", "hall.window.*"))
    for number in ("A001", "C001", "B001"):
        assert glyph_height_px(shot, box_of(geo, f"hall.call.{number}")) >= 120, f"{number} too small to read"
    compare_with_reference(shot, "hall_screen_1080p")
    agent.retained = []
    await offline_and_notices(ui, agent, hall, tmp_path)


def banner_shown(state: dict[str, Any]) -> bool:
    return any("系统离线" in text for text in state["texts"])


async def offline_and_notices(ui: RemoteUi, agent: FakeAgent, hall: HallConfig, shot_dir: Path) -> None:
    """The manager's notices on a strip; the hall lost, or silent for 30 s: a banner, the old calls greyed."""
    calls = (call("A001", "W1", "张*", FROZEN - 60), call("C001", "W3", "李*", FROZEN - 30))
    agent.push(hall_state(hall, 6, calls, NOTICES))
    state = await ui.wait("the notice", lambda s: any("2号窗口临时调整" in text for text in s["texts"]))
    assert not banner_shown(state)
    shot = await ui.screenshot(shot_dir / "hall_screen_1080p_notice.png")
    assert_layout(await ui.call("geometry"), primary=(*HALL_PRIMARY, "hall.notice"), min_target_dp=48,
                  apart=("hall.call.*", "hall.window.*", "hall.notice"))
    compare_with_reference(shot, "hall_screen_1080p_notice")
    agent.set_online(False)  # the agent lost the hall
    await ui.wait("the offline banner", banner_shown)
    shot = await ui.screenshot(shot_dir / "hall_screen_1080p_offline.png")
    assert_layout(await ui.call("geometry"), primary=(*HALL_PRIMARY, "hall.status"), min_target_dp=48,
                  apart=("hall.status", "hall.call.*", "hall.window.*", "hall.notice"))
    compare_with_reference(shot, "hall_screen_1080p_offline")
    agent.set_online(True)
    await ui.wait("back online", lambda s: not banner_shown(s))
    state = await ui.call("advance", seconds=31)  # the link is up but the hall has said nothing since
    assert banner_shown(state)
    agent.push(hall_state(hall, 7, calls, NOTICES))
    await ui.wait("fresh again", lambda s: not banner_shown(s))


@pytest.mark.parametrize("role_ui", [HALL_PORTRAIT], indirect=True)
async def test_hall_screen_on_a_portrait_screen(role_ui: RemoteUi, agent: FakeAgent, hall: HallConfig,
                                                tmp_path: Path) -> None:
    ui = role_ui
    calls = tuple(call(f"A{n:03d}", "W1" if n % 2 else "W3", "王*" if n % 3 else "", FROZEN - 60 * n)
                  for n in range(1, 8))
    agent.push(hall_state(hall, 7, calls))
    state = await ui.wait("the calls", lambda s: len(s["calls"]) == 7)
    shot = await ui.screenshot(tmp_path / "hall_screen_portrait.png")
    geo = await ui.call("geometry")
    assert_layout(geo, primary=HALL_PRIMARY, min_target_dp=48, apart=("hall.call.*", "hall.window.*"))
    shown = {i for i in state["ids"] if i.startswith("hall.call.")}
    assert 4 <= len(shown) < 7
    assert shown == {f"hall.call.A{n:03d}" for n in range(1, len(shown) + 1)}, "as many calls as fit, newest first"
    compare_with_reference(shot, "hall_screen_portrait")


async def test_a_hall_screen_asked_to_speak_says_each_new_call_once(xvfb: Display, workdir: Path,
                                                                   agent: FakeAgent, hall: HallConfig) -> None:
    """[announce] on (off by default): a chime, then the number and window in Chinese and English, for each new
    call and recall, once; the calls a screen finds when it starts are shown, not said."""
    sub = workdir / "announcing-screen"
    sub.mkdir(exist_ok=True)
    agent.subscribed.clear()
    ui = await start_ui(xvfb, sub, agent, "--role", *HALL_1080P,
                        config='\n[announce]\nchime = true\nspeak = true\nlanguages = ["zh", "en"]\n')
    try:
        await ui.call("freeze_wall", at=FROZEN)
        await ui.wait("the agent link", lambda s: s["connected"])
        now = FROZEN
        agent.push(hall_state(hall, 1, (call("A001", "W1", "张*", now - 600),)))  # retained, long ago
        await ui.wait("the retained call", lambda s: s["calls"] == ["A001"])
        agent.push(CallEvent(call=call("A012", "W1", "王*", now), expires_at=now + 300))
        first = "请A012号到1号窗口办理 / Number A012, please go to Window 1."
        state = await ui.wait("the call said", lambda s: s["announced"] == [first], timeout=30)
        assert "chime.wav" in state["sound_files"]
        assert any(name.startswith("say-") for name in state["sound_files"])  # espeak-ng rendered it
        assert "王" not in " ".join(state["announced"])  # a name is shown masked, never said
        agent.push(CallEvent(call=call("A012", "W1", "王*", now), expires_at=now + 300))  # the same call again
        agent.push(CallEvent(call=CallView(call_id="c-A012", ticket_id="T-A012", number="A012", window_id="W1",
                                           window_name="W1", zone="A", recall_count=1, ts=now + 5),
                             expires_at=now + 300))
        state = await ui.wait("the recall said", lambda s: len(s["announced"]) == 2, timeout=30)
        assert state["announced"][1] == ("再次呼叫：请A012号到1号窗口办理 / "
                                         "Calling again: number A012, please go to Window 1.")
    finally:
        assert await ui.close() == 0
    assert "Traceback" not in ui.log.read_text()


@pytest.mark.parametrize("role_ui", [WINDOW_1080P], indirect=True)
async def test_window_display_on_a_1080p_tv(role_ui: RemoteUi, agent: FakeAgent, hall: HallConfig,
                                            tmp_path: Path) -> None:
    ui = role_ui
    now = FROZEN
    agent.push(CallEvent(call=call("B007", "W2", "", now), expires_at=now + 300))  # another window
    agent.push(CallEvent(call=call("A012", "W1", "王*", now), expires_at=now + 300))
    state = await ui.wait("the call", lambda s: s["window_number"] == "A012")
    assert state["window_phase"] == "calling"
    assert "A012" in state["texts"]
    assert "王*" in state["texts"]
    shot = await ui.screenshot(tmp_path / "window_display_1080p.png")
    geo = await ui.call("geometry")
    assert_layout(geo, primary=("window.number", "window.name", "window.citizen"), min_target_dp=48,
                  apart=("window.number", "window.name", "window.citizen", "window.message"))
    assert glyph_height_px(shot, box_of(geo, "window.number")) >= 250
    compare_with_reference(shot, "window_display_1080p")
    # the hall's notices along the bottom; silence from the hall for 30 s: a banner, the number greyed
    agent.push(DisplayState(zone="A", ts=now, seq=9, notices=NOTICES))  # what its broker account reads
    await ui.wait("the notice", lambda s: any("不动产登记暂停受理" in text for text in s["texts"]))
    state = await ui.call("advance", seconds=31)
    assert banner_shown(state)
    shot = await ui.screenshot(tmp_path / "window_display_1080p_offline.png")
    assert_layout(await ui.call("geometry"), primary=("window.number", "window.name", "window.status"),
                  min_target_dp=48, apart=("window.status", "window.number", "window.name", "window.footer"))
    compare_with_reference(shot, "window_display_1080p_offline")
    agent.push(TicketEvent(ticket_id="T-A012", number="A012", service="SB-CARD", state=TicketState.FINISHED,
                           ts=now + 60, window_id="W1"))
    state = await ui.wait("back to idle", lambda s: s["window_phase"] == "idle" and not banner_shown(s))
    assert state["window_number"] is None
    assert "王*" not in state["texts"], "the name goes with its number"


EVAL_LANDSCAPE = ["evaluator", "--window-id", "W1", "--device-id", "eval-W1", "--width", "1280", "--height", "800"]
EVAL_PORTRAIT = ["evaluator", "--window-id", "W1", "--device-id", "eval-W1", "--width", "800", "--height", "1280"]
# nothing on the pad may overlap anything else: the header's switches, the texts, the choices, the buttons
EVAL_APART = ("eval.hall", "top.*", "eval.context", "eval.prompt", "rating.level.*", "eval.reason.*", "eval.submit",
              "eval.skip")


def finished(number: str, *, window: str = "W1", ts: float = FROZEN) -> TicketEvent:
    return TicketEvent(ticket_id=f"T-{number}", number=number, service="SB-CARD", state=TicketState.FINISHED, ts=ts,
                       window_id=window)


async def check_pad(ui: RemoteUi, shot_dir: Path, name: str, *, primary: tuple[str, ...], target_dp: float = 48
                    ) -> None:
    """A screenshot of the pad, compared with its reference, and its layout checked."""
    shot = await ui.screenshot(shot_dir / f"{name}.png")
    assert_layout(await ui.call("geometry"), primary=primary, min_target_dp=target_dp, apart=EVAL_APART)
    compare_with_reference(shot, name)


async def rate_on_the_pad(ui: RemoteUi, agent: FakeAgent, shot_dir: Path, size: str) -> None:
    """Idle, five equal choices, one chosen, a poor one with its reasons; what is sent."""
    await ui.wait("idle", lambda s: "eval.idle" in s["ids"])
    agent.push(finished("B003", window="W2"))  # another window: ignored
    agent.push(finished("A020"))
    state = await ui.wait("the choices", lambda s: s["rating_phase"] == "choosing")
    texts = [text.replace("\u00a0", " ") for text in state["texts"]]
    assert "评价：1号窗口 · 社会保障卡申领" in texts, "which window and service is rated"
    choices = ("rating.level.*", "eval.submit")
    await check_pad(ui, shot_dir, f"evaluator_{size}", primary=choices)
    await ui.tap("rating.level.4")
    state = await ui.wait("满意 chosen", lambda s: "eval.skip" not in s["ids"])
    assert state["rating_phase"] == "choosing", "a tap chooses; it does not send"
    await check_pad(ui, shot_dir, f"evaluator_{size}_chosen", primary=choices)
    await ui.tap("rating.level.2")
    await ui.wait("the reasons", lambda s: "eval.reason.slow" in s["ids"])
    await ui.tap("eval.reason.slow")
    await ui.tap("eval.reason.attitude")
    await ui.tap("eval.reason.attitude")  # a second tap takes a reason back
    await check_pad(ui, shot_dir, f"evaluator_{size}_reasons", primary=(*choices, "eval.reason.*", "eval.skip"))


@pytest.mark.parametrize("role_ui", [EVAL_LANDSCAPE], indirect=True)
async def test_evaluator_on_a_landscape_pad(role_ui: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    ui = role_ui
    await rate_on_the_pad(ui, agent, tmp_path, "1280x800")
    # elder mode in English, reasons asked: everything still on screen, every target 72 dp
    await ui.tap("top.elder")
    await ui.tap("top.lang")
    await check_pad(ui, tmp_path, "evaluator_1280x800_elder_en", target_dp=72,
                    primary=("rating.level.*", "eval.reason.*", "eval.submit", "eval.skip"))
    await ui.tap("top.elder")
    await ui.tap("top.lang")
    await ui.tap("eval.submit")
    await ui.wait("thanks", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level, sent.window_id, sent.reasons) == ("T-A020", 2, "W1", ("slow",))
    # a poor rating whose reasons are skipped goes without them
    agent.push(finished("A021", ts=FROZEN + 1))
    await ui.wait("the next rating", lambda s: s["rating_phase"] == "choosing")
    await ui.tap("rating.level.1")
    await ui.tap("eval.reason.unclear")
    await ui.tap("eval.skip")
    await ui.wait("thanks", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level, sent.reasons) == ("T-A021", 1, ())
    # the hardware evaluator keypad rates at once
    agent.push(finished("A022", ts=FROZEN + 2))
    await ui.wait("the next rating", lambda s: s["rating_phase"] == "choosing")
    await ui.call("key", key=0x14)  # 不满意
    await ui.wait("thanks", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level) == ("T-A022", 2)


@pytest.mark.parametrize("role_ui", [EVAL_PORTRAIT], indirect=True)
async def test_evaluator_on_a_portrait_pad(role_ui: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    ui = role_ui
    await rate_on_the_pad(ui, agent, tmp_path, "800x1280")
    # elder mode, reasons asked: the five faces stay on screen, every target 72 dp
    await ui.tap("top.elder")
    await check_pad(ui, tmp_path, "evaluator_800x1280_elder_reasons", target_dp=72,
                    primary=("rating.level.*", "eval.reason.*", "eval.submit", "eval.skip"))
    await ui.tap("top.elder")
    await ui.tap("eval.submit")
    await ui.wait("thanks", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level, sent.reasons) == ("T-A020", 2, ("slow",))
