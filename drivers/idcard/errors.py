"""The ID-card reader's exceptions: what went wrong on the line, in the reader, or on the card."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class IdCardError(DriverError):
    message_zh = "读取身份证失败，请重新放置身份证。"
    message_en = "The ID card could not be read. Please place it on the reader again."


# --- the byte stream (the peer's fault, or the line's) -------------------------------------------------


class FrameError(IdCardError):
    """A frame that arrived broken; the parser has already skipped it and resynchronised."""


class FrameChecksumError(FrameError):
    pass


class FrameLengthError(FrameError):
    pass


class FrameTruncated(FrameError):
    """A frame began but its bytes stopped coming (card pulled away mid-read, cable glitch)."""

    message_zh = "读卡中断，请将身份证平放在读卡区，读完前不要移开。"
    message_en = "Reading was interrupted. Keep the ID card flat on the reader until it is done."


class UnexpectedResponse(FrameError):
    """A well-formed frame that cannot be the answer to the command sent."""


# --- the reader and its SAM ----------------------------------------------------------------------------


class ReaderStatusError(IdCardError):
    """The reader answered with a failure status (SW3)."""

    def __init__(self, sw3: int, detail: str) -> None:
        super().__init__(detail)
        self.sw3 = sw3


class CommandRejected(ReaderStatusError):
    """The reader says our command was malformed (checksum, length, command, privilege): our bug or noise."""

    message_zh = "读卡器通信出错，请稍后再试。"
    message_en = "The card reader had a communication error. Please try again."


class SamFault(ReaderStatusError, DeviceFault):
    message_zh = "读卡器安全模块故障，请联系工作人员。"
    message_en = "The card reader's security module has failed. Please ask a member of staff."


class SamNotAuthorised(ReaderStatusError, DeviceFault):
    message_zh = "读卡器未经授权，无法使用，请联系工作人员。"
    message_en = "The card reader is not authorised for use. Please ask a member of staff."


class CardSelectFailed(ReaderStatusError):
    pass


class CardReadFailed(ReaderStatusError):
    pass


class CardAuthFailed(ReaderStatusError):
    message_zh = "身份证验证未通过，请确认使用的是本人有效居民身份证。"
    message_en = "The ID card could not be verified. Please use your own valid resident ID card."


class UnknownCardType(ReaderStatusError):
    message_zh = "无法识别该卡片，请放置第二代居民身份证。"
    message_en = "This card is not recognised. Please use a second-generation resident ID card."


class NoContent(ReaderStatusError):
    """The card has no content for the item asked (e.g. no fingerprint data)."""


class ReaderTimeout(IdCardError, DeviceTimeout):
    message_zh = "读卡器没有响应，请稍后再试。"
    message_en = "The card reader did not answer. Please try again."


class ReaderAbsent(IdCardError, DeviceAbsent):
    message_zh = "读卡器未连接，请联系工作人员。"
    message_en = "The card reader is not connected. Please ask a member of staff."


# --- the card's content --------------------------------------------------------------------------------


class CardDataError(IdCardError):
    """The text block read from the card does not decode into a valid identity."""


class InvalidIdNumber(CardDataError):
    message_zh = "身份证号码校验未通过，请换一张证件或到人工窗口办理。"
    message_en = "The ID number failed its check. Please use another card or go to a staffed window."
