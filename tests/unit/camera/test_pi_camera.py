"""picamera2 cannot run here (no Raspberry Pi camera): only the missing-module path is tested."""

from __future__ import annotations

import sys

import pytest

from drivers.camera import CameraBackendMissing, Picamera2CameraConfig, open_camera
from drivers.health import HealthState


async def test_missing_picamera2_module_is_a_clear_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)  # makes `import picamera2` fail everywhere
    camera = open_camera(Picamera2CameraConfig())
    with pytest.raises(CameraBackendMissing) as caught:
        await camera.start()
    assert "python3-picamera2" in str(caught.value)
    assert caught.value.reason == "camera-backend-missing"
    health = await camera.health()
    assert (health.state, health.reasons) == (HealthState.FAULT, ("camera-backend-missing",))
