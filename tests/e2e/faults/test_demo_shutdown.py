"""Ctrl-C at the terminal while staff are serving: the demo stops its actors, then its processes, with no
error. Before, SIGINT reached every child of the terminal's process group at once: agents died under staff
who were finishing a ticket ("errors 2"), and some agents hung, keeping the demo from exiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
STOP_BOUND_S = 20.0


def test_ctrl_c_under_load_ends_the_demo_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "demo.out"
    with log.open("wb") as out:
        # a session of its own, as a terminal gives: SIGINT goes to the whole process group
        demo = subprocess.Popen([sys.executable, "-m", "onevisit.cli", "demo", "--headless", "--rate", "120",
                                 "--workdir", str(tmp_path / "work")], stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while b"hall demo:" not in log.read_bytes():
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        time.sleep(5)  # staff are calling and finishing
        children = psutil.Process(demo.pid).children(recursive=True)
        assert len(children) >= 7  # broker, controller, five agents
        os.killpg(demo.pid, signal.SIGINT)
        started = time.monotonic()
        code = demo.wait(STOP_BOUND_S)
        took = time.monotonic() - started
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert '"errors": 0' in text, text[-3000:]
    assert took < STOP_BOUND_S
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE], "processes left"
