"""Runs an installed systemd unit the way systemd would, where systemd itself is not PID 1.

What is honoured: ``User=``/``Group=``/``SupplementaryGroups=`` (through ``setpriv``), ``Environment=``,
``EnvironmentFile=``, ``$VAR``/``${VAR}`` in ``ExecStart=``, ``ExecStartPre=``, ``StateDirectory=`` and
``RuntimeDirectory=`` (created and owned), ``UMask=``, ``Type=notify`` (a notify socket; ``start`` waits for
READY=1) and ``WatchdogSec=`` (``WATCHDOG_USEC``/``WATCHDOG_PID`` as systemd sets them). Not emulated: the
sandboxing options (they need systemd; ``systemd-analyze security`` scores them instead).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def _env_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and line[0] not in "#;" and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip().strip('"')
    return out


def expand(command: str, env: dict[str, str]) -> list[str]:
    """systemd's rules: ``$VAR`` alone as a word splits into words, ``${VAR}`` stays one word."""
    words: list[str] = []
    for word in shlex.split(command):
        if m := re.fullmatch(r"\$(\w+)", word):
            words.extend(env.get(m.group(1), "").split())
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word))
    return words


@dataclass
class RunningUnit:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    messages: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    sock: socket.socket | None = None

    def listen(self) -> None:
        assert self.sock is not None
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            for line in data.decode(errors="replace").splitlines():
                self.messages.append(line)
                if line == "READY=1":
                    self.ready.set()

    @property
    def watchdog_pings(self) -> int:
        return self.messages.count("WATCHDOG=1")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return -9
        if self.sock is not None:
            self.sock.close()
        return self.proc.returncode

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


class UnitRunner:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        self.running: list[RunningUnit] = []

    def start(self, unit_file: Path, *, ready_timeout: float | None = None) -> RunningUnit:
        unit = parse_unit(unit_file)
        service = dict(unit.get("Service", []))
        multi = unit.get("Service", [])
        user = service.get("User", "root")
        pw = pwd.getpwnam(user)
        group = service.get("Group", grp.getgrgid(pw.pw_gid).gr_name)
        gid = grp.getgrnam(group).gr_gid
        extra = [g for k, v in multi if k == "SupplementaryGroups" for g in v.split()]
        groups = sorted({g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
                        | {grp.getgrnam(g).gr_gid for g in extra} | {gid})

        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "HOME": pw.pw_dir, "USER": user, "LOGNAME": user, "SHELL": pw.pw_shell}
        for k, v in multi:
            if k == "EnvironmentFile":
                env.update(_env_file(Path(v.lstrip("-"))))
            elif k == "Environment":
                env.update(dict(w.split("=", 1) for w in shlex.split(v)))
        for k, v in multi:
            base = {"StateDirectory": Path("/var/lib"), "RuntimeDirectory": Path("/run")}.get(k)
            if base is not None:
                mode = int(service.get(k + "Mode", "0755"), 8)
                for name in v.split():
                    d = base / name
                    d.mkdir(parents=True, exist_ok=True)
                    os.chown(d, pw.pw_uid, gid)
                    os.chmod(d, mode)

        name = unit_file.name
        log = self.workdir / f"{name}.log"
        for k, v in multi:
            if k == "ExecStartPre":
                subprocess.run(expand(v, env), check=True, env=env, capture_output=True)
        notify = service.get("Type") == "notify"
        sock = None
        if notify:
            path = self.workdir / f"{name}.notify"
            path.unlink(missing_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(path))
            os.chmod(path, 0o777)
            env["NOTIFY_SOCKET"] = str(path)
        if "WatchdogSec" in service:
            env["WATCHDOG_USEC"] = str(int(float(service["WatchdogSec"]) * 1_000_000))
        argv = expand(service["ExecStart"], env)
        umask = int(service.get("UMask", "0022"), 8)
        # systemd sets WATCHDOG_PID to the main process: exec from a shell that exports its own pid
        wrapped = ["/bin/sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh", *argv]
        if user != "root":
            wrapped = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={gid}",
                       f"--groups={','.join(map(str, groups))}", "--", *wrapped]
        with log.open("ab") as f:
            proc = subprocess.Popen(wrapped, stdout=f, stderr=subprocess.STDOUT, env=env, cwd="/",
                                    preexec_fn=lambda: os.umask(umask))
        running = RunningUnit(name, proc, log, sock=sock)
        self.running.append(running)
        if sock is not None:
            threading.Thread(target=running.listen, daemon=True).start()
            timeout = ready_timeout or float(service.get("TimeoutStartSec", "90"))
            deadline = time.monotonic() + timeout
            while not running.ready.wait(0.1):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{name} sent no READY=1 (exit {proc.poll()}):\n{running.tail()}")
        return running

    def stop_all(self) -> dict[str, int]:
        return {u.name: u.stop() for u in reversed(self.running)}
