"""The camera package's exceptions: frame sources, QR payloads and e-ID verification.

``str(err)`` is for the log and never holds the scanned payload itself (it may carry personal data).
``reason`` is the health reason of a frame-source error (``camera-absent``, ``camera-stalled``…).
"""

from __future__ import annotations

from enum import StrEnum

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class CameraError(DriverError):
    """Root of the frame-source errors."""

    reason = "camera-fault"


class CameraAbsent(CameraError, DeviceAbsent):
    """The device node does not exist, or it disappeared while streaming."""

    reason = "camera-absent"


class CameraStalled(CameraError, DeviceTimeout):
    """The camera is there but no new frame arrived in time."""

    reason = "camera-stalled"


class CameraFault(CameraError, DeviceFault):
    """The device exists but cannot be used as a camera (wrong node, busy, refused the format)."""

    reason = "camera-fault"


class CameraBackendMissing(CameraFault):
    """The Python module that drives this kind of camera is not installed on this machine."""

    reason = "camera-backend-missing"


class CameraNotStarted(CameraError):
    """A frame was asked for before ``start()`` or after ``close()``: a bug in the caller."""


class PayloadProblem(StrEnum):
    """What was wrong with a scanned payload; stable codes for logs and tests."""

    EMPTY = "empty"
    TOO_LONG = "too-long"
    APPOINTMENT_SHAPE = "appointment-shape"  # wrong number of parts or characters outside the alphabet
    APPOINTMENT_CHECK = "appointment-check"  # check digits do not match: mistyped, damaged or edited
    WRONG_HALL = "wrong-hall"  # a valid code, but for another hall
    STATUS_LINK_SHAPE = "status-link-shape"  # our status page's address, but not a ticket's link
    EID_SHAPE = "eid-shape"  # an e-ID issuer's prefix with a payload that issuer never produces


class QrPayloadError(DriverError):
    """A scanned text that claims to be one of the known kinds but is broken.

    ``problem`` says what was wrong, ``field`` which part (``hall``, ``appointment_id``, ``check``, …).
    """

    reason = "qr-invalid"

    def __init__(self, problem: PayloadProblem, detail: str, *, field: str | None = None) -> None:
        where = f" (field {field})" if field else ""
        super().__init__(f"{problem.value}: {detail}{where}")
        self.problem = problem
        self.field = field


class EidError(DriverError):
    """Root of the e-ID / e-licence verification errors."""

    reason = "eid-error"


class EidRejectReason(StrEnum):
    UNKNOWN = "unknown"  # the issuer has no such code
    EXPIRED = "expired"  # dynamic codes live for minutes; the holder must refresh it
    USED = "used"  # single-use code shown a second time
    REVOKED = "revoked"
    WRONG_ISSUER = "wrong-issuer"  # this verifier does not serve that issuer


class EidRejected(EidError):
    """The identity service answered, and said no; ``rejection`` says why."""

    reason = "eid-rejected"

    def __init__(self, rejection: EidRejectReason, detail: str) -> None:
        super().__init__(f"{rejection.value}: {detail}")
        self.rejection = rejection


class EidServiceUnavailable(EidError, DeviceTimeout):
    """The identity service could not be reached or did not answer."""

    reason = "eid-service-unavailable"
