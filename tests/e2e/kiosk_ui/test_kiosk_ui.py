"""The self-service kiosk, run for real under Xvfb and driven by touches through every journey.

One UI process serves the whole module (it starts in about a second); each test starts from the attract
screen. Screenshots of the main screens are compared with committed, downscaled references.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from hall_protocol.appointments import appointment_code
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import CheckIn, IssueTicket, SubmitRating
from hall_protocol.urls import ticket_status_url
from tests.e2e.kiosk_ui.conftest import start_ui
from tests.e2e.kiosk_ui.fake_agent import FakeAgent
from tests.e2e.kiosk_ui.remote import RemoteUi, compare_with_reference, paper_out_said
from tests.fixtures.xvfb import Display

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

ZHANG = ("张三", "210102196503120026")  # a fictional person the simulated document service knows
SUNDAY = 1795917570.0  # 2026-11-29 09:59:30 in Asia/Shanghai, the demo hall's zone: the header's clock is frozen


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ui(xvfb: Display, workdir: Path, agent: FakeAgent) -> AsyncIterator[RemoteUi]:
    remote = await start_ui(xvfb, workdir, agent)
    await remote.wait("the agent link", lambda s: s["connected"] and s["online"])
    await remote.call("freeze_wall", at=SUNDAY)
    yield remote
    assert await remote.close() == 0, "the kiosk must exit cleanly on SIGTERM"
    log = remote.log.read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest_asyncio.fixture(loop_scope="module")
async def home(ui: RemoteUi, agent: FakeAgent) -> AsyncIterator[RemoteUi]:
    await ui.call("remove_card")
    state = await ui.call("home")
    assert state["screen"] == "attract"
    yield ui
    state = await ui.state()
    assert state["failed_tasks"] == 0, "a UI task raised"


async def shot(ui: RemoteUi, tmp_path: Path, name: str) -> None:
    if name.startswith("attract"):
        assert await ui.call("first_slide") == 0
    path = await ui.screenshot(tmp_path / f"{name}.png")
    compare_with_reference(path, name)


async def identify_by_card(ui: RemoteUi) -> dict[str, Any]:
    await ui.call("place_card", name=ZHANG[0], id_number=ZHANG[1])
    return await ui.wait("the card to be read", lambda s: s["identified"])


async def test_attract_screen_in_chinese_and_english(home: RemoteUi, tmp_path: Path) -> None:
    ui = home
    state = await ui.state()
    assert "请刷身份证、社保卡或扫码开始" in state["texts"]
    assert "长辈版" in state["texts"]
    assert "朗读" in state["texts"]
    state = await ui.wait("the header's date, from the app's clock in the hall's zone",
                          lambda s: "11月29日 星期日" in s["texts"])
    assert "top.emblem" in state["ids"]
    await shot(ui, tmp_path, "attract")
    state = await ui.tap("top.lang")
    assert state["lang"] == "en"
    assert "Tap a card or scan a code to start" in state["texts"]
    assert "中文" in state["texts"]
    assert "Sun 29 Nov" in state["texts"]
    await shot(ui, tmp_path, "attract_en")
    state = await ui.tap("top.lang")
    assert state["lang"] == "zh"


async def test_elder_mode_is_bigger_on_every_screen(home: RemoteUi, tmp_path: Path) -> None:
    ui = home
    normal = await ui.call("buttons")
    state = await ui.tap("top.elder")
    assert state["elder"]
    elder = await ui.call("buttons")
    assert elder["min_height_dp"] >= 60
    assert elder["min_label_sp"] >= 1.5 * normal["min_label_sp"] - 0.01
    await shot(ui, tmp_path, "attract_elder")
    await ui.tap("attract.browse")
    state = await ui.settle()
    assert state["screen"] == "finder"
    assert "top.elder" in state["ids"]
    assert (await ui.call("buttons"))["min_height_dp"] >= 60
    groups = [i for i in state["ids"] if i.startswith("finder.group.")]
    assert 0 < len(groups) <= 4, "elder mode shows fewer items per page"
    await shot(ui, tmp_path, "finder_elder")


async def test_manual_id_then_search_by_pinyin_initials(home: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    ui = home
    await ui.tap("attract.start")
    await ui.tap("identify.method.manual")
    for ch in ZHANG[1]:
        await ui.tap(f"keypad.{ch}")
    state = await ui.tap("keypad.submit")
    assert state["screen"] == "finder"
    assert state["identified"]
    await shot(ui, tmp_path, "finder")
    await ui.tap("finder.tab.search")
    for letter in "SBK":
        state = await ui.tap(f"letter.{letter}")
    assert "finder.item.SB-CARD" in state["ids"]
    before = len(agent.of_type(IssueTicket))
    state = await ui.tap("finder.item.SB-CARD")
    state = await ui.wait("a ticket", lambda s: s["ticket_phase"] == "issued")
    assert state["ticket_number"]
    assert "ticket.qr" in state["ids"]
    issued = agent.of_type(IssueTicket)
    assert len(issued) == before + 1
    assert issued[-1].service == "SB-CARD"
    state = await ui.tap("ticket.done")
    assert state["screen"] == "attract"
    assert state["session_empty"]
    assert state["wipes"][-1]["had_identity"]
    assert state["wipes"][-1]["reason"] == "finished"


async def test_a_wrong_check_digit_is_refused(home: RemoteUi) -> None:
    ui = home
    await ui.tap("attract.start")
    await ui.tap("identify.method.manual")
    for ch in ZHANG[1][:-1] + "5":
        await ui.tap(f"keypad.{ch}")
    state = await ui.tap("keypad.submit")
    assert state["screen"] == "identify"
    assert not state["identified"]
    assert "identify.error" in state["ids"]


async def test_id_card_guide_checklist_and_package_ticket(home: RemoteUi, agent: FakeAgent, tmp_path: Path) -> None:
    ui = home
    state = await identify_by_card(ui)
    state = await ui.wait("the finder", lambda s: s["screen"] == "finder")
    assert "张*，您好！" in state["texts"]
    await ui.tap("finder.group.retire")
    state = await ui.tap("finder.item.PKG-RETIRE")
    state = await ui.wait("the guide", lambda s: s["screen"] == "guide")
    await shot(ui, tmp_path, "guide")
    for answer in ("normal", "self", "no", "yes"):
        state = await ui.tap(f"guide.option.{answer}")
    assert state["guide_done"]
    await shot(ui, tmp_path, "checklist")
    printed = state["receipts_printed"]
    await ui.tap("guide.action.print")
    state = await ui.wait("the checklist slip", lambda s: s["receipts_printed"] == printed + 1)
    state = await ui.tap("guide.action.qr")
    assert "qr.image" in state["ids"]
    state = await ui.tap("qr.close")
    assert "qr.image" not in state["ids"]
    await ui.tap("guide.action.ticket")
    state = await ui.wait("a ticket", lambda s: s["ticket_phase"] == "issued")
    assert agent.of_type(IssueTicket)[-1].steps == ("SB-RETIRE", "GJJ-DRAW")
    assert state["receipts_printed"] == printed + 2
    await shot(ui, tmp_path, "ticket")


async def test_eid_qr_identifies(home: RemoteUi) -> None:
    ui = home
    await ui.tap("attract.start")
    state = await ui.tap("identify.method.eid-qr")
    assert state["scanning"], "the camera scans while the e-ID screen waits for a code"
    code = await ui.call("eid_issue", name=ZHANG[0], id_number=ZHANG[1])
    state = await ui.call("qr", text=code)
    state = await ui.wait("identified", lambda s: s["identified"] and s["screen"] == "finder")
    assert not state["scanning"]
    state = await ui.call("home")
    await ui.tap("attract.start")
    await ui.tap("identify.method.eid-qr")
    state = await ui.call("qr", text=code)  # a code is accepted once
    assert not state["identified"]
    assert "identify.error" in state["ids"]


async def test_appointment_check_in_by_qr(home: RemoteUi, agent: FakeAgent) -> None:
    ui = home
    agent.appointments["APPT-7788"] = "GJJ-DRAW"
    await ui.tap("attract.checkin")
    state = await ui.tap("ticket.checkin.qr")
    assert state["scanning"]
    state = await ui.call("qr", text="https://example.invalid/x")
    assert state["ticket_phase"] == "failed"
    assert "ticket.error" in state["ids"]
    assert state["scanning"], "after a wrong code the kiosk keeps waiting for the right one"
    state = await ui.call("qr", text=appointment_code("demo", "APPT-7788"))
    state = await ui.wait("checked in", lambda s: s["ticket_phase"] == "issued")
    assert "签到成功" in state["texts"]
    assert isinstance(agent.requests[-1], CheckIn)
    assert agent.requests[-1].appointment_code == "APPT-7788"


async def test_self_service_printing(home: RemoteUi, tmp_path: Path) -> None:
    ui = home
    await ui.tap("attract.browse")
    await ui.tap("finder.group.self-service")
    state = await ui.tap("finder.item.PRINT")
    state = await ui.wait("the print screen", lambda s: s["screen"] == "selfprint")
    assert state["selfprint_phase"] == "needs-identity"
    await identify_by_card(ui)
    state = await ui.wait("the documents", lambda s: s["selfprint_phase"] == "ready")
    assert "selfprint.demo" in state["ids"], "simulated documents are marked as demo data"
    docs = [i for i in state["ids"] if i.startswith("selfprint.doc.")]
    assert docs
    await ui.tap(docs[-1])
    await shot(ui, tmp_path, "selfprint")
    printed = state["documents_printed"]
    await ui.tap("selfprint.print")
    state = await ui.wait("printed", lambda s: s["selfprint_phase"] == "done")
    assert state["documents_printed"] == printed + 1


async def test_case_progress(home: RemoteUi) -> None:
    ui = home
    await identify_by_card(ui)
    await ui.wait("the finder", lambda s: s["screen"] == "finder")
    await ui.tap("finder.group.self-service")
    await ui.tap("finder.item.PROGRESS")
    state = await ui.wait("the cases", lambda s: s["progress_phase"] in ("ready", "empty"))
    assert state["progress_phase"] == "ready"
    assert "progress.case" in state["ids"]


async def test_rating_by_ticket_qr(home: RemoteUi, agent: FakeAgent, hall: HallConfig) -> None:
    ui = home
    await ui.tap("attract.rate")
    state = await ui.call("qr", text=ticket_status_url(hall.hall.status_base_url, hall.hall.id, "T-A001", "tok"))
    assert state["rating_phase"] == "choosing"
    await ui.tap("rating.level.2")
    await ui.tap("rating.reason.slow")
    await ui.tap("rating.submit")
    state = await ui.wait("the rating sent", lambda s: s["rating_phase"] == "done")
    sent = agent.of_type(SubmitRating)[-1]
    assert (sent.ticket_id, sent.level, sent.reasons) == ("T-A001", 2, ("slow",))


async def test_offline_gives_a_clearly_marked_provisional_ticket(home: RemoteUi, agent: FakeAgent,
                                                                tmp_path: Path) -> None:
    ui = home
    agent.set_online(False)
    try:
        state = await ui.wait("offline", lambda s: not s["online"])
        assert "banner" in state["ids"]
        assert "fault.overlay" not in state["ids"]
        assert "attract.offline" in state["ids"], "the start screen says it before the citizen touches anything"
        assert "网络中断：可先取临时号票" in state["texts"]
        await shot(ui, tmp_path, "attract_offline")
        await ui.tap("attract.browse")
        state = await ui.settle()
        assert state["fault"] == "hall-offline"
        assert "fault.overlay" in state["ids"]
        await shot(ui, tmp_path, "offline_notice")
        await ui.tap("fault.ok")
        await ui.tap("finder.group.cards")
        await ui.tap("finder.item.SB-CARD")
        state = await ui.wait("a provisional ticket", lambda s: s["ticket_phase"] == "issued")
        assert state["ticket_provisional"]
        assert "ticket.provisional" in state["ids"]
        await shot(ui, tmp_path, "ticket_provisional")
    finally:
        agent.set_online(True)
    await ui.wait("online", lambda s: s["online"] and s["fault"] is None)


async def test_printer_out_of_paper_keeps_the_ticket_on_screen(home: RemoteUi, agent: FakeAgent,
                                                                 tmp_path: Path) -> None:
    ui = home
    await ui.call("paper_out", on=True)
    try:
        await ui.tap("attract.browse")
        await paper_out_said(ui)
        for step in ("finder.group.cards", "finder.item.SB-CARD"):
            await ui.tap(step)
        state = await ui.wait("the paper-out notice", lambda s: s["fault"] == "printer-paper-out")
        assert "fault.number" in state["ids"]
        assert "fault.qr" in state["ids"]
        assert "fault.next" in state["ids"]
        await shot(ui, tmp_path, "paper_out")
        state = await ui.tap("fault.ok")
        assert state["fault"] is None
        assert state["ticket_phase"] == "issued"
    finally:
        await ui.call("paper_out", on=False)


async def test_idle_countdown_then_reset_wipes_the_session(home: RemoteUi, tmp_path: Path) -> None:
    ui = home
    await identify_by_card(ui)
    await ui.call("remove_card")
    await ui.wait("the finder", lambda s: s["screen"] == "finder")
    await ui.tap("top.speak")
    state = await ui.call("advance", seconds=95)  # timeout 120 s, warning 30 s
    assert state["idle_phase"] == "warning"
    assert state["idle_left"] >= 20
    assert "idle.continue" in state["ids"]
    await shot(ui, tmp_path, "idle_warning")
    state = await ui.tap("idle.continue")
    assert state["idle_phase"] == "active"
    assert state["screen"] == "finder"
    await ui.call("advance", seconds=95)
    state = await ui.call("advance", seconds=30)
    assert state["screen"] == "attract"
    assert state["session_empty"]
    assert state["wipes"][-1]["reason"] == "idle"
    assert state["wipes"][-1]["had_identity"]
    files = await ui.call("speech_files")
    assert not [f for f in files if "/say-" in f], "per-session speech audio is wiped"


async def test_read_aloud_renders_mandarin_audio_repeatably(home: RemoteUi) -> None:
    ui = home
    await ui.call("first_slide")  # the slides rotate with time, and 朗读 reads the one on screen
    first = await ui.call("speak")
    assert first is not None
    assert first["lang"] == "zh"
    assert first["bytes"] > 1000
    assert "请刷身份证" in first["text"]
    soxi = await asyncio.to_thread(subprocess.run, ["soxi", "-D", first["wav"]], capture_output=True, text=True,
                                   check=True)
    duration = soxi.stdout
    assert float(duration) > 0.5
    await ui.call("first_slide")
    again = await ui.call("speak")
    assert again is not None
    assert again["text"] == first["text"]
    volume = await ui.call("volume")
    await ui.tap("top.louder")
    assert await ui.call("volume") == min(100, volume + 10)
    await ui.tap("top.softer")
    assert await ui.call("volume") == volume


async def test_agent_restart_reconnects(home: RemoteUi, agent: FakeAgent) -> None:
    ui = home
    before = (await ui.state())["agent_connects"]
    assert before >= 1
    await agent.drop_clients()
    state = await ui.wait("a new connection", lambda s: s["agent_connects"] == before + 1 and s["connected"])
    assert state["online"]
    await ui.tap("attract.browse")  # and it works: a ticket through the new connection
    await ui.tap("finder.group.cards")
    await ui.tap("finder.item.SB-CARD")
    await ui.wait("a ticket", lambda s: s["ticket_phase"] == "issued")
