"""A day of the demo hall driven through the real engine and committed to the page's store."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.handle import handle
from hall_controller.web.context import WebContext

_ids = itertools.count(1)


async def run(ctx: WebContext, command_type: type[Any], now: float, **fields: Any) -> list[ev.Event]:
    core = ctx.service.core
    state, events = handle(core.state, command_type(request_id=f"t{next(_ids)}", **fields), now)
    core.state = state
    await ctx.service.store.commit_batch([msgspec.json.encode(e) for e in events], now, [])
    return events


async def served_and_rated(ctx: WebContext, now: float, level: int, comment: str = "", masked_name: str = "") -> str:
    """A citizen takes an SB-CARD ticket, is served at W1 for 5 minutes after waiting 10, and rates it."""
    if ctx.service.core.state.windows["W1"].staff_id is None:
        await run(ctx, cmd.Login, now, window_id="W1", staff_id="staff-w1")
        await run(ctx, cmd.OpenWindow, now, window_id="W1")
    issued = (await run(ctx, cmd.IssueTicket, now, service="SB-CARD", masked_name=masked_name))[-1]
    assert isinstance(issued, ev.TicketIssued)
    await run(ctx, cmd.CallNext, now + 600, window_id="W1")
    await run(ctx, cmd.StartService, now + 600, window_id="W1")
    await run(ctx, cmd.FinishService, now + 900, window_id="W1")
    await run(ctx, cmd.RecordRating, now + 960, ticket_id=issued.ticket_id, level=level, comment=comment)
    return issued.ticket_id
