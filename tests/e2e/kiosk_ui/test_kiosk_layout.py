"""The kiosk at the size it is mounted, 1080×1920 portrait, in Chinese, English and elder mode (长辈版).

A screen passes when its primary action is fully on screen without scrolling, every button is at least its
mode's minimum touch target (48 dp, 72 dp in elder mode) in both directions, and what a citizen must touch
does not move on its own. Screenshots are compared with reviewed references. One UI process serves the
module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from hall_protocol.hall import HallState
from hall_protocol.hall_config import HallConfig
from hall_protocol.urls import ticket_status_url
from tests.e2e.kiosk_ui.conftest import start_ui
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.remote import RemoteUi, compare_with_reference, paper_out_said
from tests.fixtures.xvfb import Display

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ZHANG = ("张三", "210102196503120026")
SUNDAY = 1795917570.0  # 2026-11-29 09:59:30 in Asia/Shanghai, the demo hall's zone: the header's clock is frozen
MIN_TARGET_DP = {False: 48.0, True: 72.0}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ui(xvfb: Display, workdir: Path, agent: FakeAgent) -> AsyncIterator[RemoteUi]:
    remote = await start_ui(xvfb, workdir, agent, "--width", "1080", "--height", "1920")
    state = await remote.wait("the agent link", lambda s: s["connected"] and s["online"])
    assert state["window"] == [1080, 1920]
    await remote.call("freeze_wall", at=SUNDAY)
    yield remote
    assert await remote.close() == 0
    assert "Traceback" not in remote.log.read_text()


@pytest_asyncio.fixture(loop_scope="module")
async def home(ui: RemoteUi) -> AsyncIterator[RemoteUi]:
    await ui.call("remove_card")
    state = await ui.call("home")
    assert state["screen"] == "attract"
    yield ui
    assert (await ui.state())["failed_tasks"] == 0, "a UI task raised"


async def shot(ui: RemoteUi, tmp_path: Path, name: str) -> None:
    path = await ui.screenshot(tmp_path / f"{name}.png")
    compare_with_reference(path, name)


def widgets(layout: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for w in layout["widgets"]:
        out.setdefault(w["id"], w)
    return out


async def check_screen(ui: RemoteUi, where: str, primary: list[str]) -> dict[str, dict[str, Any]]:
    """The primary widgets are fully visible without scrolling; no button is smaller than the minimum."""
    state = await ui.state()
    layout = await ui.call("layout")
    found = widgets(layout)
    least = MIN_TARGET_DP[state["elder"]]
    for ov_id in primary:
        assert ov_id in found, f"{where}: {ov_id} is not on the screen"
        assert found[ov_id]["visible"], f"{where}: {ov_id} is off-screen at {found[ov_id]['box_dp']} (dp)"
    small = [(w["id"], w["box_dp"][2:]) for w in layout["widgets"]
             if w["button"] and (w["box_dp"][2] < least - 0.5 or w["box_dp"][3] < least - 0.5)]
    assert small == [], f"{where}: touch targets under {least:.0f} dp"
    return found


START_BUTTONS = ("attract.start", "attract.browse", "attract.checkin", "attract.rate", "top.elder", "top.lang")
SHORTCUTS = [f"attract.shortcut.{code}" for code in ("SB-CARD", "GJJ-DRAW", "PRINT", "PROGRESS")]  # catalog.toml


async def test_start_screen_in_chinese_elder_mode_and_english(home: RemoteUi, tmp_path: Path) -> None:
    """Everything to touch is on screen, no hidden bar is in the touch path, no empty band; and nothing to
    touch moves while the slides rotate (each slide is looked at)."""
    ui = home
    for name, elder, taps in (("attract_1080", False, ()), ("attract_1080_elder", True, ()),
                              ("attract_1080_en", False, ("top.lang",))):
        await ui.call("home")
        await ui.call("elder", on=elder)
        for ov_id in taps:
            await ui.tap(ov_id)
        assert await ui.call("first_slide") == 0
        found = await check_screen(ui, name, [*START_BUTTONS, "attract.prompt"])
        assert "nav.home" not in found, "the start screen has no navigation bar in its widget tree"
        # 常办事项 under the slide, one touch each, in the room the Chinese slide leaves (elder mode's big buttons
        # and the English text fill the screen)
        shortcuts = [k for k in found if k.startswith("attract.shortcut.")]
        assert sorted(shortcuts) == ([] if elder or taps else sorted(SHORTCUTS)), name
        assert all(found[k]["visible"] for k in shortcuts), f"{name}: a shortcut is below the fold"
        lowest = min(found[k]["box_dp"][1] for k in ["attract.slide", *shortcuts])
        start = found["attract.start"]["box_dp"]
        assert lowest - (start[1] + start[3]) < 200, f"{name}: an empty band between the slides and the buttons"
        await shot(ui, tmp_path, name)
        first = {k: found[k]["box_dp"] for k in START_BUTTONS}
        for _slide in range(3):
            await ui.call("advance", seconds=8)
            found = widgets(await ui.call("layout"))
            now = {k: found[k]["box_dp"] for k in START_BUTTONS}
            assert now == first, f"{name}: buttons moved as the slides rotated"


def overlapping(a: list[float], b: list[float]) -> bool:
    across = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    up = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return across > 0.5 and up > 0.5


HEADER = ("top.emblem", "top.clock", "top.date")
TOP_BUTTONS = ("top.elder", "top.lang", "top.speak", "top.softer", "top.louder")


async def test_the_header_shows_the_emblem_and_the_time_without_crowding_its_buttons(home: RemoteUi) -> None:
    """In every mode the emblem, the time and the date are whole on screen, overlap no header button, and the
    buttons keep their touch size; the time follows the app's clock, a minute at a time."""
    ui = home
    for where, elder, taps in (("standard", False, ()), ("elder", True, ()), ("English", False, ("top.lang",)),
                               ("elder English", True, ("top.lang",))):
        await ui.call("home")
        await ui.call("elder", on=elder)
        for ov_id in taps:
            await ui.tap(ov_id)
        found = await check_screen(ui, where, [*HEADER, *TOP_BUTTONS])
        for mark in HEADER:
            for b in TOP_BUTTONS:
                assert not overlapping(found[mark]["box_dp"], found[b]["box_dp"]), f"{where}: {mark} overlaps {b}"
        texts = (await ui.state())["texts"]
        assert any(text.startswith("Sun 29 Nov" if taps else "11月29日 星期日") for text in texts), where
    await ui.call("home")
    before = (await ui.state())["texts"]
    clock = next(text for text in before if len(text) == 5 and text[2] == ":")
    await ui.call("advance", seconds=60)
    after = (await ui.state())["texts"]
    assert clock not in after, "the header's time moves on with the app's clock"
    assert any(len(text) == 5 and text[2] == ":" for text in after)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
async def test_the_group_tiles_carry_their_icons_at_full_touch_size(home: RemoteUi, tmp_path: Path,
                                                                    elder: bool) -> None:
    """Each life-event tile has its icon (above its name; left of it in elder mode's single column) and is
    still at least the mode's touch target; the first page's tiles are all on screen."""
    ui = home
    await ui.call("elder", on=elder)
    state = await ui.tap("attract.browse")
    groups = [i for i in state["ids"] if i.startswith("finder.group.")]
    assert "finder.group.birth" in groups
    found = await check_screen(ui, "finder", groups if not elder else groups[:3])
    if not elder:
        tile = found["finder.group.birth"]["box_dp"]
        assert tile[3] >= 80, "the icon sits above the name: the tile is taller than a line of text"
    await shot(ui, tmp_path, "finder_1080_elder" if elder else "finder_1080")


def plain(texts: list[str]) -> list[str]:
    return [text.replace("\u00a0", " ") for text in texts]  # Chinese text keeps its spaces unbroken


async def test_the_start_screen_tells_the_halls_hours_and_says_at_once_when_offline(
        home: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    """The room under the slide tells the hall's hours; the hall's state arriving moves no button. Offline,
    the start screen says so before any touch."""
    ui = home
    assert await ui.call("first_slide") == 0
    found = await check_screen(ui, "start", [*START_BUTTONS, "attract.today"])
    buttons = {k: found[k]["box_dp"] for k in START_BUTTONS}
    assert any("办理时间 00:00–23:59" in text for text in plain((await ui.state())["texts"]))
    agent.push(HallState(hall="demo", ts=SUNDAY, seq=1))
    await ui.wait("the hall state", lambda s: s["online"])
    found = await check_screen(ui, "start with the hall's state", [*START_BUTTONS, "attract.today"])
    assert {k: found[k]["box_dp"] for k in START_BUTTONS} == buttons, "the hall's state moved a button"
    agent.set_online(False)
    try:
        for elder in (False, True):
            await ui.call("elder", on=elder)
            state = await ui.wait("offline", lambda s: not s["online"] and "attract.offline" in s["ids"])
            assert "网络中断：可先取临时号票" in state["texts"]
            assert "fault.overlay" not in state["ids"]
            assert await ui.call("first_slide") == 0
            await check_screen(ui, "offline start", [*START_BUTTONS, "attract.offline"])
            await shot(ui, tmp_path, "attract_1080_offline_elder" if elder else "attract_1080_offline")
    finally:
        agent.set_online(True)
    await ui.wait("online", lambda s: s["online"] and s["fault"] is None)


async def test_every_button_of_the_elder_start_screen_responds(home: RemoteUi) -> None:
    """Each visible button is tapped at its centre through Kivy's touch path: the tap must reach that button
    (nothing hidden over it) and do what it says."""
    ui = home
    await ui.call("elder", on=True)
    layout = await ui.call("layout")
    buttons = {w["id"] for w in layout["widgets"] if w["button"] and w["visible"]}
    stay = ["top.speak", "top.softer", "top.louder", "top.elder"]  # these leave the start screen up
    leave = ["top.lang", "attract.start", "attract.browse", "attract.checkin", "attract.rate"]
    assert buttons == set(stay + leave)
    volume = await ui.call("volume")
    state = await ui.tap("top.speak")
    assert "请刷身份证" in (await ui.call("last_speech") or "")
    await ui.tap("top.softer")
    assert await ui.call("volume") == volume - 10
    await ui.tap("top.louder")
    assert await ui.call("volume") == volume
    state = await ui.tap("top.elder")
    assert not state["elder"]
    expect = {
        "top.lang": lambda s: s["lang"] == "en",
        "attract.start": lambda s: s["screen"] == "identify",
        "attract.browse": lambda s: s["screen"] == "finder",
        "attract.checkin": lambda s: s["screen"] == "ticket" and "ticket.checkin.qr" in s["ids"],
        "attract.rate": lambda s: s["screen"] == "rating",
    }
    for ov_id in leave:
        await ui.call("home")
        await ui.call("elder", on=True)
        state = await ui.tap(ov_id)
        assert expect[ov_id](state), f"{ov_id} did not respond: {state['screen']}"


async def test_each_shortcut_of_the_start_screen_leads_straight_to_its_service(home: RemoteUi) -> None:
    """常办事项, tapped through Kivy's touch path: a service with a guide opens it, one done at the kiosk opens its
    screen, any other gives its ticket at once (as at a ticket dispenser)."""
    ui = home
    expect = {
        "attract.shortcut.GJJ-DRAW": lambda s: s["screen"] == "guide",
        "attract.shortcut.PRINT": lambda s: s["screen"] == "selfprint",
        "attract.shortcut.PROGRESS": lambda s: s["screen"] == "progress",
        "attract.shortcut.SB-CARD": lambda s: s["screen"] == "ticket" and s["ticket_phase"] == "issued",
    }
    assert sorted(expect) == sorted(SHORTCUTS)
    for ov_id, arrived in expect.items():
        await ui.call("home")
        await ui.tap(ov_id)
        await ui.wait(f"{ov_id} to lead to its service", arrived)
    await ui.call("home")


@pytest.mark.parametrize("mode", ["", "_elder", "_en"], ids=["standard", "elder", "english"])
async def test_each_screens_primary_action_is_on_screen(home: RemoteUi, agent: FakeAgent, hall: HallConfig,
                                                       tmp_path: Path, mode: str) -> None:
    """The journey of a citizen through the main screens, in Chinese, elder mode and English; on each, its
    primary action (and what it acts on) is visible without scrolling and every button is at least the mode's
    touch target."""
    ui = home
    elder = mode == "_elder"

    async def start_over() -> None:  # a new session: Chinese, standard mode, unless this journey is another
        await ui.call("home")
        await ui.call("elder", on=elder)
        if mode == "_en":
            await ui.tap("top.lang")

    await start_over()
    await ui.tap("attract.start")
    await ui.tap("identify.method.manual")
    state = await ui.state()
    if elder:  # the keys fill the screen: no clipped strip of the ways to identify above them
        assert "identify.title" not in state["ids"]
    await check_screen(ui, "keypad, nothing typed", ["identify.keypad.count", "keypad.submit"])  # what to type
    await ui.tap("keypad.2")  # one key by touch, the rest through the view-model (the 540 wide tests type)
    await ui.call("type_id", digits=ZHANG[1][1:])
    await check_screen(ui, "keypad", ["keypad.submit", "identify.keypad.display", "keypad.1", "keypad.0",
                                      "identify.keypad.count"])
    await shot(ui, tmp_path, f"keypad_1080{mode}")
    await ui.tap("keypad.submit")
    await ui.tap("finder.tab.search")
    for letter in "SBK":
        await ui.tap(f"letter.{letter}")
    await check_screen(ui, "search", ["finder.item.SB-CARD", "finder.query", "letter.A", "letter.delete"])
    await shot(ui, tmp_path, f"search_1080{mode}")
    await ui.tap("finder.item.SB-CARD")
    await ui.wait("a ticket", lambda s: s["ticket_phase"] == "issued")
    await check_screen(ui, "ticket", ["ticket.done", "ticket.qr", "ticket.status", "ticket.number"])
    await shot(ui, tmp_path, f"ticket_1080{mode}")

    await start_over()
    await ui.tap("attract.browse")
    await ui.tap("finder.group.retire")
    await ui.tap("finder.item.PKG-RETIRE")
    for answer in ("normal", "self", "no", "yes"):
        if f"guide.option.{answer}" not in (await ui.state())["ids"]:
            await ui.tap("pager.next")
        await ui.tap(f"guide.option.{answer}")
    await check_screen(ui, "checklist", ["guide.action.ticket", "guide.action.print", "guide.action.qr"])
    await shot(ui, tmp_path, f"checklist_1080{mode}")

    await start_over()
    await ui.tap("attract.rate")
    await ui.call("qr", text=ticket_status_url(hall.hall.status_base_url, hall.hall.id, "T-A001", "tok"))
    await ui.tap("rating.level.2")
    await check_screen(ui, "rating", ["rating.submit", "rating.level.5", "rating.level.1"])
    await ui.tap("rating.reason.slow")
    await shot(ui, tmp_path, f"rating_1080{mode}")
    await ui.tap("rating.submit")
    await ui.wait("the rating sent", lambda s: s["rating_phase"] == "done")
    await check_screen(ui, "thanks", ["rating.title", "rating.message", "rating.done"])
    await shot(ui, tmp_path, f"rating_done_1080{mode}")


async def test_the_check_fails_on_an_action_off_screen(home: RemoteUi) -> None:
    """The layout check itself: asked for a widget the screen scrolled away, it fails."""
    ui = home
    await ui.tap("attract.browse")
    await ui.tap("finder.group.retire")
    found = widgets(await ui.call("layout"))
    hidden = [k for k, w in found.items() if k.startswith("finder.item.") and not w["visible"]]
    if hidden:
        with pytest.raises(AssertionError, match="off-screen"):
            await check_screen(ui, "finder", [hidden[0]])
    with pytest.raises(AssertionError, match="not on the screen"):
        await check_screen(ui, "finder", ["ticket.done"])


async def test_elder_mode_reaches_the_pop_ups(home: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    """The idle warning, a fault notice and the QR pop-up in elder mode: elder text and 72 dp buttons."""
    ui = home
    await ui.call("elder", on=True)
    await ui.tap("attract.browse")
    state = await ui.call("advance", seconds=95)
    assert state["idle_phase"] == "warning"
    found = await check_screen(ui, "idle warning", ["idle.continue", "idle.message"])
    assert found["idle.continue"]["box_dp"][3] >= 72
    sizes = await ui.call("buttons")
    assert sizes["min_label_sp"] >= 1.5 * 17.6 - 0.1  # the smallest elder text: 1.5 x the standard small
    await shot(ui, tmp_path, "idle_warning_1080_elder")
    await ui.tap("idle.continue")

    agent.set_online(False)
    try:
        state = await ui.wait("the offline notice", lambda s: s["fault"] == "hall-offline")
        found = await check_screen(ui, "fault notice", ["fault.ok", "fault.title", "fault.next"])
        assert found["fault.ok"]["box_dp"][3] >= 72
        await shot(ui, tmp_path, "fault_1080_elder")
        await ui.tap("fault.ok")
    finally:
        agent.set_online(True)
    await ui.wait("online", lambda s: s["online"] and s["fault"] is None)
    await ui.tap("finder.group.retire")
    await ui.tap("finder.item.PKG-RETIRE")
    for answer in ("normal", "self", "no", "yes"):
        if f"guide.option.{answer}" not in (await ui.state())["ids"]:
            await ui.tap("pager.next")
        await ui.tap(f"guide.option.{answer}")
    await ui.tap("guide.action.qr")
    found = await check_screen(ui, "QR pop-up", ["qr.close", "qr.image"])
    assert found["qr.close"]["box_dp"][3] >= 72
    await shot(ui, tmp_path, "qr_1080_elder")
    await ui.tap("qr.close")


async def test_finishing_is_offered_after_identifying_and_in_the_idle_warning(home: RemoteUi, tmp_path: Path) -> None:
    ui = home
    await ui.tap("attract.start")
    state = await ui.tap("identify.method.manual")
    assert "首页" in state["texts"]
    assert "结束办理" not in state["texts"]
    await ui.call("type_id", digits=ZHANG[1])
    state = await ui.tap("keypad.submit")
    assert state["identified"]
    assert "结束办理" in state["texts"], "once identified, the home button says it ends the session"
    state = await ui.call("advance", seconds=95)
    assert state["idle_phase"] == "warning"
    await check_screen(ui, "idle warning", ["idle.end", "idle.continue"])
    await shot(ui, tmp_path, "idle_warning_1080")
    state = await ui.tap("idle.end")
    assert state["screen"] == "attract"
    assert state["session_empty"]
    assert state["wipes"][-1]["had_identity"]


async def test_after_paper_out_no_reprint_is_offered(home: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    ui = home
    await ui.call("paper_out", on=True)
    try:
        await ui.tap("attract.browse")
        await paper_out_said(ui)
        await ui.tap("finder.group.cards")
        await ui.tap("finder.item.SB-CARD")
        await ui.wait("the paper-out notice", lambda s: s["fault"] == "printer-paper-out")
        state = await ui.tap("fault.ok")
        assert state["ticket_phase"] == "issued"
        assert "ticket.reprint" not in state["ids"]
        await check_screen(ui, "ticket without paper", ["ticket.no_paper", "ticket.number", "ticket.qr",
                                                        "ticket.done"])
        await shot(ui, tmp_path, "ticket_paper_out_1080")
    finally:
        await ui.call("paper_out", on=False)


async def test_checking_in_by_code_shows_where_the_scanner_is(home: RemoteUi, tmp_path: Path) -> None:
    ui = home
    await ui.tap("attract.checkin")
    state = await ui.tap("ticket.checkin.qr")
    assert state["scanning"]
    assert "ticket.checkin.picture" in state["ids"]
    assert any("屏幕下方右侧" in text for text in state["texts"]), "the demo kiosk model's scanner position"
    await check_screen(ui, "check-in by code", ["ticket.checkin.where", "ticket.checkin.picture"])
    await shot(ui, tmp_path, "checkin_qr_1080")


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
async def test_choosing_the_id_card_shows_where_the_reader_is(home: RemoteUi, tmp_path: Path, elder: bool) -> None:
    ui = home
    await ui.call("elder", on=elder)
    await ui.tap("attract.start")
    state = await ui.tap("identify.method.id-card")
    assert "identify.picture" in state["ids"]
    assert any("屏幕下方左侧" in text for text in state["texts"]), "the demo kiosk model's card reader position"
    await check_screen(ui, "ID card", ["identify.prompt", "identify.where", "identify.picture"])
    await shot(ui, tmp_path, "identify_card_1080_elder" if elder else "identify_card_1080")
    state = await ui.tap("identify.method.manual")
    assert "identify.picture" not in state["ids"], "typing the number needs no reader"
