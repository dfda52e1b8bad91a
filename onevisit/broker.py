"""Runs a private Mosquitto: for the demo, tests and benchmarks (never the system broker on 1883).

Production halls run Mosquitto from systemd with ``systemd/mosquitto-onevisit.conf``; this module writes an
equivalent config for a throw-away instance.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hall_protocol.errors import OneVisitError

log = logging.getLogger(__name__)


class BrokerError(OneVisitError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def find_mosquitto() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if found is None:
        raise BrokerError("mosquitto is not installed: run scripts/bootstrap")
    return found


@dataclass
class PrivateBroker:
    """A Mosquitto on a free loopback port with its own directory. Use as a context manager."""

    port: int = 0
    workdir: Path | None = None
    extra_config: str = ""
    persistence: bool = False
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "mosquitto.log"

    def config_text(self) -> str:
        assert self.workdir is not None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            # paho and Mosquitto both leave Nagle on by default: ~40x slower QoS 1 round trips (DESIGN §9)
            "set_tcp_nodelay true",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "max_queued_messages 100000",
        ]
        if os.geteuid() == 0:
            # started as root, Mosquitto would switch to its own user and could not write this private
            # directory: no log, and no persisted sessions across a restart
            lines.append("user root")
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.workdir}/", "autosave_interval 1"]
        if self.extra_config:
            lines.append(self.extra_config)
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> PrivateBroker:
        exe = find_mosquitto()
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ov-mosquitto-")
            self.workdir = Path(self._tmp.name)
        if self.port == 0:
            self.port = free_port()
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config_text())
        # its own session: a Ctrl-C meant for the demo must not take the broker down under the agents
        self.proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise BrokerError(f"mosquitto exited with {self.proc.returncode}: {err.strip()} {self._log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    log.info("private mosquitto on %s:%d", self.host, self.port)
                    return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.port} within {timeout}s {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-1000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, timeout: float = 10.0) -> None:
        """Stop and start on the same port (broker-restart tests)."""
        self.stop()
        self.start(timeout)

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> PrivateBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
