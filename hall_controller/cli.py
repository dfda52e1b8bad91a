"""``onevisit``: one command for every part of the hall. Each subcommand imports only what it needs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DESCRIPTION = """OneVisit — self-service kiosks and hall devices for government service halls (政务服务大厅).
Run `onevisit demo` to start a whole simulated hall on this machine."""


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from hall_controller.demo import DemoOptions, run_demo

    return run_demo(
        DemoOptions(
            headless=args.headless,
            duration_s=args.duration,
            seed=args.seed,
            arrivals_per_min=args.rate,
            workdir=Path(args.workdir) if args.workdir else None,
            config_dir=Path(args.configs),
        )
    )


def cmd_hall(args: argparse.Namespace) -> int:
    from hall_controller.__main__ import main

    argv = ["--config", args.config, "--broker", args.broker, "--db", args.db]
    return main(argv)


def cmd_agent(args: argparse.Namespace) -> int:
    from edge_agent.__main__ import main

    return main(["--config", args.config])


def cmd_kiosk(args: argparse.Namespace) -> int:
    from kiosk.__main__ import main

    argv = ["--config", args.config]
    if args.role:
        argv += ["--role", args.role]
    if args.scripted:
        argv += ["--scripted"]
    return int(main(argv))


def cmd_validate(args: argparse.Namespace) -> int:
    from hall_controller.config_kinds import validate_files

    return validate_files([Path(f) for f in args.files], kind=args.kind)


def cmd_selftest(args: argparse.Namespace) -> int:
    from kiosk.selftest import run_selftest_cli

    return int(run_selftest_cli(Path(args.config), as_json=args.json))


def cmd_provision(args: argparse.Namespace) -> int:
    from edge_agent.provision import provision_cli

    return int(provision_cli(controller=args.controller, code=args.code, out_dir=Path(args.dir),
                             data_dir=args.data_dir or None,
                             socket_path=args.socket or None))


def cmd_device(args: argparse.Namespace) -> int:
    from hall_controller.devices_cli import device_cli

    return int(device_cli(args))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onevisit", description=DESCRIPTION)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser(
        "demo",
        help="run a whole simulated hall on this machine",
        description="Start a private Mosquitto on a free port, the hall controller with configs/demo/, one "
        "simulated kiosk, a hall screen and three windows. The kiosk window opens when a display exists; "
        "with --headless a scripted stream of citizens and staff drives the hall instead and a summary is "
        "printed at the end.",
    )
    d.add_argument("--headless", action="store_true", help="no windows: scripted citizens and staff")
    d.add_argument("--duration", type=float, default=0, help="seconds to run (0 = until Ctrl-C)")
    d.add_argument("--seed", type=int, default=1, help="random seed of the scripted traffic")
    d.add_argument("--rate", type=float, default=30.0, help="citizen arrivals per minute (headless)")
    d.add_argument("--configs", default="configs/demo", help="configuration folder (default configs/demo)")
    d.add_argument("--workdir", default="", help="where to keep databases and sockets (default: a temp dir)")
    d.set_defaults(func=cmd_demo)

    h = sub.add_parser("hall", help="run the hall controller", description="Run the hall controller service.")
    h.add_argument("--config", required=True, help="hall.toml")
    h.add_argument("--broker", default="127.0.0.1:1883", help="HOST:PORT of the hall's Mosquitto")
    h.add_argument("--db", default="/var/lib/onevisit/hall.db", help="SQLite database path")
    h.set_defaults(func=cmd_hall)

    a = sub.add_parser("agent", help="run a device's edge agent", description="Run the edge agent of one device.")
    a.add_argument("--config", required=True, help="agent.toml")
    a.set_defaults(func=cmd_agent)

    k = sub.add_parser("kiosk", help="run a device UI", description="Run a device UI (kiosk, hall screen, ...).")
    k.add_argument("--config", required=True, help="kiosk.toml")
    k.add_argument("--role", choices=["kiosk", "hall-screen", "window-display", "evaluator"], default=None)
    k.add_argument("--scripted", action="store_true", help="no window: drive scripted citizens")
    k.set_defaults(func=cmd_kiosk)

    pv = sub.add_parser(
        "provision",
        help="enrol this device with the hall using a one-time code",
        description="Make a key pair, send a CSR with the one-time code, store the signed identity (0600).",
    )
    pv.add_argument("--controller", default="", help="controller URL, e.g. https://hall.local:8443")
    pv.add_argument("--code", required=True,
                    help="the one-time code shown on the console, or the scanned QR link (then --controller "
                    "may be left out)")
    pv.add_argument("--dir", default="/etc/onevisit", help="where to store the device identity")
    pv.add_argument("--data-dir", default="", help="the agent's data folder (outbox, leases); default from config")
    pv.add_argument("--socket", default="", help="the agent's local socket for the UI (default from config)")
    pv.set_defaults(func=cmd_provision)

    s = sub.add_parser(
        "selftest",
        help="test this device's peripherals",
        description="Run every driver's self-test and print a report.",
    )
    s.add_argument("--config", required=True, help="kiosk.toml (its [devices] section)")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=cmd_selftest)

    v = sub.add_parser(
        "validate-config",
        help="check configuration files",
        description="Validate configuration files; print each problem with file, field and bad value.",
    )
    v.add_argument("files", nargs="+", help="files or folders")
    v.add_argument("--kind", default=None, help="force the kind (hall, agent, kiosk, catalog, guide)")
    v.set_defaults(func=cmd_validate)

    dv = sub.add_parser("device", help="manage device slots",
                        description="Set up enrolment, create, list and retire device slots.")
    dsub = dv.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    init = dsub.add_parser("init", help="set up the hall CA, server certificate and broker files (once)")
    init.add_argument("--hall", required=True, help="hall id (as in hall.toml)")
    init.add_argument("--broker-host", default="127.0.0.1", help="the broker's address as devices reach it")
    init.add_argument("--server-host", action="append", help="more names for the server certificate")
    init.add_argument("--dynsec-file", default="", help="write the broker's initial dynamic-security.json here")
    add = dsub.add_parser("add", help="create a device slot and print its one-time code")
    add.add_argument("--role", required=True, choices=["kiosk", "hall-screen", "window-display", "evaluator",
                                                       "window-terminal"])
    add.add_argument("--zone", required=True)
    add.add_argument("--name", required=True)
    code = dsub.add_parser("code", help="a new one-time code for a slot (lost code or replacement device)")
    code.add_argument("device_id")
    lst = dsub.add_parser("list", help="list devices and their state")
    ret = dsub.add_parser("retire", help="retire a device and revoke its credentials")
    ret.add_argument("device_id")
    ret.add_argument("--broker", default="127.0.0.1:1883", help="the broker's loopback admin listener")
    ret.add_argument("--broker-pidfile", default="/run/mosquitto/mosquitto.pid", help="SIGHUP it to re-read the CRL")
    for x in (add, code):
        x.add_argument("--controller", default="https://127.0.0.1:8443", help="enrolment API URL for the link")
        x.add_argument("--ttl", type=float, default=15.0, help="minutes the code stays valid (default 15)")
    for x in (init, add, code, lst, ret):
        x.add_argument("--db", default="/var/lib/onevisit/hall.db", help="the controller's SQLite database")
        x.add_argument("--state-dir", default="/var/lib/onevisit/enrollment", help="hall CA and secrets")
    dv.set_defaults(func=cmd_device)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
