"""The steps ``onevisit install`` is made of: each knows whether the machine already is as it wants
(``needed``) and how to get there (``apply``). Users and groups, folders and files with their owner and mode,
Debian packages, and systemd (told only when it runs: in a container or a sandbox the files are laid down and
nothing is started)."""

from __future__ import annotations

import grp
import logging
import os
import pwd
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)


class InstallError(Exception):
    """The installation cannot go on; the message says why and what to do."""


@dataclass
class Step:
    what: str
    needed: Callable[[], bool]
    apply: Callable[[], None]


def uid(user: str) -> int:
    return pwd.getpwnam(user).pw_uid


def gid(group: str) -> int:
    return grp.getgrnam(group).gr_gid


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def run(argv: Sequence[str]) -> None:
    log.info("running %s", " ".join(argv))
    out = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise InstallError(f"`{' '.join(argv)}` failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")


def owned(path: Path, mode: int, owner: str, group: str) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    return (st.st_mode & 0o7777 == mode and user_exists(owner) and st.st_uid == uid(owner)
            and group_exists(group) and st.st_gid == gid(group))


def group_step(name: str) -> Step:
    return Step(f"create system group {name}", lambda: not group_exists(name),
                lambda: run(["groupadd", "--system", name]))


def user_step(name: str, group: str, home: str, extra_groups: Sequence[str] = ()) -> Step:
    def needed() -> bool:
        if not user_exists(name):
            return True
        member_of = {g.gr_name for g in grp.getgrall() if name in g.gr_mem}
        return not set(extra_groups) <= member_of

    def apply() -> None:
        if not user_exists(name):
            run(["useradd", "--system", "--gid", group, "--home-dir", home, "--no-create-home",
                  "--shell", "/usr/sbin/nologin", "--comment", f"OneVisit {name}", name])
        if extra_groups:
            run(["usermod", "--append", "--groups", ",".join(extra_groups), name])

    also = f" (also in {', '.join(extra_groups)})" if extra_groups else ""
    return Step(f"create system user {name} in group {group}{also}", needed, apply)


def join_group_step(user: str, group: str, why: str) -> Step:
    def needed() -> bool:
        return user_exists(user) and user not in grp.getgrnam(group).gr_mem if group_exists(group) else True

    return Step(f"add user {user} to group {group} ({why})", needed,
                lambda: run(["usermod", "--append", "--groups", group, user]))


def dir_step(path: Path, mode: int, owner: str, group: str, *, enforce: bool = True) -> Step:
    """A folder with its owner and mode; without ``enforce`` an existing folder is left as it is (a device's
    /var/lib/onevisit on a hall server belongs to the controller)."""

    def apply() -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, uid(owner), gid(group))
        os.chmod(path, mode)

    def needed() -> bool:
        return not owned(path, mode, owner, group) if enforce else not path.is_dir()

    return Step(f"folder {path} ({owner}:{group} {mode:04o})", needed, apply)


def write_file(path: Path, text: str, mode: int, owner: str, group: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.onevisit-new")
    tmp.write_text(text)
    os.chown(tmp, uid(owner), gid(group))
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def file_step(path: Path, text: str | Callable[[], str], mode: int = 0o644, owner: str = "root",
              group: str = "root", *, keep_existing: bool = False, then: Callable[[], None] | None = None) -> Step:
    """A file the installer owns (rewritten when it differs) or, with ``keep_existing``, a starting config
    written only when absent. ``text`` may be made when the step runs (it depends on an earlier step)."""

    def content() -> str:
        return text() if callable(text) else text

    def needed() -> bool:
        if not path.exists():
            return True
        if keep_existing:
            return False
        return path.read_text() != content() or not owned(path, mode, owner, group)

    def apply() -> None:
        write_file(path, content(), mode, owner, group)
        if then is not None:
            then()

    verb = "write" if not keep_existing else "write (first install only)"
    return Step(f"{verb} {path} ({owner}:{group} {mode:04o})", needed, apply)


def copy_tree_step(src: Path, dst: Path, owner: str, group: str) -> Step:
    """Configuration files copied once (an edited copy is never overwritten)."""
    files = sorted(p for p in src.rglob("*.toml") if p.is_file() and p.relative_to(src) != Path("kiosk.toml"))

    def missing() -> list[Path]:
        return [p for p in files if not (dst / p.relative_to(src)).exists()]

    def apply() -> None:
        for p in missing():
            target = dst / p.relative_to(src)
            for folder in reversed([*target.relative_to(dst).parents][:-1]):
                (dst / folder).mkdir(exist_ok=True)
                os.chown(dst / folder, 0, gid(group))
                os.chmod(dst / folder, 0o750)
            write_file(target, p.read_text(), 0o640, owner, group)

    return Step(f"copy the hall configuration {src} → {dst} (files not there yet)", lambda: bool(missing()), apply)


def packages_step(packages: Sequence[str]) -> Step:
    def missing() -> list[str]:
        out: list[str] = []
        for p in packages:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True, check=False)
            if "install ok installed" not in r.stdout:
                out.append(p)
        return out

    def apply() -> None:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        todo = missing()
        for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                                      *todo]):
            r = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if r.returncode != 0:
                raise InstallError(f"`{' '.join(argv)}` failed: {r.stderr.strip()[-500:]}")

    return Step(f"install Debian packages {' '.join(packages)} (those missing)", lambda: bool(missing()), apply)


def systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir()


@dataclass
class Pending:
    """What the file steps changed that systemd must hear about."""

    reload: bool = False
    restart: set[str] = field(default_factory=set)


def systemctl_ok(*argv: str) -> bool:
    return subprocess.run(["systemctl", "--quiet", *argv], capture_output=True, check=False).returncode == 0


def systemd_step(start: Sequence[str], pending: Pending) -> Step:
    """Reload systemd, restart what got a new drop-in, enable and start ``start``. On a machine (or a sandbox)
    where systemd is not running this step is not needed: the files are in place for the next boot."""

    def needed() -> bool:
        if not systemd_running():
            return False
        return pending.reload or bool(pending.restart) or not all(
            systemctl_ok("is-enabled", u) and systemctl_ok("is-active", u) for u in start)

    def apply() -> None:
        if pending.reload:
            run(["systemctl", "daemon-reload"])
        if pending.restart:
            run(["systemctl", "restart", *sorted(pending.restart)])
        run(["systemctl", "enable", "--now", *start])
        pending.reload, pending.restart = False, set()

    return Step(f"systemd: reload, restart what changed, enable and start {' '.join(start)}", needed, apply)


def run_steps(steps: Sequence[Step], *, dry_run: bool, out: TextIO) -> int:
    """Apply (or, dry, list) every needed step in order. Returns the number of steps needed."""
    todo = 0
    for step in steps:
        if not step.needed():
            continue
        todo += 1
        if dry_run:
            print(f"would: {step.what}", file=out)
            continue
        print(f"doing: {step.what}", file=out, flush=True)
        step.apply()
    if todo == 0:
        print("nothing to do: already installed as asked", file=out)
    elif dry_run:
        print(f"{todo} step(s) would run (dry run: nothing changed)", file=out)
    return todo
