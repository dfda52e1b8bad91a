"""The smart-card driver's exceptions: a plain sentence for the person at the kiosk, detail for the log."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class SmartcardError(DriverError):
    """Root of the smart-card driver's errors."""


class PcscUnavailable(SmartcardError, DeviceAbsent):
    """The PC/SC service (pcscd) cannot be reached; the driver keeps retrying by itself."""

    message_zh = "读卡服务暂时不可用，请稍后再试或联系工作人员。"
    message_en = "The card service is not available right now. Please try again shortly or ask staff."


class ReaderAbsent(SmartcardError, DeviceAbsent):
    message_zh = "读卡器未连接，请联系工作人员。"
    message_en = "The card reader is not connected. Please ask a member of staff."


class NoCard(SmartcardError):
    message_zh = "请将卡片放到读卡区。"
    message_en = "Please place your card on the reader."


class CardRemovedError(SmartcardError):
    """The card left the reader before the exchange finished."""

    message_zh = "卡片已移开，请重新放置。"
    message_en = "The card was removed. Please place it again."


class CardMute(SmartcardError, DeviceTimeout):
    """A card is present but does not answer (dirty contacts, upside down, broken chip)."""

    message_zh = "无法读取卡片，请检查卡片方向后重新放置。"
    message_en = "The card could not be read. Please check which way round it goes and place it again."


class CardProtocolError(SmartcardError, DeviceFault):
    """The card answered something that breaks ISO 7816-4 (the card's fault, not ours)."""

    message_zh = "无法识别此卡片，请到窗口办理。"
    message_en = "This card could not be recognised. Please go to a service window."


class ApduFormatError(SmartcardError, ValueError):
    """A command or response could not be encoded or decoded (bad length, truncated bytes)."""

    message_zh = "读卡程序出错，请联系工作人员。"
    message_en = "The card program made an error. Please ask a member of staff."


class AtrError(SmartcardError, ValueError):
    """An answer-to-reset that is not a valid ISO 7816-3 ATR."""

    message_zh = "无法识别此卡片，请到窗口办理。"
    message_en = "This card could not be recognised. Please go to a service window."


class CardStatusError(SmartcardError):
    """The card refused a command: the status word says why."""

    message_zh = "此卡片无法完成该操作，请到窗口办理。"
    message_en = "This card cannot do that. Please go to a service window."

    def __init__(self, detail: str, sw: int) -> None:
        super().__init__(f"{detail}: SW={sw:04X}")
        self.sw = sw


class UnsupportedCard(SmartcardError):
    message_zh = "暂不支持此类卡片，请使用身份证或到窗口办理。"
    message_en = "This kind of card is not supported. Please use your ID card or go to a service window."


class PsamRequired(SmartcardError):
    """The data asked for is protected by keys that only a licensed terminal's PSAM holds.

    Raised by the social-security card application for every file it cannot read without a PSAM; a
    provincial integration supplies a ``PsamAuthenticator`` (see docs/smartcard.md) to lift it.
    """

    message_zh = "此卡的该项信息需要在授权终端上读取，请到窗口办理。"
    message_en = "This information on the card can only be read at an authorised terminal. Please go to a window."
