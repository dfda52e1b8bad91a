"""The camera's hardware self-test, run at provisioning and from the console: take one frame and report
its resolution and brightness."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from drivers.camera.errors import CameraError
from drivers.camera.frames import FrameSource, brightness_spread, mean_brightness
from drivers.camera.health_rules import CAMERA_BLANK, CAMERA_DARK, DARK_THRESHOLD, health_for_error
from drivers.health import HealthState, PeripheralHealth

# A frame with almost no variation (spread in luma steps) is a blank picture, whatever its brightness.
BLANK_SPREAD = 2.0


@dataclass(frozen=True)
class CameraSelfTest:
    health: PeripheralHealth
    width: int = 0
    height: int = 0
    brightness: float = 0.0  # mean luma, 0 … 255
    seconds: float = 0.0  # how long the frame took to arrive

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.health.state.value,
            "reasons": list(self.health.reasons),
            "detail": self.health.detail,
            "width": self.width,
            "height": self.height,
            "brightness": round(self.brightness, 1),
            "seconds": round(self.seconds, 3),
        }


async def self_test(source: FrameSource, *, dark_threshold: float = DARK_THRESHOLD) -> CameraSelfTest:
    """Never raises for a camera problem: it is reported in ``health``. The source must be started
    (a source that fails to start is reported by its own ``health()``)."""
    began = time.monotonic()
    try:
        frame = await source.frame()
    except CameraError as err:
        return CameraSelfTest(health=health_for_error(err), seconds=time.monotonic() - began)
    elapsed = time.monotonic() - began
    brightness, spread = await asyncio.to_thread(
        lambda: (mean_brightness(frame.pixels), brightness_spread(frame.pixels))
    )
    size = f"{frame.width}x{frame.height}"
    if brightness < dark_threshold:
        health = PeripheralHealth(
            state=HealthState.DEGRADED,
            reasons=(CAMERA_DARK,),
            detail=f"{size}, mean brightness {brightness:.0f}/255: lens covered or no light",
        )
    elif spread < BLANK_SPREAD:
        health = PeripheralHealth(
            state=HealthState.DEGRADED,
            reasons=(CAMERA_BLANK,),
            detail=f"{size}, uniform picture (brightness {brightness:.0f}/255): lens covered or sensor fault",
        )
    else:
        detail = f"{size}, mean brightness {brightness:.0f}/255"
        health = PeripheralHealth(state=HealthState.OK, detail=detail)
    return CameraSelfTest(
        health=health, width=frame.width, height=frame.height, brightness=brightness, seconds=elapsed
    )
