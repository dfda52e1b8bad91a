"""The test side of the harness: start a UI process under Xvfb, send it control requests, compare screenshots."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageStat

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = Path(__file__).resolve().parent / "reference"
REFERENCE_SIZE = (135, 240)  # references are stored downscaled: small in git, blind to anti-aliasing noise


class UiError(AssertionError):
    pass


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as logf:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT)


class RemoteUi:
    def __init__(self, proc: subprocess.Popen[bytes], control: Path, log: Path) -> None:
        self.proc = proc
        self.control = control
        self.log = log
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    async def start(cls, env: dict[str, str], workdir: Path, ui_args: list[str], *, timeout: float = 30.0) -> RemoteUi:
        control = workdir / "control.sock"
        log = workdir / "ui.log"
        argv = [sys.executable, "-m", "tests.e2e.kiosk_ui.harness", "--control", str(control), "--", *ui_args]
        proc = await asyncio.to_thread(_spawn, argv, env, log)
        ui = cls(proc, control, log)
        deadline = time.monotonic() + timeout
        while not control.exists():
            if proc.poll() is not None:
                raise UiError(f"UI exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                proc.kill()
                raise UiError(f"UI did not start within {timeout}s:\n{log.read_text()[-4000:]}")
            await asyncio.sleep(0.05)
        ui._reader, ui._writer = await asyncio.open_unix_connection(str(control), limit=1 << 22)
        return ui

    async def call(self, op: str, **kw: Any) -> Any:
        assert self._writer is not None
        assert self._reader is not None
        self._writer.write(json.dumps({"op": op, **kw}).encode() + b"\n")
        await self._writer.drain()
        line = await asyncio.wait_for(self._reader.readline(), 30)
        if not line:
            raise UiError(f"UI closed the control socket:\n{self.log.read_text()[-4000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise UiError(f"{op} failed: {answer['error']}")
        return answer["result"]

    async def tap(self, ov_id: str) -> dict[str, Any]:
        state: dict[str, Any] = await self.call("tap", id=ov_id)
        return state

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.call("state")
        return state

    async def settle(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.call("settle")
        return state

    async def wait(self, what: str, cond: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            state = await self.settle()
            if cond(state):
                return state
            if time.monotonic() > deadline:
                raise UiError(f"timed out waiting for {what}; state: { {k: state.get(k) for k in _BRIEF} }")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> Path:
        return Path(await self.call("screenshot", path=str(path)))

    async def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the UI must exit cleanly
            try:
                await asyncio.to_thread(self.proc.wait, 15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._writer is not None:
            self._writer.close()
        return self.proc.returncode


_BRIEF = ("screen", "ticket_phase", "ticket_number", "fault", "idle_phase", "identified", "rating_phase",
          "window_phase", "connected", "online", "failed_tasks")


def without_tables(toml: str, names: set[str]) -> str:
    """``toml`` without the tables ``[name]`` of ``names`` (each from its header to the next header)."""
    kept: list[str] = []
    skipping = False
    for line in toml.splitlines(keepends=True):
        if (header := re.match(r"\s*\[([\w.]+)\]", line)) is not None:
            skipping = header.group(1) in names
        if not skipping:
            kept.append(line)
    return "".join(kept)


def kiosk_test_config(workdir: Path, extra: str = "") -> Path:
    """The demo kiosk.toml without its simulated camera: the sim camera shows a fixed code over and over,
    and tests hand the kiosk their own codes (through the same entry the camera's scanner uses). ``extra``:
    TOML tables that take the place of the demo's tables of the same name (``[announce]``, say)."""
    demo = ROOT / "configs" / "demo"
    text = (demo / "kiosk.toml").read_text()
    head, _, rest = text.partition("[devices.camera]")
    tail = rest[rest.index("[devices.", 1):]
    text = without_tables((head + tail).replace('configs_dir = "."', f'configs_dir = "{demo}"'),
                          set(re.findall(r"^\[([\w.]+)\]", extra, re.MULTILINE))) + extra
    path = workdir / "kiosk.toml"
    path.write_text(text)
    return path


def ui_env(display_env: dict[str, str]) -> dict[str, str]:
    env = dict(display_env)
    env["PYTHONPATH"] = str(ROOT)
    env["KIVY_NO_ARGS"] = "1"
    env["KIVY_HOME"] = str(Path(env.get("TMPDIR", "/tmp")) / "onevisit-kivy-home")
    env.pop("ONEVISIT_MAX_FPS", None)
    return env


def downscale(path: Path) -> Image.Image:
    image = Image.open(path).convert("RGB")
    # a landscape screen (a hall TV, an evaluator pad on its side) keeps its orientation in its reference
    size = REFERENCE_SIZE if image.height >= image.width else REFERENCE_SIZE[::-1]
    return image.resize(size, Image.Resampling.BOX)


def compare_with_reference(shot: Path, name: str, *, tolerance: float = 4.0, max_changed: float = 0.03) -> str:
    """Compare a screenshot with ``reference/NAME.png`` (downscaled); writes the reference when missing
    and ONEVISIT_UPDATE_REFERENCES=1. Returns a description; raises UiError when they differ."""
    small = downscale(shot)
    if keep := os.environ.get("ONEVISIT_SHOTS_DIR"):  # full-size copies, to look at by eye
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / f"{name}.png")
    ref_path = REFERENCE / f"{name}.png"
    if os.environ.get("ONEVISIT_UPDATE_REFERENCES") == "1":
        small.save(ref_path, optimize=True)
        return f"reference {name} written"
    if not ref_path.exists():
        raise UiError(f"no reference image {ref_path}; run with ONEVISIT_UPDATE_REFERENCES=1 and look at it")
    ref = Image.open(ref_path).convert("RGB")
    if ref.size != small.size:
        raise UiError(f"{name}: the reference is {ref.size}, the screenshot {small.size}: another orientation")
    diff = ImageChops.difference(small, ref)
    mean = sum(ImageStat.Stat(diff).mean) / 3
    changed = sum(1 for px in diff.convert("L").tobytes() if px > 48) / (small.size[0] * small.size[1])
    if mean > tolerance or changed > max_changed:
        diff.save(shot.with_name(shot.stem + "-diff.png"))
        raise UiError(f"{name}: screenshot differs from its reference (mean {mean:.2f}, {changed:.1%} of pixels "
                      f"changed; see {shot})")
    return f"{name}: mean diff {mean:.2f}, changed {changed:.2%}"


async def paper_out_said(ui: RemoteUi) -> None:
    """The printer's health round says it is out of paper now, and its notice (a modal over the screen, once a
    session) is dismissed: left to the 15-s round, it could cover the screen under any later tap."""
    state = await ui.call("check_health")
    if state["fault"] != "printer-paper-out":
        # the 15-s round got there first (a health report is made only when it changes), and the notice it
        # raised is gone with the session it was shown in: the kiosk knows, which is what this step is for
        assert "media-empty" in state["health"].get("receipt_printer", []), state
        return
    await ui.tap("fault.ok")
