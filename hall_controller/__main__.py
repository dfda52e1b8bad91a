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
from dataclasses import dataclass
from pathlib import Path

from edge_agent.systemd_notify import SystemdNotifier, Watchdog
from hall_controller.config import load_hall_config
from hall_controller.core import ControllerCore
from hall_controller.enrollment.dynsec import CONTROLLER_USER
from hall_controller.enrollment.runner import run_enrollment
from hall_controller.enrollment.service import EnrollmentSettings, controller_broker_password, pidfile_reloader
from hall_controller.service import ControllerService
from hall_controller.store import Store
from hall_protocol.config_files import ConfigError

log = logging.getLogger("hall_controller")


@dataclass(frozen=True)
class EnrollmentOptions:
    """Set when the hall server runs enrolment (after ``onevisit device init``)."""

    state_dir: Path
    api_port: int
    broker_tls_port: int
    public_host: str
    broker_pidfile: Path | None


async def serve(config_path: str, host: str, port: int, db_path: str, enrollment: EnrollmentOptions | None) -> None:
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
                if enrollment is None:
                    tg.create_task(service.run(host, port))
                else:
                    settings, password = _enrollment_settings(config.hall.id, db_path, host, port, enrollment)
                    tg.create_task(service.run(host, port, username=CONTROLLER_USER, password=password))
                    reload = pidfile_reloader(enrollment.broker_pidfile) if enrollment.broker_pidfile else None
                    tg.create_task(run_enrollment(settings, api_port=enrollment.api_port, reload_broker=reload))
                tg.create_task(_notify_systemd(service))
    finally:
        await store.close()


def _enrollment_settings(
    hall: str, db_path: str, host: str, port: int, e: EnrollmentOptions
) -> tuple[EnrollmentSettings, str]:
    settings = EnrollmentSettings(
        hall=hall, db_path=Path(db_path), state_dir=e.state_dir, broker_host=e.public_host,
        broker_tls_port=e.broker_tls_port, admin_host=host, admin_port=port,
        controller_url=f"https://{e.public_host}:{e.api_port}", server_hosts=(e.public_host,),
    )
    try:
        return settings, controller_broker_password(settings)
    except FileNotFoundError as err:
        raise SystemExit(f"enrolment is not set up in {e.state_dir}: run `onevisit device init` first") from err


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
    parser.add_argument("--state-dir", default="", help="enable enrolment: the hall CA and secrets folder "
                        "(after `onevisit device init`); the controller then logs in to the broker as hall-controller")
    parser.add_argument("--api-port", type=int, default=8443, help="HTTPS enrolment API port")
    parser.add_argument("--broker-tls-port", type=int, default=8883, help="the broker's mutual-TLS port for devices")
    parser.add_argument("--public-host", default="127.0.0.1", help="this server's address as devices reach it")
    parser.add_argument("--broker-pidfile", default="", help="Mosquitto's pid file, to reload it after revocations")
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
    enrollment = (
        EnrollmentOptions(Path(args.state_dir), args.api_port, args.broker_tls_port, args.public_host,
                          Path(args.broker_pidfile) if args.broker_pidfile else None)
        if args.state_dir
        else None
    )
    asyncio.run(serve(args.config, host or "127.0.0.1", int(port), args.db, enrollment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
