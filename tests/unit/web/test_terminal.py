"""The window terminal's data (terminal_model.py) and its page guards, without a broker."""

from __future__ import annotations

import re

import httpx
import msgspec

from hall_controller.engine import commands as cmd
from hall_controller.web.context import WebContext
from hall_controller.web.terminal_model import pick_data, terminal_data
from hall_protocol.tickets import Priority, TicketState, WindowOp
from tests.unit.engine.helpers import Hall
from tests.unit.web.conftest import log_in


def _hall() -> Hall:
    h = Hall()
    for w in ("W1", "W2", "W3"):
        h.staff(w)
    return h


def test_next_tickets_follow_the_call_order_and_carry_no_names() -> None:
    h = _hall()
    h.issue("S1", masked_name="张*")
    h.now += 60
    h.issue("S2", masked_name="李*")  # W1's lower skill tier: after every S1 ticket
    h.now += 60
    h.issue("S1", priority=Priority.GREEN)
    h.now += 60
    sent = h.issue("S2")
    h.send(cmd.Transfer, ticket_id=sent, target_window="W1")
    data = terminal_data(h.state, "W1", h.now, "zh")
    assert [q.number for q in data.next] == ["B002", "A002", "A001", "B001"]
    assert [q.sent_here for q in data.next] == [True, False, False, False]
    assert data.next[1].priority is Priority.GREEN
    encoded = msgspec.json.encode(data)
    assert "张*".encode() not in encoded
    assert "李*".encode() not in encoded
    assert "B002" not in [q.number for q in terminal_data(h.state, "W2", h.now, "zh").next]  # sent to W1 only


def test_the_current_ticket_its_steps_timers_and_materials() -> None:
    h = _hall()
    h.issue("S1", steps=("S1", "S2", "S3"), masked_name="王*")
    h.now += 120
    h.call("W3")
    h.now += 30
    h.send(cmd.StartService, window_id="W3")
    h.now += 45
    data = terminal_data(h.state, "W3", h.now, "en")
    c = data.current
    assert c is not None
    assert (c.number, c.service_name, c.step, c.masked_name) == ("A001", "Service 1", 1, "王*")
    assert c.waited_s == 120
    assert c.serving_since == h.now - 45
    assert [s.code for s in c.also_doable] == ["S2", "S3"]  # the comprehensive window serves every step
    assert data.state == "serving"
    assert set(data.actions) == {WindowOp.FINISH, WindowOp.TRANSFER, WindowOp.PARK, WindowOp.PAUSE}
    w1 = terminal_data(h.state, "W1", h.now, "en")
    assert w1.current is None
    assert set(w1.actions) == {WindowOp.CALL_NEXT, WindowOp.LOGOUT, WindowOp.PAUSE}


def test_counts_of_the_day_at_this_window() -> None:
    h = _hall()
    for _ in range(3):
        h.issue("S1")
    h.serve("W1", minutes=4)
    h.serve("W1", minutes=6)
    h.call("W1")
    h.send(cmd.Transfer, window_id="W1", target_service="S2")
    counts = terminal_data(h.state, "W1", h.now, "zh").counts
    assert (counts.served, counts.transferred_out, counts.avg_service_s) == (2, 1, 300)
    assert counts.waiting == 1  # the transferred ticket waits in S2, which W1 also serves


def test_parked_tickets_and_a_paused_window() -> None:
    h = _hall()
    t = h.issue("S1")
    h.call("W1")
    h.send(cmd.Park, window_id="W1", reason="fetching")
    h.send(cmd.PauseWindow, window_id="W1", reason="break")
    data = terminal_data(h.state, "W1", h.now, "zh")
    assert [(p.ticket_id, p.reason) for p in data.parked] == [(t, "fetching")]
    assert (data.state, data.pause_reason) == ("paused", "break")
    assert WindowOp.CALL_NEXT not in data.actions
    assert WindowOp.RESUME in data.actions
    assert h.state.tickets[t].state is TicketState.PARKED


def test_pick_marks_free_held_and_own_windows() -> None:
    h = Hall()
    h.send(cmd.Login, window_id="W2", staff_id="wang")
    h.send(cmd.Login, window_id="W3", staff_id="zhang")
    choices = {w.window_id: (w.free, w.mine, w.holder) for w in pick_data(h.state, "zhang", "zh").windows}
    assert choices == {"W1": (True, False, None), "W2": (False, False, "wang"), "W3": (False, True, "zhang")}


async def test_the_page_needs_a_person_who_may_use_a_terminal(web: httpx.AsyncClient) -> None:
    r = await web.get("/terminal")
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/terminal")
    assert (await web.get("/terminal.json")).status_code == 401
    await log_in(web, "tech")
    assert (await web.get("/terminal")).status_code == 403


async def test_before_a_window_is_chosen_the_page_lists_them(web: httpx.AsyncClient, ctx: WebContext) -> None:
    await log_in(web, "staff-w1")
    page = await web.get("/terminal")
    assert page.status_code == 200
    assert "选择您的窗口" in page.text
    data = (await web.get("/terminal.json")).json()
    assert [w["window_id"] for w in data["windows"]] == [w.id for w in ctx.config.windows]


async def test_operations_need_the_csrf_token_and_a_known_window(web: httpx.AsyncClient) -> None:
    await log_in(web, "staff-w1")
    page = await web.get("/terminal")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None
    forged = await web.post("/terminal/window", data={"window_id": "W1"})
    assert forged.status_code == 403
    unknown = await web.post("/terminal/window", data={"window_id": "W9", "csrf": csrf.group(1)},
                             headers={"HX-Request": "true"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message_zh"] == "没有这个窗口。"
    no_window = await web.post("/terminal/op/call-next", data={"csrf": csrf.group(1)})
    assert (no_window.status_code, no_window.headers["location"]) == (303, "/terminal")
