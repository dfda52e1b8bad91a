"""The enrolment error tree. Each error carries a code, an HTTP status and a sentence for people (中文 first)."""

from __future__ import annotations

from hall_protocol.errors import ErrorCode, OneVisitError


class EnrollmentError(OneVisitError):
    code: ErrorCode = ErrorCode.INTERNAL
    http_status = 500

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


class CodeInvalid(EnrollmentError):
    """No slot has this code (never issued, or mistyped)."""

    code = ErrorCode.NOT_FOUND
    http_status = 403


class CodeExpired(EnrollmentError):
    code = ErrorCode.EXPIRED
    http_status = 410


class CodeUsed(EnrollmentError):
    code = ErrorCode.FORBIDDEN
    http_status = 409


class TooManyAttempts(EnrollmentError):
    code = ErrorCode.FORBIDDEN
    http_status = 429

    def __init__(self, message_en: str, message_zh: str, retry_after_s: float) -> None:
        super().__init__(message_en, message_zh)
        self.retry_after_s = retry_after_s


class CsrRejected(EnrollmentError):
    code = ErrorCode.MALFORMED
    http_status = 400


class BadRequest(EnrollmentError):
    code = ErrorCode.MALFORMED
    http_status = 400


class SlotNotFound(EnrollmentError):
    code = ErrorCode.NOT_FOUND
    http_status = 404


class IllegalTransition(EnrollmentError):
    code = ErrorCode.ILLEGAL_TRANSITION
    http_status = 409


class BrokerAdminError(EnrollmentError):
    """The broker refused or did not answer a dynamic-security command."""

    code = ErrorCode.UNAVAILABLE
    http_status = 503


class CaError(EnrollmentError):
    """The hall CA's files are missing, unreadable or inconsistent."""

    code = ErrorCode.INTERNAL
    http_status = 500
