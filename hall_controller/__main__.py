"""``python -m hall_controller --config hall.toml --broker HOST:PORT --db hall.db``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Sequence

from edge_agent.systemd_notify import SystemdNotifier, Watchdog
from hall_controller.config import load_hall_config
from hall_controller.core import ControllerCore
from hall_controller.service import ControllerService
from hall_controller.store import Store
from hall_protocol.config_files import ConfigError

log = logging.getLogger("hall_controller")


async def serve(config_path: str, host: str, port: int, db_path: str) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    config = load_hall_config(config_path)
    store = await Store.open(db_path)
    try:
        started = time.perf_counter()
        core = await ControllerCore.restore(config, store, now=time.time())
        log.info("state restored in %.1f ms", (time.perf_counter() - started) * 1000)
        service = ControllerService(core, store)
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(service.run(host, port))
                tg.create_task(_notify_systemd(service))
    finally:
        await store.close()


async def _notify_systemd(service: ControllerService) -> None:
    """READY=1 once serving; then watchdog pings for as long as the service stays healthy."""
    notifier = SystemdNotifier.from_env()
    await service.ready.wait()
    notifier.ready(f"serving hall {service.hall}")
    watchdog = Watchdog.from_env(notifier, service.healthy)
    if watchdog is not None:
        await watchdog.run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hall_controller", description="Run the hall controller.")
    parser.add_argument("--config", required=True, help="hall.toml")
    parser.add_argument("--broker", default="127.0.0.1:1883", help="HOST:PORT")
    parser.add_argument("--db", default="/var/lib/onevisit/hall.db", help="SQLite database")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    host, _, port = args.broker.rpartition(":")
    try:
        load_hall_config(args.config)
    except ConfigError as err:
        print(f"configuration error:\n{err}", file=sys.stderr)
        return 2
    asyncio.run(serve(args.config, host or "127.0.0.1", int(port), args.db))
    return 0


if __name__ == "__main__":
    sys.exit(main())
