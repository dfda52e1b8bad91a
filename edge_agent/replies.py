"""The replies the agent makes itself, when the controller's answer cannot be had: refusals and "queued".

Every agent-side ErrorReply is built here. It carries an :class:`ErrorCode`, which the UI turns into the
citizen's sentence (the kiosk's i18n owns all citizen-facing wording), and an English detail for logs and
technicians; never a sentence meant for a citizen.
"""

from __future__ import annotations

from edge_agent.outbox_items import OutboxError, OutboxFull
from hall_protocol.errors import ErrorCode, ProtocolError
from hall_protocol.local import PrintDocument
from hall_protocol.tickets import Ack, ErrorReply, RpcRequest


def request_id_of(body: RpcRequest | PrintDocument) -> str:
    """The request's id, or "" for a request that has none."""
    return getattr(body, "request_id", "") or ""


def refusal(request_id: str, code: ErrorCode, detail: str, *, field: str | None = None) -> ErrorReply:
    return ErrorReply(request_id=request_id, code=code, message=detail, field=field)


def unavailable(request_id: str, detail: str) -> ErrorReply:
    """The hall cannot answer now (unreachable, silent, or no provisional ticket to give instead)."""
    return refusal(request_id, ErrorCode.UNAVAILABLE, detail)


def not_stored(request_id: str, err: OutboxError) -> ErrorReply:
    """The outbox refused the request. Full means the hall has been away too long (UNAVAILABLE, as when it
    is unreachable); any other storage failure is this device's fault (INTERNAL)."""
    code = ErrorCode.UNAVAILABLE if isinstance(err, OutboxFull) else ErrorCode.INTERNAL
    return refusal(request_id, code, str(err))


def malformed_answer(err: ProtocolError) -> ErrorReply:
    """An answer from the hall that could not be decoded (so its request id is unknown too)."""
    return refusal("", err.code, str(err), field=err.field)


def queued(request_id: str) -> Ack:
    """Stored in the outbox and sent when the hall answers again."""
    return Ack(request_id=request_id, queued=True)
