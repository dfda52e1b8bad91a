"""Serving an ASGI app (Starlette) inside the controller's event loop with uvicorn, over HTTPS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from sse_starlette.sse import AppStatus

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn inside someone else's event loop: the controller owns SIGTERM/SIGINT, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_asgi(
    app: Any,
    *,
    name: str,
    host: str,
    port: int,
    certfile: Path | None,
    keyfile: Path | None,
    started: asyncio.Event | None = None,
    closing: asyncio.Event | None = None,
) -> None:
    """Serve ``app`` until cancelled (meant for ``tg.create_task(...)``); HTTPS when a certificate is given.
    ``started`` is set once the port is listening; ``closing`` when it stops, so that live streams (which
    never end by themselves) can finish before the graceful-shutdown timeout cuts them off."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        log_level="warning",
        lifespan="off",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=1,
    )
    server = _Server(config)
    # Bind before serving: a taken port fails here, and connections that arrive while uvicorn starts up
    # wait in the listen backlog.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    log.info("%s on %s://%s:%d", name, "https" if certfile else "http", host, port)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=name)
    if started is not None:
        started.set()
    try:
        await asyncio.shield(task)
    finally:
        if closing is not None:
            closing.set()
        server.should_exit = True
        # Live pages' event streams never end by themselves, and sse-starlette cannot see this server's exit
        # (it looks for uvicorn's signal handlers, which the controller owns): tell it, or uvicorn would wait
        # out its grace period and cancel them with an error.
        AppStatus.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        AppStatus.should_exit = False  # process-wide: a server started later must not inherit it
        sock.close()
