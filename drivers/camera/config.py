"""Camera configuration: one strict struct per driver, chosen by the ``driver`` field.

```toml
[camera]
driver = "v4l2"            # or "picamera2", or "sim"
device = "/dev/video0"     # a path (``/dev/v4l/by-id/…`` survives re-plugging) or an index
width = 1280
height = 720
fps = 15
```
"""

from __future__ import annotations

from typing import Literal

from hall_protocol.config_files import ConfigStruct

SimFaultKind = Literal["stall", "vanish", "blank"]


def _check_stream(width: int, height: int, fps: float, stall_timeout: float) -> None:
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ValueError(f"width/height {width}x{height} must each be between 16 and 8192 pixels")
    if not 0 < fps <= 120:
        raise ValueError(f"fps {fps} must be above 0 and at most 120")
    if stall_timeout < 2 / fps:
        raise ValueError(
            f"stall_timeout {stall_timeout} s must cover at least two frame intervals ({2 / fps:.2f} s)"
        )


class V4l2CameraConfig(ConfigStruct, frozen=True, tag_field="driver", tag="v4l2"):
    """A USB/UVC or built-in camera through OpenCV's V4L2 backend."""

    device: str | int = "/dev/video0"
    """Device node path, or the N of /dev/videoN."""
    width: int = 1280
    height: int = 720
    fps: int = 15
    """Asked of the camera; it may deliver fewer. Scanning needs ~10."""
    fourcc: str = ""
    """Pixel format to ask for, e.g. "MJPG" (most USB cameras reach 720p at full rate only in MJPG);
    empty keeps the camera's default."""
    stall_timeout: float = 2.0
    """Seconds without a new frame before the stream counts as stalled."""

    def __post_init__(self) -> None:
        if self.fourcc and (len(self.fourcc) != 4 or not self.fourcc.isascii()):
            raise ValueError(f"fourcc {self.fourcc!r} must be four ASCII characters, e.g. \"MJPG\"")
        if isinstance(self.device, int) and not 0 <= self.device <= 63:
            raise ValueError(f"device index {self.device} must be 0 … 63")
        if isinstance(self.device, str) and not self.device.startswith("/dev/"):
            raise ValueError(f"device {self.device!r} must be a path under /dev/ or an index")
        _check_stream(self.width, self.height, self.fps, self.stall_timeout)


class Picamera2CameraConfig(ConfigStruct, frozen=True, tag_field="driver", tag="picamera2"):
    """A Raspberry Pi camera module through picamera2 (libcamera)."""

    camera_num: int = 0
    width: int = 1280
    height: int = 720
    fps: int = 15
    stall_timeout: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.camera_num <= 7:
            raise ValueError(f"camera_num {self.camera_num} must be 0 … 7")
        _check_stream(self.width, self.height, self.fps, self.stall_timeout)


class SimFaultConfig(ConfigStruct, frozen=True):
    """A scripted fault: from frame ``at_frame`` on, ``kind`` happens for ``frames`` frame intervals
    (0 = until the simulator is told otherwise)."""

    at_frame: int
    kind: SimFaultKind
    frames: int = 0

    def __post_init__(self) -> None:
        if self.at_frame < 1 or self.frames < 0:
            raise ValueError(f"fault at_frame {self.at_frame} must be ≥ 1 and frames {self.frames} ≥ 0")


class SimCameraConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    """A simulated camera: loops over the PNG/JPEG files of ``folder`` (sorted by name), or over QR codes
    generated for ``codes``, at ``fps``; ``faults`` script stalls, disappearance and blank frames."""

    folder: str | None = None
    codes: tuple[str, ...] = ()
    """Texts to show as QR codes, one per frame, each held for ``hold_frames`` frames."""
    hold_frames: int = 5
    width: int = 640
    height: int = 480
    fps: float = 10.0
    stall_timeout: float = 2.0
    loop: bool = True
    """At the end of the images: start again (True) or stop sending, which is a stalled stream (False)."""
    faults: tuple[SimFaultConfig, ...] = ()

    def __post_init__(self) -> None:
        if (self.folder is None) == (not self.codes):
            raise ValueError("a sim camera needs exactly one of `folder` or `codes`")
        if self.hold_frames < 1:
            raise ValueError(f"hold_frames {self.hold_frames} must be ≥ 1")
        _check_stream(self.width, self.height, self.fps, self.stall_timeout)


CameraConfig = V4l2CameraConfig | Picamera2CameraConfig | SimCameraConfig


class CameraSection(ConfigStruct, frozen=True):
    """Wrapper for a file whose only table is ``[camera]``."""

    camera: CameraConfig
