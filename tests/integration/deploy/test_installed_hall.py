"""`onevisit install` on a (sandboxed) machine, then the installed units run exactly as written.

systemd is not PID 1 here, so the sandbox is made with unshare (mount, network and PID namespaces, overlays on
/etc, /var and /opt: see sandbox.py) and each unit's ExecStart runs with its user, environment, directories,
notify socket and watchdog (unit_runner.py). The stages are in installed_hall.py."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.components import unavailable
from tests.integration.deploy.sandbox import ROOT, can_sandbox, sandbox_command

pytestmark = pytest.mark.integration


def test_install_hall_and_kiosk_enrol_take_a_ticket_back_up_and_uninstall(tmp_path: Path) -> None:
    if (why := can_sandbox()) is not None:
        unavailable("sandbox for the install test", why)
    out = subprocess.run(sandbox_command(tmp_path, "tests.integration.deploy.installed_hall"), cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    print(out.stdout[-6000:])
    assert out.returncode == 0, out.stdout[-8000:] + out.stderr[-4000:]
    assert "SANDBOX OK" in out.stdout
