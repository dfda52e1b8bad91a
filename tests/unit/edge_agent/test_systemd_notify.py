"""sd_notify against real AF_UNIX datagram sockets bound by the test (abstract and filesystem names)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hall_runtime.systemd_notify import SystemdNotifier, Watchdog, socket_address, watchdog_interval


@pytest.fixture
def abstract_socket() -> Iterator[tuple[socket.socket, str]]:
    """A bound abstract-namespace socket and its $NOTIFY_SOCKET spelling (leading '@')."""
    name = f"onevisit-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.setblocking(False)
    yield sock, "@" + name
    sock.close()


@pytest.fixture
def path_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    yield sock, path
    sock.close()


async def receive(sock: socket.socket, timeout: float = 5.0) -> str:
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        data = await loop.sock_recv(sock, 4096)
    return data.decode()


def pending(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


async def test_messages_reach_an_abstract_socket(abstract_socket: tuple[socket.socket, str]) -> None:
    sock, name = abstract_socket
    n = SystemdNotifier.from_env({"NOTIFY_SOCKET": name})
    assert n.enabled
    assert n.ready(status="连接大厅中 connecting")
    assert await receive(sock) == "READY=1\nSTATUS=连接大厅中 connecting"
    assert n.status("online\nouter")  # a newline would start a new assignment; it is folded
    assert await receive(sock) == "STATUS=online outer"
    assert n.watchdog()
    assert await receive(sock) == "WATCHDOG=1"
    assert n.stopping()
    assert await receive(sock) == "STOPPING=1"


async def test_messages_reach_a_path_socket(path_socket: tuple[socket.socket, str]) -> None:
    sock, path = path_socket
    assert SystemdNotifier(path).ready()
    assert await receive(sock) == "READY=1"


def test_without_notify_socket_nothing_is_sent() -> None:
    n = SystemdNotifier.from_env({})
    assert not n.enabled
    assert n.ready() is False
    assert n.watchdog() is False


def test_a_missing_socket_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    n = SystemdNotifier(str(tmp_path / "nobody-listens.sock"))
    assert n.ready() is False
    assert "sd_notify" in caplog.text


def test_malformed_assignments_are_refused() -> None:
    n = SystemdNotifier("@x")
    with pytest.raises(ValueError, match="KEY=value"):
        n.send("READY")
    with pytest.raises(ValueError, match="KEY=value"):
        n.send("A=1\nB=2")


def test_socket_address() -> None:
    assert socket_address("@abc") == "\0abc"
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"


def test_watchdog_interval_from_environment() -> None:
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "20000000"}) == 20.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}) == 20.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}, pid=999) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "1000", "WATCHDOG_PID": "x"}) is None


def test_watchdog_from_env_is_off_without_watchdog_sec(abstract_socket: tuple[socket.socket, str]) -> None:
    _, name = abstract_socket
    n = SystemdNotifier(name)
    assert Watchdog.from_env(n, lambda: True, env={}) is None
    wd = Watchdog.from_env(n, lambda: True, env={"WATCHDOG_USEC": "2000000"})
    assert wd is not None
    assert wd.interval_s == 2.0


async def test_watchdog_pings_only_while_healthy(abstract_socket: tuple[socket.socket, str]) -> None:
    sock, name = abstract_socket
    healthy = False
    checks = 0
    unhealthy_seen = asyncio.Event()

    def predicate() -> bool:
        nonlocal checks
        checks += 1
        if not healthy and checks >= 3:
            unhealthy_seen.set()
        return healthy

    wd = Watchdog(SystemdNotifier(name), interval_s=0.02, healthy=predicate)
    task = asyncio.create_task(wd.run())
    try:
        async with asyncio.timeout(5):
            await unhealthy_seen.wait()
        assert pending(sock) == []  # three checks while unhealthy: not one ping
        assert wd.missed >= 3
        healthy = True
        assert await receive(sock) == "WATCHDOG=1"
        assert await receive(sock) == "WATCHDOG=1"  # and it keeps pinging
        assert wd.missed == 0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_a_failing_health_check_counts_as_unhealthy(abstract_socket: tuple[socket.socket, str]) -> None:
    sock, name = abstract_socket

    def broken() -> bool:
        raise RuntimeError("main loop state unreadable")

    wd = Watchdog(SystemdNotifier(name), interval_s=1.0, healthy=broken)
    assert wd.tick() is False
    assert pending(sock) == []
