"""The audit log: who did what to which ticket or window, when and from where, as a hash chain.

Every state-changing action (a device's request, a staff member's call, a manager's change, an API client's
appointment) adds one line in the same SQLite transaction as the events it caused, so the log and the hall
never disagree. Each line carries the SHA-256 of the line before it and of itself: editing or deleting a
line breaks the chain at that line, which :func:`verify` reports.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable

import msgspec

from hall_protocol.tickets import (
    CancelAppointment,
    CancelTicket,
    CheckIn,
    IssueTicket,
    LeaseGranted,
    LeaseRequest,
    RegisterAppointment,
    RpcReply,
    RpcRequest,
    SubmitRating,
    TicketReply,
    WindowCommand,
    WindowReply,
)

GENESIS = "0" * 64


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """What happened, before it has a place in the chain."""

    ts: float
    actor: str  # "device:kiosk-A-01", "staff:zhang", "manager:li", "api:appointments-portal"
    action: str  # "ticket.issue", "window.call-next", "appointment.register", "account.disable", ...
    target: str = ""  # a ticket, window, appointment, device or account id
    detail: str = ""  # what else matters: the service, a reason, a transfer target (never personal data)
    origin: str = ""  # where it came from: the device id, the browser's address, the API token's name
    outcome: str = "ok"  # "ok", or the refusal's error code


class AuditLine(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    entry: AuditEntry
    prev: str
    hash: str


_encoder = msgspec.json.Encoder(order="deterministic")


def line_hash(seq: int, entry: AuditEntry, prev: str) -> str:
    return hashlib.sha256(prev.encode() + b"\n" + str(seq).encode() + b"\n" + _encoder.encode(entry)).hexdigest()


def chain(entries: Iterable[AuditEntry], last_seq: int, last_hash: str) -> list[AuditLine]:
    """The lines that continue a chain ending at (``last_seq``, ``last_hash``)."""
    lines = []
    for entry in entries:
        last_seq += 1
        h = line_hash(last_seq, entry, last_hash)
        lines.append(AuditLine(seq=last_seq, entry=entry, prev=last_hash, hash=h))
        last_hash = h
    return lines


def verify(lines: Iterable[AuditLine], start_seq: int = 1, prev: str = GENESIS) -> int | None:
    """The seq of the first line that was edited, deleted or inserted; None when the chain holds. A chain
    checked in parts passes each part the seq and hash that follow the part before it."""
    expected_seq = start_seq
    for line in lines:
        if line.seq != expected_seq or line.prev != prev or line_hash(line.seq, line.entry, prev) != line.hash:
            return line.seq if line.seq == expected_seq else expected_seq
        expected_seq, prev = line.seq + 1, line.hash
    return None


CSV_FIELDS = ("seq", "time", "actor", "action", "target", "detail", "origin", "outcome", "hash")


def to_csv(lines: Iterable[AuditLine], time_text: Callable[[float], str] = lambda ts: f"{ts:.3f}") -> str:
    """The lines as CSV (UTF-8 text with a header), oldest first; ``time_text`` formats a timestamp."""
    fmt = time_text
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_FIELDS)
    for line in lines:
        e = line.entry
        w.writerow([line.seq, fmt(e.ts), e.actor, e.action, e.target, e.detail, e.origin, e.outcome, line.hash])
    return out.getvalue()


def describe(request: RpcRequest, reply: RpcReply, call_reason: tuple[str, str] | None = None
             ) -> tuple[str, str, str]:
    """(action, target, detail) of a request for its audit line. Never personal data: no name, no phone.

    ``call_reason`` is the engine's (English, Chinese) reason for the ticket a "call next" chose
    (``TicketCalled.reason``): the line then says why that ticket was called, Chinese first."""
    if isinstance(request, WindowCommand):
        ticket = reply.ticket.ticket_id if isinstance(reply, WindowReply) and reply.ticket else ""
        why = request.reason or (f"{call_reason[1]} / {call_reason[0]}" if call_reason else "")
        detail = " ".join(x for x in (
            f"ticket={request.ticket_id}" if request.ticket_id else "",
            f"staff={request.staff_id}" if request.staff_id else "",
            f"to={request.target_service}" if request.target_service else "",
            f"to-window={request.target_window}" if request.target_window else "",
            f"also-done={','.join(request.services_done)}" if request.services_done else "",
            f"current={ticket}" if ticket else "",
            f"reason={why}" if why else "",  # last: free text runs to the end of the line
        ) if x)
        return f"window.{request.op.value}", request.window_id, detail
    if isinstance(request, IssueTicket | CheckIn):
        ticket = reply.ticket.ticket_id if isinstance(reply, TicketReply) else ""
        if isinstance(request, CheckIn):
            return "ticket.checkin", ticket, "appointment"
        detail = f"service={request.service} priority={request.priority.value}"
        if request.provisional is not None:
            detail += f" provisional={request.provisional.number}"
        return "ticket.issue", ticket, detail
    if isinstance(request, CancelTicket):
        return "ticket.cancel", request.ticket_id, request.reason
    if isinstance(request, SubmitRating):
        step = f" step={request.step}" if request.step is not None else ""
        return "rating.submit", request.ticket_id, f"level={request.level}{step}"
    if isinstance(request, RegisterAppointment):
        by_id = " id-card" if request.id_lookup else ""
        return "appointment.register", request.appointment_id, f"service={request.service} " \
            f"slot={request.slot_start:.0f}{by_id}"
    if isinstance(request, CancelAppointment):
        return "appointment.cancel", request.appointment_id, request.reason
    if isinstance(request, LeaseRequest):
        lease = reply.lease_id if isinstance(reply, LeaseGranted) else ""
        return "lease.request", lease, f"service={request.service} size={request.size}"
    return type(request).__name__, "", ""
