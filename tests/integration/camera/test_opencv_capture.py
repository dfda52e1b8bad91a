"""The real OpenCV capture path (capture thread, BGR→RGB, end of stream as a stall) and real zxing-cpp,
fed from an image sequence and an MJPEG video written to a temp folder, since this machine has no camera.

A real V4L2 camera is exercised only when ONEVISIT_CAMERA_DEVICE names one (e.g. /dev/video0).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drivers.camera import (
    CameraAbsent,
    CameraNotStarted,
    CameraStalled,
    QrScanner,
    V4l2CameraConfig,
    appointment_code,
    open_camera,
    self_test,
)
from drivers.camera.opencv import OpenCvCamera, import_cv2
from drivers.health import HealthState
from tests.unit.camera.pictures import empty_scene, read_until_error, scene

pytestmark = pytest.mark.integration

APPT = appointment_code("demo", "ITEST-1")
RED = (230, 20, 20)
Maker = Callable[[Path], tuple[str, int]]


def frames() -> list[Image.Image]:
    """Four empty frames, then four with the code; every frame has a red patch at the top right."""
    empty, marked = empty_scene(), scene(APPT, rotate=15, noise=8.0)
    for image in (empty, marked):
        image.paste(Image.new("RGB", (40, 40), RED), (590, 10))
    return [empty] * 4 + [marked] * 4


def write_sequence(folder: Path) -> tuple[str, int]:
    for i, image in enumerate(frames()):
        image.save(folder / f"frame{i:03d}.png")
    return str(folder / "frame%03d.png"), import_cv2().CAP_IMAGES


def write_mjpeg(folder: Path) -> tuple[str, int]:
    cv2 = import_cv2()
    path = folder / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480))
    if not writer.isOpened():
        pytest.fail("OpenCV could not write an MJPEG clip", pytrace=False)
    for image in frames():
        writer.write(cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path), cv2.CAP_FFMPEG


@pytest.mark.parametrize("make", [write_sequence, write_mjpeg], ids=["png-sequence", "mjpeg-clip"])
async def test_capture_thread_scan_and_end_of_stream(tmp_path: Path, make: Maker) -> None:
    source, api = make(tmp_path)
    camera = OpenCvCamera(source, api_preference=api, stall_timeout=0.5, name="clip")
    await camera.start()
    try:
        async with asyncio.timeout(10):
            codes = await QrScanner(camera).next_codes()
        assert [c.text for c in codes] == [APPT]
        _, error = await read_until_error(camera)
        assert isinstance(error, CameraStalled)  # the clip has ended: no new frames
        health = await camera.health()
        assert (health.state, health.reasons) == (HealthState.FAULT, ("camera-stalled",))
    finally:
        await camera.close()
    assert (await camera.health()).detail == "not started"
    with pytest.raises(CameraNotStarted):
        await camera.frame()


@pytest.mark.parametrize("make", [write_sequence, write_mjpeg], ids=["png-sequence", "mjpeg-clip"])
async def test_frames_reach_readers_in_rgb_order(tmp_path: Path, make: Maker) -> None:
    source, api = make(tmp_path)
    camera = OpenCvCamera(source, api_preference=api, stall_timeout=0.5, name="clip")
    await camera.start()
    try:
        async with asyncio.timeout(10):
            frame = await camera.frame()
    finally:
        await camera.close()
    assert (frame.width, frame.height) == (640, 480)
    r, g, b = (int(v) for v in frame.pixels[30, 610])
    assert r > 180
    assert g < 80
    assert b < 80


async def test_source_that_vanishes_mid_stream_is_absent_and_can_be_reopened(tmp_path: Path) -> None:
    source, api = write_sequence(tmp_path)
    presence = tmp_path / "frame000.png"
    camera = OpenCvCamera(source, api_preference=api, stall_timeout=5.0, presence=presence, name="clip")
    await camera.start()
    try:
        async with asyncio.timeout(5):
            await camera.frame()
        presence.unlink()  # the capture thread sees failed reads and the source gone
        loop = asyncio.get_running_loop()
        began = loop.time()
        _, error = await read_until_error(camera)
        assert isinstance(error, CameraAbsent)
        assert loop.time() - began < 2.0  # reported as gone, not left to the 5 s stall timeout
        health = await camera.health()
        assert (health.state, health.reasons) == (HealthState.ABSENT, ("camera-absent",))
        frames()[0].save(presence)  # plugged back in
        await camera.start()
        async with asyncio.timeout(5):
            await camera.frame()
        assert (await camera.health()).state is HealthState.OK
    finally:
        await camera.close()


async def test_real_v4l2_camera_when_one_is_named() -> None:
    device = os.environ.get("ONEVISIT_CAMERA_DEVICE")
    if not device:
        pytest.skip("no camera on this machine; set ONEVISIT_CAMERA_DEVICE=/dev/videoN to run against one")
    camera = open_camera(V4l2CameraConfig(device=device, width=640, height=480, fps=15))
    await camera.start()
    try:
        report = await self_test(camera)
        assert report.width > 0
        assert report.height > 0
        assert report.health.state in (HealthState.OK, HealthState.DEGRADED)
        still = await camera.capture_still()
        assert still.size == (report.width, report.height)
    finally:
        await camera.close()
