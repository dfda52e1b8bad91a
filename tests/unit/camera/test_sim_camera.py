"""The simulated camera as a FrameSource, and each of its faults as a reader and health() see them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drivers.camera import (
    CameraAbsent,
    CameraFault,
    CameraNotStarted,
    CameraStalled,
    FrameSource,
    SimCameraConfig,
    SimFaultConfig,
    open_camera,
    self_test,
)
from drivers.camera.sim import SimCamera
from drivers.health import HealthState

from .pictures import read_until_error

FPS = 40.0
STALL = 0.25


def solid(value: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    return Image.new("RGB", size, (value, value, value))


def gradient(size: tuple[int, int] = (64, 48)) -> Image.Image:
    row = np.linspace(0, 255, size[0], dtype=np.uint8)
    return Image.fromarray(np.repeat(np.stack([row] * 3, axis=-1)[None, :, :], size[1], axis=0))


async def started(cam: SimCamera) -> SimCamera:
    await cam.start()
    return cam


@pytest.fixture
async def cam() -> AsyncIterator[SimCamera]:
    camera = await started(SimCamera([gradient(), solid(120)], fps=FPS, stall_timeout=STALL))
    yield camera
    await camera.close()


async def test_is_a_frame_source(cam: SimCamera) -> None:
    assert isinstance(cam, FrameSource)


async def test_frames_are_new_each_time_and_timestamped(cam: SimCamera) -> None:
    first = await cam.frame()
    second = await cam.frame()
    assert second.seq > first.seq
    assert second.ts > first.ts
    assert (first.width, first.height) == (64, 48)
    assert first.pixels.dtype == np.uint8
    assert first.pixels.shape == (48, 64, 3)
    assert (await cam.health()).state is HealthState.OK


async def test_capture_still_is_a_pil_image_without_stealing_frames(cam: SimCamera) -> None:
    before = await cam.frame()
    still = await cam.capture_still()
    after = await cam.frame()
    assert isinstance(still, Image.Image)
    assert still.size == (64, 48)
    assert after.seq > before.seq


async def test_not_started_and_closed_are_caller_errors() -> None:
    camera = SimCamera([solid(100)], fps=FPS)
    with pytest.raises(CameraNotStarted):
        await camera.frame()
    assert (await camera.health()).state is HealthState.ABSENT
    await camera.start()
    await camera.frame()
    await camera.close()
    await camera.close()  # twice is fine
    with pytest.raises(CameraNotStarted):
        await camera.frame()


async def test_stalled_stream_raises_after_the_timeout_and_recovers(cam: SimCamera) -> None:
    await cam.frame()
    cam.stall()
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(CameraStalled):
        await cam.frame()
    assert STALL * 0.9 <= loop.time() - began < STALL * 4
    health = await cam.health()
    assert health.state is HealthState.FAULT
    assert health.reasons == ("camera-stalled",)
    cam.resume()
    await cam.frame()
    assert (await cam.health()).state is HealthState.OK


async def test_vanished_device_wakes_a_waiting_reader_at_once(cam: SimCamera) -> None:
    await cam.frame()
    cam.stall()
    waiter = asyncio.create_task(cam.frame())
    await asyncio.sleep(0)  # let the reader start waiting
    cam.vanish()
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(CameraAbsent) as caught:
        await waiter
    assert loop.time() - began < STALL / 2  # not via the stall timeout
    assert caught.value.reason == "camera-absent"
    health = await cam.health()
    assert (health.state, health.reasons) == (HealthState.ABSENT, ("camera-absent",))


async def test_vanished_device_cannot_be_reopened_until_it_reappears(cam: SimCamera) -> None:
    cam.vanish()
    with pytest.raises(CameraAbsent):
        await cam.frame()
    with pytest.raises(CameraAbsent):
        await cam.start()
    assert (await cam.health()).reasons == ("camera-absent",)
    cam.reappear()
    await cam.start()
    await cam.frame()
    assert (await cam.health()).state is HealthState.OK


async def test_blank_frames_are_black_and_make_health_dark(cam: SimCamera) -> None:
    cam.blank()
    await cam.frame()
    frame = await cam.frame()
    assert not frame.pixels.any()
    health = await cam.health()
    assert (health.state, health.reasons) == (HealthState.DEGRADED, ("camera-dark",))
    cam.blank(False)
    await cam.frame()
    await cam.frame()
    assert (await cam.health()).state is HealthState.OK


async def test_without_looping_the_end_of_the_images_is_a_stall() -> None:
    camera = await started(SimCamera([solid(90), solid(91)], fps=FPS, stall_timeout=STALL, loop=False))
    try:
        frames, error = await read_until_error(camera)
    finally:
        await camera.close()
    assert [int(f.pixels[0, 0, 0]) for f in frames] == [90, 91]
    assert isinstance(error, CameraStalled)


async def test_scripted_faults_from_config() -> None:
    config = SimCameraConfig(
        codes=("x",), hold_frames=1, width=64, height=64, fps=FPS, stall_timeout=STALL,
        faults=(
            SimFaultConfig(at_frame=3, kind="blank", frames=2),
            SimFaultConfig(at_frame=8, kind="stall", frames=4),
            SimFaultConfig(at_frame=15, kind="vanish"),
        ),
    )
    camera = open_camera(config)
    assert isinstance(camera, SimCamera)
    await camera.start()
    frames, error = await read_until_error(camera)
    await camera.close()
    assert isinstance(error, CameraAbsent)
    seen = [(f.seq, f.ts, bool(f.pixels.any())) for f in frames]
    assert camera.ticks == 15
    blanks = [seq for seq, _, lit in seen if not lit]
    assert blanks == [3, 4]
    # ticks 8-11 send nothing, so the frame after seq 7 arrives about five intervals later (the
    # producer catches up on a late tick, hence the margin)
    ts = {seq: t for seq, t, _ in seen}
    assert sorted(ts) == list(range(1, 11))
    assert ts[8] - ts[7] >= 3.5 / FPS


async def test_folder_source_in_name_order(tmp_path: Path) -> None:
    for name, value in (("b.png", 20), ("a.png", 10), ("c.jpg", 30)):
        solid(value).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    camera = open_camera(SimCameraConfig(folder=str(tmp_path), fps=FPS, loop=False, stall_timeout=STALL))
    await camera.start()
    frames, error = await read_until_error(camera)
    await camera.close()
    assert isinstance(error, CameraStalled)
    values = [int(f.pixels[0, 0, 0]) for f in frames]
    assert values[:2] == [10, 20]
    assert abs(values[2] - 30) <= 2  # JPEG


async def test_missing_folder_and_broken_image(tmp_path: Path) -> None:
    missing = open_camera(SimCameraConfig(folder=str(tmp_path / "nope")))
    with pytest.raises(CameraAbsent):
        await missing.start()
    assert (await missing.health()).reasons == ("camera-absent",)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    broken = open_camera(SimCameraConfig(folder=str(tmp_path)))
    with pytest.raises(CameraFault):
        await broken.start()
    health = await broken.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("camera-fault",))


async def test_self_test_reports_resolution_and_brightness(cam: SimCamera) -> None:
    report = await self_test(cam)
    assert (report.width, report.height) == (64, 48)
    assert report.health.state is HealthState.OK
    assert 50 < report.brightness < 200
    assert report.as_dict()["state"] == "ok"


async def test_self_test_dark_blank_stalled_and_absent(cam: SimCamera) -> None:
    cam.blank()
    await cam.frame()
    dark = await self_test(cam)
    assert (dark.health.state, dark.health.reasons) == (HealthState.DEGRADED, ("camera-dark",))
    assert dark.brightness == 0
    cam.blank(False)
    cam.stall()
    stalled = await self_test(cam)
    assert (stalled.health.state, stalled.health.reasons) == (HealthState.FAULT, ("camera-stalled",))
    cam.vanish()
    absent = await self_test(cam)
    assert (absent.health.state, absent.health.reasons) == (HealthState.ABSENT, ("camera-absent",))

    white = await started(SimCamera([solid(250)], fps=FPS))
    try:
        report = await self_test(white)
    finally:
        await white.close()
    assert (report.health.state, report.health.reasons) == (HealthState.DEGRADED, ("camera-blank",))


async def test_constructor_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SimCamera()
    with pytest.raises(ValueError, match="empty"):
        SimCamera([])
    with pytest.raises(ValueError, match="fps"):
        SimCamera([solid(1)], fps=0)
