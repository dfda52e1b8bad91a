"""sd_notify without libsystemd: datagrams to ``$NOTIFY_SOCKET``, and a watchdog that pings while healthy.

Protocol (sd_notify(3)): newline-separated ``KEY=value`` assignments in one datagram on the AF_UNIX socket
named by ``$NOTIFY_SOCKET``; a name starting with ``@`` is in the abstract namespace (leading NUL byte).
With ``WatchdogSec=`` set, systemd exports ``$WATCHDOG_USEC`` (and ``$WATCHDOG_PID``) and expects
``WATCHDOG=1`` at least that often; we ping at half the interval, as sd_watchdog_enabled(3) advises.

Sending never raises: a missing or refused socket is logged, and the service carries on (outside systemd,
or under a manager that ignores us, notifications are simply off).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)


def socket_address(value: str) -> str:
    """``$NOTIFY_SOCKET`` as a socket address: ``@name`` becomes the abstract ``\\0name``."""
    if value.startswith("@"):
        return "\0" + value[1:]
    return value


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """The watchdog timeout in seconds, or None when the watchdog is off or meant for another process."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    owner = env.get("WATCHDOG_PID")
    if owner:
        try:
            if int(owner) != (os.getpid() if pid is None else pid):
                return None
        except ValueError:
            logger.warning("ignoring malformed WATCHDOG_PID=%r", owner)
            return None
    try:
        value = int(usec)
    except ValueError:
        logger.warning("ignoring malformed WATCHDOG_USEC=%r", usec)
        return None
    return value / 1_000_000 if value > 0 else None


class SystemdNotifier:
    """Sends notifications to one socket; every method returns whether the datagram was sent."""

    def __init__(self, notify_socket: str | None) -> None:
        self.address = socket_address(notify_socket) if notify_socket else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SystemdNotifier:
        env = os.environ if env is None else env
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *assignments: str) -> bool:
        if self.address is None:
            return False
        for a in assignments:
            if "=" not in a or "\n" in a:
                raise ValueError(f"not a single KEY=value assignment: {a!r}")
        data = "\n".join(assignments).encode()
        # A datagram send to a local socket does not block; no need to leave the event loop for it.
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(data, self.address)
        except OSError as err:
            logger.warning("sd_notify to %r failed: %s", self.address, err)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send("READY=1", *self._status(status))

    def status(self, text: str) -> bool:
        return self.send(*self._status(text))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        return self.send("STOPPING=1", *self._status(status))

    @staticmethod
    def _status(text: str | None) -> tuple[str, ...]:
        if text is None:
            return ()
        return ("STATUS=" + " ".join(text.splitlines()),)


class Watchdog:
    """Pings ``WATCHDOG=1`` every ``interval_s / 2`` while ``healthy()`` is true.

    ``healthy`` is the main loop's liveness (e.g. "the session task is running and its last heartbeat is
    recent"). When it turns false, pings stop and systemd restarts the service at the timeout: a wedged
    agent gets restarted, a live one does not.
    """

    def __init__(self, notifier: SystemdNotifier, interval_s: float, healthy: Callable[[], bool]) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, not {interval_s}")
        self.notifier = notifier
        self.interval_s = interval_s
        self.healthy = healthy
        self.pings = 0
        self.missed = 0

    @classmethod
    def from_env(
        cls, notifier: SystemdNotifier, healthy: Callable[[], bool], env: Mapping[str, str] | None = None
    ) -> Watchdog | None:
        """None when systemd asked for no watchdog (no ``WatchdogSec=``)."""
        interval = watchdog_interval(env)
        if interval is None or not notifier.enabled:
            return None
        return cls(notifier, interval, healthy)

    def tick(self) -> bool:
        """One check: ping if healthy. Returns whether a ping was sent."""
        try:
            ok = self.healthy()
        except Exception:
            logger.exception("watchdog health check failed; counting it as unhealthy")
            ok = False
        if not ok:
            self.missed += 1
            if self.missed == 1:
                logger.warning("watchdog: not healthy, withholding pings (systemd restarts at the timeout)")
            return False
        if self.missed:
            logger.info("watchdog: healthy again after %d missed ping(s)", self.missed)
            self.missed = 0
        sent = self.notifier.watchdog()
        self.pings += sent
        return sent

    async def run(self) -> None:
        """Run until cancelled."""
        while True:
            self.tick()
            await asyncio.sleep(self.interval_s / 2)
