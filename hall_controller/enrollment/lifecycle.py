"""A device slot's life, as one transition table (sans-IO: no storage, no clock)."""

from __future__ import annotations

from enum import StrEnum

from hall_controller.enrollment.errors import IllegalTransition


class DeviceStatus(StrEnum):
    PENDING = "pending"  # slot created, waiting for a device to enrol with its code
    PROVISIONED = "provisioned"  # a device holds this slot's certificate and broker credentials
    ONLINE = "online"  # its agent is connected (birth message seen)
    OFFLINE = "offline"  # its agent went away (last will or clean offline)
    RETIRED = "retired"  # credentials revoked; a new code makes the slot pending again (a replacement)


class SlotEvent(StrEnum):
    NEW_CODE = "new-code"
    ENROLLED = "enrolled"
    CAME_ONLINE = "came-online"
    WENT_OFFLINE = "went-offline"
    RETIRE = "retire"


S, E = DeviceStatus, SlotEvent
_LIVE = (S.PROVISIONED, S.ONLINE, S.OFFLINE)

TRANSITIONS: dict[tuple[DeviceStatus, SlotEvent], DeviceStatus] = {
    (S.PENDING, E.NEW_CODE): S.PENDING,
    (S.RETIRED, E.NEW_CODE): S.PENDING,
    (S.PENDING, E.ENROLLED): S.PROVISIONED,
    (S.PENDING, E.RETIRE): S.RETIRED,
    # A replacement device may be enrolled into a live slot: the old identity is revoked at that moment,
    # so until then the slot keeps its state.
    **{(s, E.NEW_CODE): s for s in _LIVE},
    **{(s, E.ENROLLED): S.PROVISIONED for s in _LIVE},
    **{(s, E.CAME_ONLINE): S.ONLINE for s in _LIVE},
    **{(s, E.WENT_OFFLINE): S.OFFLINE for s in _LIVE},
    **{(s, E.RETIRE): S.RETIRED for s in _LIVE},
}

_ZH = {
    S.PENDING: "待接入",
    S.PROVISIONED: "已签发",
    S.ONLINE: "在线",
    S.OFFLINE: "离线",
    S.RETIRED: "已停用",
}


def status_zh(status: DeviceStatus) -> str:
    return _ZH[status]


def next_status(current: DeviceStatus, event: SlotEvent) -> DeviceStatus:
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(
            f"a {current.value} device cannot take the event {event.value}",
            f"设备当前状态为“{_ZH[current]}”，不能执行该操作。",
        ) from None
