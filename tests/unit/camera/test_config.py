"""Camera config: the ``driver`` tag picks the struct, unknown keys and bad values name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.camera import (
    Picamera2CameraConfig,
    SimCameraConfig,
    V4l2CameraConfig,
    open_camera,
)
from drivers.camera.config import CameraSection
from drivers.camera.opencv import V4l2Camera
from drivers.camera.pi_camera import Picamera2Camera
from drivers.camera.sim import SimCamera
from hall_protocol.config_files import ConfigError, load_toml


def load(tmp_path: Path, body: str) -> CameraSection:
    path = tmp_path / "camera.toml"
    path.write_text("[camera]\n" + body, encoding="utf-8")
    return load_toml(path, CameraSection)


def test_each_driver_loads(tmp_path: Path) -> None:
    v4l2 = load(tmp_path, 'driver = "v4l2"\ndevice = "/dev/video2"\nwidth = 640\nheight = 480\nfps = 30\n')
    assert v4l2.camera == V4l2CameraConfig(device="/dev/video2", width=640, height=480, fps=30)
    assert load(tmp_path, 'driver = "v4l2"\ndevice = 1\n').camera == V4l2CameraConfig(device=1)
    assert load(tmp_path, 'driver = "picamera2"\ncamera_num = 1\n').camera == Picamera2CameraConfig(camera_num=1)
    sim = load(tmp_path, 'driver = "sim"\ncodes = ["a", "b"]\n[[camera.faults]]\nat_frame = 5\nkind = "stall"\n')
    assert isinstance(sim.camera, SimCameraConfig)
    assert sim.camera.codes == ("a", "b")
    assert sim.camera.faults[0].kind == "stall"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ('driver = "v4l2"\ndevcie = "/dev/video0"\n', "camera.devcie", "unknown key"),
        ('driver = "usb"\n', "camera.driver", "usb"),
        ('driver = "v4l2"\nwidth = "wide"\n', "camera.width", "Expected `int`"),
        ('driver = "v4l2"\ndevice = "video0"\n', "camera", "under /dev/"),
        ('driver = "v4l2"\ndevice = 99\n', "camera", "0 … 63"),
        ('driver = "v4l2"\nfourcc = "MJPEG"\n', "camera", "four ASCII"),
        ('driver = "v4l2"\nfps = 0\n', "camera", "fps"),
        ('driver = "v4l2"\nwidth = 8\n', "camera", "width/height"),
        ('driver = "v4l2"\nfps = 5\nstall_timeout = 0.1\n', "camera", "stall_timeout"),
        ('driver = "picamera2"\ncamera_num = 9\n', "camera", "camera_num"),
        ('driver = "sim"\n', "camera", "exactly one"),
        ('driver = "sim"\nfolder = "/x"\ncodes = ["a"]\n', "camera", "exactly one"),
        (
            'driver = "sim"\ncodes = ["a"]\n[[camera.faults]]\nat_frame = 0\nkind = "stall"\n',
            "camera.faults[0]",
            "at_frame",
        ),
        (
            'driver = "sim"\ncodes = ["a"]\n[[camera.faults]]\nat_frame = 1\nkind = "melt"\n',
            "camera.faults[0].kind",
            "melt",
        ),
    ],
)
def test_bad_configs_name_the_problem(tmp_path: Path, body: str, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, body)
    problem = caught.value.problems[0]
    assert problem.field == field
    assert words in str(caught.value)
    assert "camera.toml" in str(caught.value)


def test_factory_builds_the_configured_driver(tmp_path: Path) -> None:
    assert isinstance(open_camera(V4l2CameraConfig()), V4l2Camera)
    assert isinstance(open_camera(Picamera2CameraConfig()), Picamera2Camera)
    assert isinstance(open_camera(SimCameraConfig(codes=("x",))), SimCamera)
    assert isinstance(open_camera(SimCameraConfig(folder=str(tmp_path))), SimCamera)
    with pytest.raises(TypeError):
        open_camera("v4l2")  # type: ignore[arg-type]
