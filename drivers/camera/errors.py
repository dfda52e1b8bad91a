"""The camera package's exceptions: frame sources, QR payloads and e-ID verification.

Every class keeps the driver tree's two audiences apart: ``message_zh``/``message_en`` for the person at
the kiosk, ``str(err)`` for the log (never the scanned payload itself: it may carry personal data).
"""

from __future__ import annotations

from enum import StrEnum

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class CameraError(DriverError):
    """Root of the frame-source errors."""

    message_zh = "摄像头暂时无法使用，请联系工作人员。"
    message_en = "The camera is not available right now. Please ask a member of staff."


class CameraAbsent(CameraError, DeviceAbsent):
    """The device node does not exist, or it disappeared while streaming."""

    message_zh = "未检测到摄像头，请联系工作人员。"
    message_en = "No camera was found. Please ask a member of staff."


class CameraStalled(CameraError, DeviceTimeout):
    """The camera is there but no new frame arrived in time."""

    message_zh = "摄像头画面停止更新，请稍后再试或联系工作人员。"
    message_en = "The camera stopped sending pictures. Please try again or ask a member of staff."


class CameraFault(CameraError, DeviceFault):
    """The device exists but cannot be used as a camera (wrong node, busy, refused the format)."""


class CameraBackendMissing(CameraFault):
    """The Python module that drives this kind of camera is not installed on this machine."""

    message_zh = "摄像头驱动未安装，请联系运维人员。"
    message_en = "The camera driver is not installed. Please contact the technician."


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


_PAYLOAD_MESSAGES: dict[PayloadProblem, tuple[str, str]] = {
    PayloadProblem.EMPTY: ("二维码内容为空，请重新出示。", "The code is empty. Please show it again."),
    PayloadProblem.TOO_LONG: (
        "二维码内容过长，无法识别。",
        "The code holds too much data to be one of ours.",
    ),
    PayloadProblem.APPOINTMENT_SHAPE: (
        "预约码格式不正确，请出示预约短信或小程序中的二维码。",
        "The appointment code is not in the right form. Please show the code from your booking.",
    ),
    PayloadProblem.APPOINTMENT_CHECK: (
        "预约码校验失败，可能已损坏或被修改，请到咨询台核实。",
        "The appointment code failed its check; it may be damaged or altered. Please ask at the help desk.",
    ),
    PayloadProblem.WRONG_HALL: (
        "此预约不属于本大厅，请核对办事地点。",
        "This appointment is for another service hall. Please check where it was booked.",
    ),
    PayloadProblem.STATUS_LINK_SHAPE: (
        "取号凭条二维码无法识别，请到咨询台核实。",
        "The ticket's code could not be read. Please ask at the help desk.",
    ),
    PayloadProblem.EID_SHAPE: (
        "电子证照二维码无法识别，请刷新后重新出示。",
        "The electronic ID code could not be read. Please refresh it and show it again.",
    ),
}


class QrPayloadError(DriverError):
    """A scanned text that claims to be one of the known kinds but is broken.

    ``problem`` says what was wrong, ``field`` which part (``hall``, ``appointment_id``, ``check``, …).
    """

    def __init__(self, problem: PayloadProblem, detail: str, *, field: str | None = None) -> None:
        zh, en = _PAYLOAD_MESSAGES[problem]
        where = f" (field {field})" if field else ""
        super().__init__(f"{problem.value}: {detail}{where}", message_zh=zh, message_en=en)
        self.problem = problem
        self.field = field


class EidError(DriverError):
    """Root of the e-ID / e-licence verification errors."""


class EidRejectReason(StrEnum):
    UNKNOWN = "unknown"  # the issuer has no such code
    EXPIRED = "expired"  # dynamic codes live for minutes; the holder must refresh it
    USED = "used"  # single-use code shown a second time
    REVOKED = "revoked"
    WRONG_ISSUER = "wrong-issuer"  # this verifier does not serve that issuer


class EidRejected(EidError):
    """The identity service answered, and said no."""

    message_zh = "电子证照核验未通过，请在手机上刷新二维码后重试，或使用实体证件。"
    message_en = "The electronic ID could not be verified. Refresh the code on your phone, or use the card."

    def __init__(self, reason: EidRejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason


class EidServiceUnavailable(EidError, DeviceTimeout):
    """The identity service could not be reached or did not answer."""

    message_zh = "电子证照核验服务暂时不可用，请使用实体证件或稍后再试。"
    message_en = "The electronic ID service is not available. Please use the physical card or try later."
