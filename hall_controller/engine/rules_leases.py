"""Offline number blocks: leasing one within the daily cap, and merging a ticket printed from one.

A kiosk leases blocks in advance so that it can print numbers while the hall is unreachable; a merged
number is honoured whatever the cap and the hour, since the citizen holds it. So the cap is enforced when
numbers are leased, with these rules (``LeaseBlock`` → ``BlockLeased``, else ``CAP_REACHED``):

- Reserved numbers are leased numbers not merged yet. A grant never takes a service past its daily cap:
  ``issued + reserved + block ≤ daily_cap``; ``left = daily_cap - issued - reserved`` is what nobody holds.
- One device holds at most ``OPEN_BLOCKS`` blocks of a service that still have unmerged numbers, and at
  most a fair share of what is left: its unmerged numbers plus the block ≤ ``max(SHARE_FLOOR, left //
  SHARE_DIVISOR)`` (the floor keeps a useful block possible near the cap; ``left`` still bounds it).
- The block is the size asked for, made smaller to fit these rules and today's numbers (up to
  ``MAX_NUMBER``); a device that may take no number is refused.

Online issuing counts issued tickets only: reserved numbers are a reserve for outages and mostly go
unused, and counting them would turn citizens away while numbers sit idle in kiosks. The cap can then be
overrun by at most the numbers reserved when it is reached, which the rules above bound.
"""

from __future__ import annotations

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.checks import fail, illegal, service_or_fail
from hall_controller.engine.issuing import MAX_NUMBER, issued_event
from hall_controller.engine.state import EngineState
from hall_protocol.errors import ErrorCode

OPEN_BLOCKS = 2
SHARE_FLOOR = 10
SHARE_DIVISOR = 4


def lease(state: EngineState, c: cmd.LeaseBlock, now: float) -> list[ev.Event]:
    svc = service_or_fail(state, c.service)
    reserved = held = open_blocks = 0
    for block in state.leases.values():
        if block.service != svc.code:
            continue
        unused = block.last - block.first + 1 - len(block.used)
        reserved += unused
        if block.device_id == c.device_id and unused > 0:
            held += unused
            open_blocks += 1
    left = svc.daily_cap - state.issued.get(svc.code, 0) - reserved
    if left <= 0:
        fail(ErrorCode.CAP_REACHED, f"{svc.code} has no numbers left under its daily cap", f"{svc.name_zh}今日号源已满")
    if open_blocks >= OPEN_BLOCKS:
        fail(
            ErrorCode.CAP_REACHED,
            f"{c.device_id} already holds {open_blocks} open blocks of {svc.code}",
            "本机已有足够的离线号段",
        )
    allowance = min(left, max(SHARE_FLOOR, left // SHARE_DIVISOR) - held)
    if allowance <= 0:
        fail(
            ErrorCode.CAP_REACHED,
            f"{c.device_id} holds {held} unmerged numbers of {svc.code}, its share of the {left} left",
            "本机已有足够的离线号段",
        )
    first = state.counters.get(svc.prefix, 0) + 1
    last = first + min(c.size, allowance, MAX_NUMBER - first + 1) - 1
    if last < first:
        fail(ErrorCode.CAP_REACHED, f"prefix {svc.prefix} has no numbers left today", "今日号码不足")
    return [
        ev.BlockLeased(
            request_id=c.request_id,
            at=now,
            lease_id=f"{state.day}-{svc.prefix}{first:03d}-{last:03d}",
            device_id=c.device_id,
            service=svc.code,
            prefix=svc.prefix,
            day=state.day,
            first=first,
            last=last,
        )
    ]


def merge_provisional(state: EngineState, c: cmd.IssueTicket, steps: tuple[str, ...], now: float) -> ev.Event:
    """A ticket printed offline from a leased block: keep its number, order it by its real arrival.

    Honoured past the daily cap and outside issuing hours: the citizen holds the printed number, and the
    cap was checked when the block was leased."""
    p = c.provisional
    assert p is not None
    block = state.leases.get(p.lease_id)
    if block is None:
        fail(ErrorCode.NOT_FOUND, f"unknown or expired lease {p.lease_id!r}", "离线号段无效或已过期")
    if block.day != state.day:
        fail(ErrorCode.EXPIRED, f"lease {p.lease_id} was for {block.day}", "离线号段已过期")
    if block.service != c.service:
        illegal(f"lease {p.lease_id} is for {block.service}", "离线号段与业务不符")
    digits = p.number[len(block.prefix) :]
    if not p.number.startswith(block.prefix) or not digits.isdigit():
        fail(ErrorCode.MALFORMED, f"number {p.number!r} is not of prefix {block.prefix}", "离线号码格式不对")
    seq = int(digits)
    if not block.first <= seq <= block.last:
        illegal(f"number {p.number} is outside lease {p.lease_id}", "离线号码不在号段内")
    if seq in block.used:
        illegal(f"number {p.number} was already merged", "该离线号码已登记")
    # A device clock may be off: the arrival cannot precede the lease nor follow the merge.
    arrival = min(max(p.arrived_at, block.granted_at), now)
    return issued_event(
        state,
        c.request_id,
        now,
        service=c.service,
        steps=steps,
        priority=c.priority,
        seq=seq,
        arrival=arrival,
        order_time=arrival,
        source_device=c.source_device or block.device_id,
        masked_name=c.masked_name,
        lang=c.lang,
        lease_id=block.lease_id,
    )
