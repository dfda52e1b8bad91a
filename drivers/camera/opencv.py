"""Cameras read through OpenCV: ``V4l2Camera`` for a real device, ``OpenCvCamera`` for any other source
OpenCV can open (an image sequence or a video file, which is how the capture path is tested without a
camera)."""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from drivers.camera.config import V4l2CameraConfig
from drivers.camera.errors import CameraAbsent, CameraBackendMissing, CameraFault
from drivers.camera.frames import Pixels
from drivers.camera.threaded import ThreadedFrameSource

log = logging.getLogger(__name__)


def import_cv2() -> ModuleType:
    try:
        import cv2
    except ImportError as err:
        raise CameraBackendMissing(
            f"OpenCV is not importable ({err}); install the `camera` extra (opencv-python-headless)"
        ) from err
    return cv2


class OpenCvCamera(ThreadedFrameSource):
    """``cv2.VideoCapture(source, api_preference)`` read in a capture thread, frames converted to RGB."""

    def __init__(
        self,
        source: str | int,
        *,
        api_preference: int | None = None,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        fourcc: str = "",
        stall_timeout: float = 2.0,
        presence: Path | None = None,
        name: str | None = None,
    ) -> None:
        """``presence``: a path whose disappearance means the source is gone (the device node, the file);
        failed reads are then reported as ``CameraAbsent`` instead of waiting for the stall timeout."""
        super().__init__(stall_timeout=stall_timeout)
        self._source = source
        self._presence = presence
        self._api = api_preference
        self._width, self._height, self._fps, self._fourcc = width, height, fps, fourcc
        self._cap: Any = None
        self._cv2: ModuleType | None = None
        self.name = name or f"camera {source}"

    def _open_blocking(self) -> None:
        cv2 = self._cv2 = import_cv2()
        cap = cv2.VideoCapture(self._source, self._api if self._api is not None else cv2.CAP_ANY)
        if not cap.isOpened():
            cap.release()
            raise CameraFault(f"{self.name}: OpenCV could not open it as a camera")
        if self._fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self._fourcc))
        if self._width and self._height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._height)
        if self._fps:
            cap.set(cv2.CAP_PROP_FPS, self._fps)
        # A one-frame driver queue: a scanner wants the newest picture, not one from half a second ago.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        # Where the backend honours it, bound a read on a dead source so close() stays prompt.
        cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, 1000)
        self._cap = cap
        log.info(
            "%s: opened at %dx%d, %.0f fps",
            self.name,
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            cap.get(cv2.CAP_PROP_FPS),
        )

    def _grab_blocking(self) -> Pixels | None:
        assert self._cv2 is not None
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        if image.ndim == 2:
            rgb: Pixels = self._cv2.cvtColor(image, self._cv2.COLOR_GRAY2RGB)
        else:
            rgb = self._cv2.cvtColor(image, self._cv2.COLOR_BGR2RGB)
        return rgb

    def _close_blocking(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def _vanished(self) -> bool:
        return self._presence is not None and not self._presence.exists()


class V4l2Camera(OpenCvCamera):
    """A V4L2 device (USB/UVC or built-in) through OpenCV's V4L2 backend.

    A missing device node is ``CameraAbsent`` (health ``absent`` / ``camera-absent``) before OpenCV is even
    asked; a node that vanishes while streaming (cable pulled) ends the stream with ``CameraAbsent``.
    """

    def __init__(self, config: V4l2CameraConfig) -> None:
        device = config.device
        self.device_path = Path(f"/dev/video{device}" if isinstance(device, int) else device)
        super().__init__(
            device,
            width=config.width,
            height=config.height,
            fps=config.fps,
            fourcc=config.fourcc,
            stall_timeout=config.stall_timeout,
            presence=self.device_path,
            name=f"v4l2 camera {self.device_path}",
        )

    def _open_blocking(self) -> None:
        if not self.device_path.exists():
            raise CameraAbsent(f"{self.device_path} does not exist (camera unplugged, or a wrong path)")
        self._api = import_cv2().CAP_V4L2
        super()._open_blocking()
