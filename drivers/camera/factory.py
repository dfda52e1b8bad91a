"""``open_camera(config)``: the one place a camera config becomes a frame source."""

from __future__ import annotations

from drivers.camera.config import CameraConfig, Picamera2CameraConfig, SimCameraConfig, V4l2CameraConfig
from drivers.camera.frames import FrameSource
from drivers.camera.opencv import V4l2Camera
from drivers.camera.pi_camera import Picamera2Camera
from drivers.camera.sim import SimCamera


def open_camera(config: CameraConfig) -> FrameSource:
    """Builds the source; nothing is opened until ``await source.start()``."""
    if isinstance(config, V4l2CameraConfig):
        return V4l2Camera(config)
    if isinstance(config, Picamera2CameraConfig):
        return Picamera2Camera(config)
    if isinstance(config, SimCameraConfig):
        return SimCamera.from_config(config)
    raise TypeError(f"not a camera config: {type(config).__name__}")
