"""A throw-away machine inside this one: new mount, network and PID namespaces (``unshare``), with /etc, /var
and /opt as overlays whose changes land in a work folder, and a fresh /run. ``onevisit install`` can then
create users, write units and start services for real, and the host sees none of it; the network namespace
has only its own loopback, so the hall listens on its production ports (1883, 8883, 8443, 8080).

Use: ``sandbox_command(workdir, module, *args)`` gives the argv that runs ``python -m module args`` inside;
the module calls :func:`enter` first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OVERLAID = ("/etc", "/var", "/opt")


def can_sandbox() -> str | None:
    """None when the sandbox can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root (namespaces, overlay mounts, useradd)"
    if shutil.which("unshare") is None or shutil.which("setpriv") is None:
        return "unshare/setpriv missing (util-linux)"
    probe = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork", "--propagation", "private", "true"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"unshare refused: {probe.stderr.strip()}"
    return None


def sandbox_command(workdir: Path, module: str, *args: str) -> list[str]:
    return ["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation", "private",
            sys.executable, "-m", module, str(workdir), *args]


def _mount(*argv: str) -> None:
    subprocess.run(["mount", *argv], check=True)


def enter(workdir: Path) -> None:
    """Called first thing inside the namespaces: overlays, a fresh /run and /tmp/.X11-unix, loopback up."""
    for target in OVERLAID:
        layer = workdir / "layers" / target.strip("/")
        (layer / "upper").mkdir(parents=True, exist_ok=True)
        (layer / "work").mkdir(parents=True, exist_ok=True)
        _mount("-t", "overlay", "overlay", "-o",
               f"lowerdir={target},upperdir={layer / 'upper'},workdir={layer / 'work'}", target)
    _open_path_to(Path(sys.base_prefix), workdir)
    _open_path_to(ROOT, workdir)
    _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
    Path("/tmp/.X11-unix").mkdir(exist_ok=True)
    _mount("-t", "tmpfs", "-o", "mode=1777", "tmpfs", "/tmp/.X11-unix")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def _open_path_to(target: Path, workdir: Path) -> None:
    """The services' users must reach the interpreter and the checkout: a folder on the way that others may
    not enter (/root, with pyenv's Python in it) is overlaid and opened inside the sandbox only."""
    for folder in [*reversed(target.parents), target]:
        if folder.stat().st_mode & 0o001:
            continue
        if str(folder) not in OVERLAID:
            layer = workdir / "layers" / ("open" + str(folder).replace("/", "_"))
            (layer / "upper").mkdir(parents=True, exist_ok=True)
            (layer / "work").mkdir(parents=True, exist_ok=True)
            _mount("-t", "overlay", "overlay", "-o",
                   f"lowerdir={folder},upperdir={layer / 'upper'},workdir={layer / 'work'}", str(folder))
        os.chmod(folder, folder.stat().st_mode | 0o011)


def make_venv(python: Path) -> Path:
    """/opt/onevisit/.venv as the installer expects it, holding this checkout and the test venv's packages
    (the sandbox has no network to install them from; what matters here is the path the units name)."""
    venv = python.parent.parent
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir() and not p.startswith(
        str(venv)))
    (site / "onevisit-checkout.pth").write_text(f"{ROOT}\n{deps}\n")
    os.chmod(site / "onevisit-checkout.pth", 0o644)
    return venv / "bin" / "python"
