"""``onevisit demo`` (not headless) leaves window 1 to a person: log in with the printed account and call."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_leaves_window_1_to_staff_in_the_browser(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}  # no screen: citizens are scripted too
    proc = subprocess.Popen(
        [sys.executable, "-m", "onevisit", "demo", "--duration", "20", "--rate", "120", "--workdir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )
    assert proc.stdout is not None
    try:
        printed: list[str] = []
        for line in proc.stdout:
            printed.append(line)
            if "staff-w1" in line:
                break
        text = "".join(printed)
        url = re.search(r"pages on (http://\S+)", text)
        assert url, text
        assert "yours: log in and call the next ticket" in printed[-1]
        with httpx.Client(base_url=url.group(1), follow_redirects=True, timeout=10) as web:
            web.post("/login", data={"username": "staff-w1", "password": "demo-pass-1"})
            page = web.get("/terminal")
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            assert csrf, page.text[:500]
            assert "空闲" in page.text  # window 1 is free: nobody scripted sits there
            chosen = web.post("/terminal/window", data={"window_id": "W1", "csrf": csrf.group(1)})
            assert chosen.status_code == 200
            deadline = time.monotonic() + 15
            while True:  # the scripted citizens take tickets; call one for window 1
                called = web.post("/terminal/op/call-next", data={"csrf": csrf.group(1)},
                                  headers={"HX-Request": "true"})
                if called.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert called.status_code == 200, called.text
            assert "已呼叫" in called.text
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["errors"] == 0
    assert proc.returncode == 0
