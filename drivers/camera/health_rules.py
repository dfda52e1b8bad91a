"""How a camera's state maps onto the one health shape (``PeripheralHealth``) and its reason codes."""

from __future__ import annotations

from drivers.camera.errors import CameraAbsent, CameraError, CameraNotStarted, CameraStalled
from drivers.camera.frames import LatestFrame, mean_brightness
from drivers.health import HealthState, PeripheralHealth

CAMERA_DARK = "camera-dark"
CAMERA_BLANK = "camera-blank"

# Mean luma below this (of 255) is a covered lens, a dead sensor or a switched-off light.
DARK_THRESHOLD = 16.0


def health_for_error(err: CameraError) -> PeripheralHealth:
    state = HealthState.ABSENT if isinstance(err, CameraAbsent) else HealthState.FAULT
    return PeripheralHealth(state=state, reasons=(err.reason,), detail=str(err))


def streaming_health(
    mailbox: LatestFrame, *, started_at: float | None, now: float, dark_threshold: float = DARK_THRESHOLD
) -> PeripheralHealth:
    """The rule every open source shares: failure > not started > stalled > dark > ok.

    A source that has just started is given one stall timeout to deliver its first frame.
    """
    if mailbox.error is not None and not isinstance(mailbox.error, CameraNotStarted):
        return health_for_error(mailbox.error)
    if started_at is None:
        return PeripheralHealth(state=HealthState.ABSENT, reasons=(CameraAbsent.reason,), detail="not started")
    latest = mailbox.latest
    since = started_at if latest is None or latest.ts < started_at else latest.ts
    if now - since > mailbox.stall_timeout:
        what = "no frame since start" if since == started_at else "no new frame"
        return PeripheralHealth(
            state=HealthState.FAULT, reasons=(CameraStalled.reason,), detail=f"{what} for {now - since:.1f} s"
        )
    if latest is not None:
        brightness = mean_brightness(latest.pixels)
        if brightness < dark_threshold:
            detail = f"mean brightness {brightness:.0f}/255"
            return PeripheralHealth(state=HealthState.DEGRADED, reasons=(CAMERA_DARK,), detail=detail)
    return PeripheralHealth.ok()
