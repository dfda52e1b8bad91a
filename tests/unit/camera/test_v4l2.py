"""The V4L2 adapter where no camera exists: typed errors and honest health, never a hang or a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.camera import CameraAbsent, CameraFault, CameraNotStarted, V4l2CameraConfig, open_camera
from drivers.camera.opencv import OpenCvCamera
from drivers.health import HealthState

MISSING = "/dev/onevisit-test-no-such-video-device"


async def test_missing_device_path_is_absent() -> None:
    camera = open_camera(V4l2CameraConfig(device=MISSING))
    with pytest.raises(CameraAbsent) as caught:
        await camera.start()
    assert MISSING in str(caught.value)
    assert caught.value.reason == "camera-absent"
    health = await camera.health()
    assert (health.state, health.reasons) == (HealthState.ABSENT, ("camera-absent",))
    with pytest.raises(CameraNotStarted):
        await camera.frame()
    with pytest.raises(CameraNotStarted):
        await camera.capture_still()
    await camera.close()


def free_video_index() -> int:
    return next(i for i in range(63, -1, -1) if not Path(f"/dev/video{i}").exists())


async def test_missing_device_index_is_absent() -> None:
    index = free_video_index()
    camera = open_camera(V4l2CameraConfig(device=index))
    with pytest.raises(CameraAbsent, match=f"/dev/video{index}"):
        await camera.start()
    assert (await camera.health()).state is HealthState.ABSENT


async def test_a_node_that_is_not_a_camera_is_a_fault() -> None:
    camera = open_camera(V4l2CameraConfig(device="/dev/null"))
    with pytest.raises(CameraFault):
        await camera.start()
    health = await camera.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("camera-fault",))


async def test_opening_runs_off_the_event_loop() -> None:
    """A heartbeat on the loop keeps ticking while the adapter opens (it is in a worker thread)."""
    beats = 0

    async def heartbeat() -> None:
        nonlocal beats
        while True:
            beats += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(heartbeat())
    camera = OpenCvCamera("/dev/null", name="not a camera")
    with pytest.raises(CameraFault):
        await camera.start()
    task.cancel()
    assert beats > 1
