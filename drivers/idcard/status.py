"""SW3, the reader's own status byte (GA 467 SAM protocol), and what each value means for the driver.

Meanings as in GA 467-2013 / GA/T 467-2019 and the vendor SDKs that follow it (see docs/serial-devices.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.idcard import errors


class Sw3(IntEnum):
    SUCCESS = 0x90  # 操作成功
    NO_CONTENT = 0x91  # 证/卡中此项无内容
    FIND_SUCCESS = 0x9F  # 寻找证/卡成功
    CHECKSUM_ERROR = 0x10  # 接收业务终端数据的校验和错
    LENGTH_ERROR = 0x11  # 接收业务终端数据的长度错
    COMMAND_ERROR = 0x21  # 接收业务终端的命令错误（数值或逻辑搭配错误）
    UNAUTHORISED_OPERATION = 0x23  # 越权操作
    UNRECOGNISED_ERROR = 0x24  # 无法识别的错误
    CARD_AUTH_SAM_FAILED = 0x31  # 证/卡认证 SAM 失败
    SAM_AUTH_CARD_FAILED = 0x32  # SAM 认证证/卡失败
    INFO_VERIFY_FAILED = 0x33  # 信息验证错误
    UNKNOWN_CARD_TYPE = 0x40  # 无法识别的卡类型
    READ_FAILED = 0x41  # 读证/卡操作失败
    RANDOM_FAILED = 0x47  # 取随机数失败
    SAM_SELF_TEST_FAILED = 0x60  # SAM 自检失败，不能接收命令
    SAM_NOT_AUTHORISED = 0x66  # SAM 没经过授权，无法使用
    FIND_FAILED = 0x80  # 寻找证/卡失败（无卡）
    SELECT_FAILED = 0x81  # 选取证/卡失败


@dataclass(frozen=True)
class StatusInfo:
    meaning_zh: str
    meaning_en: str
    error: type[errors.ReaderStatusError] | None  # None: not an error in itself (success, no card)


STATUS: dict[int, StatusInfo] = {
    Sw3.SUCCESS: StatusInfo("操作成功", "success", None),
    Sw3.NO_CONTENT: StatusInfo("证/卡中此项无内容", "no content for this item", errors.NoContent),
    Sw3.FIND_SUCCESS: StatusInfo("寻找证/卡成功", "card found", None),
    Sw3.CHECKSUM_ERROR: StatusInfo(
        "接收业务终端数据的校验和错", "reader got a bad checksum from us", errors.CommandRejected
    ),
    Sw3.LENGTH_ERROR: StatusInfo(
        "接收业务终端数据的长度错", "reader got a bad length from us", errors.CommandRejected
    ),
    Sw3.COMMAND_ERROR: StatusInfo(
        "接收业务终端的命令错误", "reader rejected the command", errors.CommandRejected
    ),
    Sw3.UNAUTHORISED_OPERATION: StatusInfo("越权操作", "operation not permitted", errors.CommandRejected),
    Sw3.UNRECOGNISED_ERROR: StatusInfo("无法识别的错误", "unrecognised error", errors.CommandRejected),
    Sw3.CARD_AUTH_SAM_FAILED: StatusInfo(
        "证/卡认证 SAM 失败", "card failed to authenticate the SAM", errors.CardAuthFailed
    ),
    Sw3.SAM_AUTH_CARD_FAILED: StatusInfo(
        "SAM 认证证/卡失败", "SAM failed to authenticate the card", errors.CardAuthFailed
    ),
    Sw3.INFO_VERIFY_FAILED: StatusInfo(
        "信息验证错误", "card data failed verification", errors.CardAuthFailed
    ),
    Sw3.UNKNOWN_CARD_TYPE: StatusInfo("无法识别的卡类型", "unrecognised card type", errors.UnknownCardType),
    Sw3.READ_FAILED: StatusInfo("读证/卡操作失败", "reading the card failed", errors.CardReadFailed),
    Sw3.RANDOM_FAILED: StatusInfo(
        "取随机数失败", "getting a random number from the card failed", errors.CardReadFailed
    ),
    Sw3.SAM_SELF_TEST_FAILED: StatusInfo(
        "SAM 自检失败，不能接收命令", "SAM self-test failed", errors.SamFault
    ),
    Sw3.SAM_NOT_AUTHORISED: StatusInfo(
        "SAM 没经过授权，无法使用", "SAM not authorised", errors.SamNotAuthorised
    ),
    Sw3.FIND_FAILED: StatusInfo("寻找证/卡失败", "no card found", None),
    Sw3.SELECT_FAILED: StatusInfo("选取证/卡失败", "selecting the card failed", errors.CardSelectFailed),
}


def describe(sw3: int) -> str:
    info = STATUS.get(sw3)
    return f"SW3=0x{sw3:02X} ({info.meaning_en})" if info else f"SW3=0x{sw3:02X} (undocumented)"


def error_for(sw3: int, context: str) -> errors.IdCardError:
    """The typed exception for a failure status; an undocumented SW3 is a CommandRejected with its value."""
    info = STATUS.get(sw3)
    detail = f"{context}: {describe(sw3)}"
    if info is None or info.error is None:
        return errors.CommandRejected(sw3, detail)
    return info.error(sw3, detail)
