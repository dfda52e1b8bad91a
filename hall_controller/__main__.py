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

import msgspec

from hall_controller import checkin_key
from hall_controller.accounts import AccountStore
from hall_controller.actors import DeviceDirectory
from hall_controller.api_tokens import ApiTokenStore
from hall_controller.core import ControllerCore
from hall_controller.enrollment.dynsec import CONTROLLER_USER
from hall_controller.enrollment.runner import open_enrollment, run_enrollment
from hall_controller.enrollment.service import EnrollmentSettings, controller_broker_password, pidfile_reloader
from hall_controller.http_server import serve_asgi
from hall_controller.notify.config import NotifyConfig, load_notify_config
from hall_controller.notify.setup import open_notifications
from hall_controller.service import ControllerService
from hall_controller.store import Store
from hall_controller.web.app import create_app
from hall_controller.web.context import WebContext
from hall_protocol.config_files import ConfigError
from hall_protocol.hall_config import load_hall_config
from hall_runtime.systemd_notify import SystemdNotifier, Watchdog

log = logging.getLogger("hall_controller")


@dataclass(frozen=True)
class EnrollmentOptions:
    """Set when the hall server runs enrolment (after ``onevisit device init``)."""

    state_dir: Path
    api_host: str
    api_port: int
    broker_tls_port: int
    public_host: str
    broker_pidfile: Path | None


@dataclass(frozen=True)
class WebOptions:
    """Where the pages (window terminal, console, phone page, open API) are served."""

    host: str = "127.0.0.1"
    port: int = 8080
    certfile: Path | None = None  # default: the hall CA's server certificate when enrolment runs
    keyfile: Path | None = None


def checkin_key_path(db_path: str, enrollment: EnrollmentOptions | None) -> Path:
    """Where the hall's check-in key is kept by default: with enrolment's secrets, else beside the database."""
    return (enrollment.state_dir if enrollment is not None else Path(db_path).parent) / checkin_key.KEY_FILE


async def serve(config_path: str, host: str, port: int, db_path: str, enrollment: EnrollmentOptions | None,
                web: WebOptions | None = None, key_path: Path | None = None, notify: NotifyConfig | None = None,
                status_base_url: str = "") -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    config = load_hall_config(config_path)
    hall_key = checkin_key.load_or_create(key_path or checkin_key_path(db_path, enrollment))
    if status_base_url:
        config = msgspec.structs.replace(config, hall=msgspec.structs.replace(config.hall,
                                                                              status_base_url=status_base_url))
    store = await Store.open(db_path)
    accounts = await AccountStore.open(db_path)
    tokens = await ApiTokenStore.open(db_path)
    try:
        started = time.perf_counter()
        core = await ControllerCore.restore(config, store, now=time.time())
        log.info("state restored in %.1f ms", (time.perf_counter() - started) * 1000)
        notifier = await open_notifications(notify, core, store, Path(db_path)) if notify is not None else None
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.TaskGroup() as tg:
                if enrollment is None:
                    service = ControllerService(core, store)
                    tg.create_task(service.run(host, port))
                else:
                    settings, password = _enrollment_settings(config.hall.id, db_path, host, port, enrollment, hall_key)
                    reload = pidfile_reloader(enrollment.broker_pidfile) if enrollment.broker_pidfile else None
                    enrolment = await open_enrollment(settings, reload_broker=reload)
                    # enrolled devices are known by the registry; the hall config's static devices still count
                    directory = DeviceDirectory(config, enrolment.actor)
                    service = ControllerService(core, store, on_device=enrolment.on_device_message,
                                                directory=directory, broker_switch=enrolment.admin)
                    tg.create_task(service.run(host, port, username=CONTROLLER_USER, password=password))
                    tg.create_task(run_enrollment(enrolment, api_host=enrollment.api_host,
                                                  api_port=enrollment.api_port))
                if notifier is not None:
                    service.commit_listeners.append(notifier.on_commit)
                    notifier.store.on_change = service.hub.bump  # a phone page shows what was sent
                    tg.create_task(notifier.run())
                if web is not None:
                    cert, key = web.certfile, web.keyfile
                    if cert is None and enrollment is not None:
                        cert, key = enrolment.ca.server_cert_path, enrolment.ca.server_key_path
                    if cert is None and web.host not in ("127.0.0.1", "::1", "localhost"):
                        raise SystemExit("pages on a network address need a certificate: --web-cert/--web-key, "
                                         "or --state-dir for the hall CA's")
                    ctx = WebContext(service, accounts, enrolment if enrollment is not None else None,
                                     secure_cookies=cert is not None, checkin_key=hall_key, api_tokens=tokens,
                                     notifier=notifier)
                    tg.create_task(serve_asgi(create_app(ctx), name="pages", host=web.host, port=web.port,
                                              certfile=cert, keyfile=key, closing=ctx.closing))
                    # fold the stored events once now, so the first report or ratings page does not wait for it
                    tg.create_task(ctx.records.current())
                tg.create_task(_notify_systemd(service))
    finally:
        await tokens.close()
        await accounts.close()
        await store.close()


def _enrollment_settings(
    hall: str, db_path: str, host: str, port: int, e: EnrollmentOptions, key: bytes
) -> tuple[EnrollmentSettings, str]:
    settings = EnrollmentSettings(
        hall=hall, db_path=Path(db_path), state_dir=e.state_dir, broker_host=e.public_host,
        broker_tls_port=e.broker_tls_port, admin_host=host, admin_port=port,
        controller_url=f"https://{e.public_host}:{e.api_port}", server_hosts=(e.public_host,), checkin_key=key,
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
    parser.add_argument("--api-host", default="127.0.0.1",
                        help="address the HTTPS enrolment API listens on (0.0.0.0 for devices on the hall network)")
    parser.add_argument("--api-port", type=int, default=8443, help="HTTPS enrolment API port")
    parser.add_argument("--broker-tls-port", type=int, default=8883, help="the broker's mutual-TLS port for devices")
    parser.add_argument("--public-host", default="127.0.0.1", help="this server's address as devices reach it")
    parser.add_argument("--broker-pidfile", default="", help="Mosquitto's pid file, to reload it after revocations")
    parser.add_argument("--web-host", default="127.0.0.1", help="address of the pages and the open API")
    parser.add_argument("--web-port", type=int, default=8080, help="port of the pages (0: no pages)")
    parser.add_argument("--web-cert", default="", help="TLS certificate of the pages (default: the hall CA's)")
    parser.add_argument("--web-key", default="", help="its private key")
    parser.add_argument("--checkin-key", default="", help="the hall's check-in key file (made if missing; "
                        "default: checkin.key in --state-dir, else beside --db); kiosks get it at enrolment")
    parser.add_argument("--notify", default="", help="notify.toml: SMS / WeChat gateways for silent calling "
                        "(default: no messages; phone numbers given at kiosks are then not kept)")
    parser.add_argument("--status-base-url", default="",
                        help="base of the phone page printed on tickets (overrides hall.status_base_url)")
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
        notify = load_notify_config(args.notify) if args.notify else None
    except ConfigError as err:
        print(f"configuration error:\n{err}", file=sys.stderr)
        return 2
    enrollment = (
        EnrollmentOptions(Path(args.state_dir), args.api_host, args.api_port, args.broker_tls_port, args.public_host,
                          Path(args.broker_pidfile) if args.broker_pidfile else None)
        if args.state_dir
        else None
    )
    web = WebOptions(args.web_host, args.web_port, Path(args.web_cert) if args.web_cert else None,
                     Path(args.web_key) if args.web_key else None) if args.web_port else None
    asyncio.run(serve(args.config, host or "127.0.0.1", int(port), args.db, enrollment, web,
                      Path(args.checkin_key) if args.checkin_key else None, notify, args.status_base_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
