"""Error codes shared by every process, and the typed decoding error."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    MALFORMED = "malformed"  # not JSON, or a field of the wrong type
    UNKNOWN_TYPE = "unknown-type"  # a message type this receiver does not know
    UNSUPPORTED_VERSION = "unsupported-version"
    NOT_FOUND = "not-found"  # ticket, window, service, device, appointment
    ILLEGAL_TRANSITION = "illegal-transition"  # e.g. finish a ticket that was never started
    CAP_REACHED = "cap-reached"  # daily cap of a service
    CLOSED = "closed"  # outside opening or ticket-issuing hours
    FORBIDDEN = "forbidden"  # not allowed for this device or role
    EXPIRED = "expired"  # a command or code past its expiry
    UNAVAILABLE = "unavailable"  # the hall cannot be reached; try again or take a provisional ticket
    TIMEOUT = "timeout"
    INTERNAL = "internal"


class OneVisitError(Exception):
    """Root of every OneVisit exception."""


class ProtocolError(OneVisitError):
    """A payload that could not be decoded into the expected message."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message if field is None else f"{message} (field {field})")
        self.code = code
        self.message = message
        self.field = field
