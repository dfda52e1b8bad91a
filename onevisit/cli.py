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
    from onevisit.demo import DemoOptions, run_demo

    return run_demo(
        DemoOptions(
            headless=args.headless,
            duration_s=args.duration,
            seed=args.seed,
            arrivals_per_min=args.rate,
            workdir=Path(args.workdir) if args.workdir else None,
            config_dir=Path(args.configs),
            # the first README command shows staff calling: window W1 is left to whoever logs in on its page
            people_at=() if args.headless else ("W1",),
        )
    )


def cmd_hall(args: argparse.Namespace) -> int:
    from hall_controller.__main__ import main

    # every flag of `python -m hall_controller` (--state-dir, --api-host, --web-host, ...), passed through
    return main(args.controller_args)


def cmd_install(args: argparse.Namespace) -> int:
    from onevisit.install import Options, install
    from onevisit.units import Paths

    opts = Options(role=args.role, dry_run=args.dry_run, packages=not args.no_packages,
                   public_host=args.public_host, window=args.window, code=args.code, controller=args.controller,
                   paths=Paths(python=args.python))
    if args.configs:
        opts.configs = Path(args.configs)
    if args.source:
        opts.source = Path(args.source)
    return install(opts)


def cmd_uninstall(args: argparse.Namespace) -> int:
    from onevisit.install import uninstall

    return uninstall(purge=args.purge, dry_run=args.dry_run)


def cmd_backup(args: argparse.Namespace) -> int:
    from onevisit.backup import backup_cli

    return backup_cli(Path(args.db), Path(args.state_dir), Path(args.out),
                      dynsec_file=Path(args.dynsec_file) if args.dynsec_file else None)


def cmd_restore(args: argparse.Namespace) -> int:
    from onevisit.backup import restore_cli

    return restore_cli(Path(args.archive), Path(args.db), Path(args.state_dir), force=args.force,
                       dynsec_file=Path(args.dynsec_file) if args.dynsec_file else None)


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
    from onevisit.config_kinds import validate_files

    return validate_files([Path(f) for f in args.files], kind=args.kind)


def cmd_selftest(args: argparse.Namespace) -> int:
    from kiosk.selftest import run_selftest_cli

    return int(run_selftest_cli(Path(args.config), as_json=args.json))


def cmd_provision(args: argparse.Namespace) -> int:
    from edge_agent.provision import provision_cli

    return int(provision_cli(controller=args.controller, code=args.code, out_dir=Path(args.dir),
                             data_dir=args.data_dir or None,
                             socket_path=args.socket or None))


def cmd_staff(args: argparse.Namespace) -> int:
    from hall_controller.accounts_cli import staff_cli

    return staff_cli(args)


def cmd_api_token(args: argparse.Namespace) -> int:
    from hall_controller.api_tokens_cli import api_token_cli

    return api_token_cli(args)


def cmd_device(args: argparse.Namespace) -> int:
    from hall_controller.devices_cli import device_cli

    return int(device_cli(args))


def cmd_audit(args: argparse.Namespace) -> int:
    from hall_controller.audit_cli import audit_cli

    return audit_cli(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onevisit", description=DESCRIPTION)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser(
        "demo",
        help="run a whole simulated hall on this machine",
        description="Start a private Mosquitto on a free port, the hall controller with configs/demo/, one "
        "simulated kiosk, a hall screen and three windows. The kiosk window opens when a display exists; "
        "window W1 is left to you (log in on its window terminal page, printed at start-up). With --headless a "
        "scripted stream of citizens and staff drives the hall (every window) and a summary is printed at the end.",
    )
    d.add_argument("--headless", action="store_true", help="no windows: scripted citizens and staff")
    d.add_argument("--duration", type=float, default=0, help="seconds to run (0 = until Ctrl-C)")
    d.add_argument("--seed", type=int, default=1, help="random seed of the scripted traffic")
    d.add_argument("--rate", type=float, default=30.0, help="citizen arrivals per minute (headless)")
    d.add_argument("--configs", default="configs/demo", help="configuration folder (default configs/demo)")
    d.add_argument("--workdir", default="", help="where to keep databases and sockets (default: a temp dir)")
    d.set_defaults(func=cmd_demo)

    h = sub.add_parser("hall", help="run the hall controller", add_help=False,
                       description="Run the hall controller service: the flags of `python -m hall_controller` "
                       "(`onevisit hall --help` lists them).")
    h.set_defaults(func=cmd_hall, passes_through=True)

    ins = sub.add_parser(
        "install", help="install this machine as a hall server or a device (Debian 12, as root)",
        description="Lay down the users, folders, configuration, systemd units (and for the hall: the CA, the "
        "broker drop-in) and start them. Idempotent; --dry-run prints what it would do.",
    )
    ins.add_argument("--role", required=True, choices=["hall", "kiosk", "display", "evaluator"])
    ins.add_argument("--dry-run", action="store_true", help="print the steps that would run; change nothing")
    ins.add_argument("--no-packages", action="store_true", help="do not install missing Debian packages")
    ins.add_argument("--configs", default="", help="hall configuration folder to start from (default configs/demo)")
    ins.add_argument("--public-host", default="", help="hall: this server's name as devices reach it")
    ins.add_argument("--window", default="", help="display or evaluator: the window it stands at")
    ins.add_argument("--code", default="", help="device: enrol with this one-time code (or the scanned link)")
    ins.add_argument("--controller", default="", help="device: the hall's enrolment URL, https://HALL:8443")
    ins.add_argument("--python", default="/opt/onevisit/.venv/bin/python", help="the interpreter the units run")
    ins.add_argument("--source", default="", help="what to pip-install into a new venv (default: this checkout)")
    ins.set_defaults(func=cmd_install)

    un = sub.add_parser("uninstall", help="remove the units and drop-ins (data kept unless --purge)",
                        description="Stop and remove OneVisit's units and drop-ins. Configuration, data, the hall "
                        "CA and the users stay unless --purge.")
    un.add_argument("--purge", action="store_true", help="also remove /etc/onevisit, /var/lib/onevisit, the users")
    un.add_argument("--dry-run", action="store_true", help="print the steps that would run; change nothing")
    un.set_defaults(func=cmd_uninstall)

    bk = sub.add_parser("backup", help="back up the hall database and CA into one archive",
                        description="A consistent copy of the hall database (SQLite online backup, safe while the "
                        "controller runs) and the enrolment folder (CA, secrets) in one tar file (0600).")
    bk.add_argument("--out", required=True, help="archive to write, e.g. /root/hall-2026-11-29.tar")
    rs = sub.add_parser("restore", help="restore a backup made by `onevisit backup` (controller stopped)",
                        description="Put the hall database and the enrolment folder back from an archive. Stop the "
                        "controller first; existing files are refused unless --force (then kept as *.before-restore).")
    rs.add_argument("archive")
    rs.add_argument("--force", action="store_true", help="replace an existing database and CA")
    for x in (bk, rs):
        x.add_argument("--db", default="/var/lib/onevisit/hall.db", help="the controller's SQLite database")
        x.add_argument("--state-dir", default="/var/lib/onevisit/enrollment", help="hall CA and secrets")
        x.add_argument("--dynsec-file", default="/var/lib/mosquitto/dynamic-security.json",
                       help="the broker's device accounts (kept with the CA: '' to leave out)")
    bk.set_defaults(func=cmd_backup)
    rs.set_defaults(func=cmd_restore)

    a = sub.add_parser("agent", help="run a device's edge agent", description="Run the edge agent of one device.")
    a.add_argument("--config", required=True, help="agent.toml")
    a.set_defaults(func=cmd_agent)

    k = sub.add_parser("kiosk", help="run a device UI", description="Run a device UI (kiosk, hall screen, ...).")
    k.add_argument("--config", required=True, help="kiosk.toml")
    k.add_argument("--role", choices=["kiosk", "hall-screen", "window-display", "evaluator", "window-terminal"],
                   default=None)
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
    add.add_argument("--window", default="", help="the window it stands at (window terminal, display, evaluator)")
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

    st = sub.add_parser("staff", help="people's accounts: window staff, managers, technicians",
                        description="Add, list, disable or enable accounts, and reset a password.")
    ssub = st.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    sadd = ssub.add_parser("add", help="add an account (asks for its password)")
    sadd.add_argument("username")
    sadd.add_argument("--name", default="", help="the name shown on pages")
    sadd.add_argument("--role", choices=["staff", "manager", "technician"], default="staff")
    ssub.add_parser("list", help="list accounts")
    for name in ("disable", "enable", "reset-password"):
        ssub.add_parser(name, help=f"{name} an account").add_argument("username")
    for x in ssub.choices.values():
        x.add_argument("--db", default="/var/lib/onevisit/hall.db", help="the controller's SQLite database")
        x.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    st.set_defaults(func=cmd_staff)

    at = sub.add_parser("api-token", help="tokens of the open API (/api/v1) for integrations",
                        description="Add a token with its scopes (shown once; stored hashed), list or revoke tokens.")
    asub = at.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    aadd = asub.add_parser("add", help="make a token for an integration")
    aadd.add_argument("name", help="the integration, e.g. booking-portal or province-haochaping")
    aadd.add_argument("--scope", action="append", choices=["appointments", "tickets", "hall", "ratings", "reports"],
                      required=True, help="what it may use (repeat for several)")
    asub.add_parser("list", help="list tokens")
    asub.add_parser("revoke", help="revoke a token at once").add_argument("name")
    for x in asub.choices.values():
        x.add_argument("--db", default="/var/lib/onevisit/hall.db", help="the controller's SQLite database")
    at.set_defaults(func=cmd_api_token)

    au = sub.add_parser("audit", help="read, export and verify the audit log",
                        description="Print the audit log (who did what, to which ticket or window, when, from "
                        "where), export it as CSV, or check its hash chain (--verify: exit status 1 names the "
                        "first line that was edited, deleted or inserted).")
    au.add_argument("--db", default="/var/lib/onevisit/hall.db", help="the controller's SQLite database")
    au.add_argument("--since", default="", help="from this local date or time (e.g. 2025-03-10)")
    au.add_argument("--until", default="", help="up to this local date (inclusive) or time")
    au.add_argument("--actor", default="", help="only this actor: staff:zhang, device:kiosk-1, or just the id")
    au.add_argument("--action", default="", help="only this action (window.call-next) or family (window)")
    au.add_argument("--csv", default="", metavar="FILE", help="write the lines as CSV to FILE ('-': standard output)")
    au.add_argument("--verify", action="store_true", help="check the whole hash chain")
    au.set_defaults(func=cmd_audit)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if getattr(args, "passes_through", False):
        args.controller_args = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    _setup_logging(args.verbose)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
