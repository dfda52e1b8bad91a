"""A Raspberry Pi camera module through picamera2 (libcamera).

Only runs on a Raspberry Pi with ``python3-picamera2`` from Raspberry Pi OS (apt; the PyPI wheel needs the
system libcamera). Not exercised by this repository's tests beyond the "module missing" path: there is no
Pi camera on the build machines.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import numpy as np

from drivers.camera.config import Picamera2CameraConfig
from drivers.camera.errors import CameraAbsent, CameraBackendMissing, CameraFault
from drivers.camera.frames import Pixels
from drivers.camera.threaded import ThreadedFrameSource

log = logging.getLogger(__name__)


def import_picamera2() -> ModuleType:
    try:
        import picamera2  # type: ignore[import-not-found, unused-ignore]
    except ImportError as err:
        raise CameraBackendMissing(
            f"picamera2 is not importable ({err}); on Raspberry Pi OS: apt install python3-picamera2, "
            "and create the virtualenv with --system-site-packages"
        ) from err
    module: ModuleType = picamera2
    return module


class Picamera2Camera(ThreadedFrameSource):
    def __init__(self, config: Picamera2CameraConfig) -> None:
        super().__init__(stall_timeout=config.stall_timeout)
        self._config = config
        self._cam: Any = None
        self.name = f"pi camera {config.camera_num}"

    def _open_blocking(self) -> None:
        picamera2 = import_picamera2()
        cameras = picamera2.Picamera2.global_camera_info()
        if self._config.camera_num >= len(cameras):
            raise CameraAbsent(f"{self.name}: libcamera lists {len(cameras)} camera(s)")
        try:
            cam = picamera2.Picamera2(self._config.camera_num)
            # libcamera names formats by word order: "BGR888" arrives as [R, G, B] per pixel in numpy.
            video = cam.create_video_configuration(
                main={"size": (self._config.width, self._config.height), "format": "BGR888"},
                controls={"FrameRate": float(self._config.fps)},
                buffer_count=2,
            )
            cam.configure(video)
            cam.start()
        except Exception as err:  # picamera2 raises RuntimeError/IndexError/libcamera errors alike
            raise CameraFault(f"{self.name}: could not start: {err!r}") from err
        self._cam = cam

    def _grab_blocking(self) -> Pixels | None:
        array = self._cam.capture_array("main")
        if array is None or array.ndim != 3 or array.shape[2] < 3:
            return None
        rgb: Pixels = np.ascontiguousarray(array[:, :, :3], dtype=np.uint8)
        return rgb

    def _close_blocking(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            cam.stop()
            cam.close()
