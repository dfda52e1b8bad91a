"""``onevisit install --role hall|kiosk|display|evaluator`` and ``onevisit uninstall`` on a Debian 12 machine.

An installation is a list of :class:`Step` s. Each step knows whether the machine is already as it wants
(``needed``) and how to get there (``apply``); ``--dry-run`` prints the steps that are needed and changes
nothing, and a second run finds nothing to do (idempotent). Configuration a person may have edited
(``hall.toml``, ``kiosk.toml``, the device identity) is written only when absent; files the installer owns
(units, drop-ins) are rewritten when their text differs. ``uninstall`` removes the units and drop-ins and
keeps configuration, data, the hall CA and the users unless ``--purge``.

What goes where (see :class:`onevisit.units.Paths`): the software in ``/opt/onevisit/.venv``;
configuration in ``/etc/onevisit`` (``root:onevisit`` 0750); data in ``/var/lib/onevisit``; units in
``/etc/systemd/system``; the hall broker's drop-in in ``/etc/mosquitto/conf.d/onevisit.conf``; a journald
drop-in capping the logs. Each service runs as its own system user in group ``onevisit``; the broker's
user joins that group to read the server key and the CRL that the controller (re)writes.
"""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from onevisit import units
from onevisit.install_steps import (
    InstallError,
    Pending,
    Step,
    copy_tree_step,
    dir_step,
    file_step,
    gid,
    group_exists,
    group_step,
    join_group_step,
    packages_step,
    run,
    run_steps,
    systemd_running,
    systemd_step,
    uid,
    user_exists,
    user_step,
    write_file,
)
from onevisit.units import Paths

log = logging.getLogger(__name__)

InstallRole = Literal["hall", "kiosk", "display", "evaluator"]
ROLES: tuple[InstallRole, ...] = ("hall", "kiosk", "display", "evaluator")

SOURCE_ROOT = Path(__file__).resolve().parents[1]
SYSTEMD_DIR = Path("/etc/systemd/system")
JOURNALD_DROPIN = Path("/etc/systemd/journald.conf.d/onevisit.conf")
MOSQUITTO_CONF = Path("/etc/mosquitto/mosquitto.conf")
MOSQUITTO_DROPIN = Path("/etc/mosquitto/conf.d/onevisit.conf")
MOSQUITTO_BACKUP = Path("/etc/mosquitto/mosquitto.conf.onevisit-saved")
DYNSEC_FILE = Path("/var/lib/mosquitto/dynamic-security.json")
BROKER_USER = "mosquitto"

# Debian 12's own mosquitto.conf: everything else comes from conf.d, where our drop-in sets the listeners
DEBIAN_MOSQUITTO_CONF = """# Place your local configuration in /etc/mosquitto/conf.d/
#
# A full description of the configuration file is at
# /usr/share/doc/mosquitto/examples/mosquitto.conf.example

pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location /var/lib/mosquitto/

log_dest file /var/log/mosquitto/mosquitto.log

include_dir /etc/mosquitto/conf.d
"""

PACKAGES: dict[InstallRole, tuple[str, ...]] = {
    "hall": ("mosquitto",),
    "kiosk": ("xserver-xorg-core", "xserver-xorg-input-libinput", "x11-xserver-utils", "libgl1-mesa-dri",
              "fonts-noto-cjk", "espeak-ng", "pcscd", "cups-client"),
    "display": ("xserver-xorg-core", "xserver-xorg-input-libinput", "x11-xserver-utils", "libgl1-mesa-dri",
                "fonts-noto-cjk"),
    "evaluator": ("xserver-xorg-core", "xserver-xorg-input-libinput", "x11-xserver-utils", "libgl1-mesa-dri",
                  "fonts-noto-cjk", "espeak-ng"),
}


# Steps ---------------------------------------------------------------------------------------------------


@dataclass
class Options:
    role: InstallRole
    dry_run: bool = False
    packages: bool = True
    configs: Path = SOURCE_ROOT / "configs" / "demo"
    public_host: str = ""
    window: str = ""
    code: str = ""
    controller: str = ""
    source: Path = SOURCE_ROOT
    paths: Paths = field(default_factory=Paths)


def venv_step(opts: Options) -> Step:
    python = Path(opts.paths.python)

    def needed() -> bool:
        if not python.exists():
            return True
        r = subprocess.run([str(python), "-c", "import onevisit, hall_controller, edge_agent, kiosk"],
                           capture_output=True, check=False)
        return r.returncode != 0

    def apply() -> None:
        venv = python.parent.parent
        if venv.name != ".venv" and not (venv / "pyvenv.cfg").exists():
            raise InstallError(f"{python} is missing and is not inside a venv the installer can create")
        if not python.exists():
            run(["python3", "-m", "venv", str(venv)])
        if not (opts.source / "pyproject.toml").exists():
            raise InstallError(f"no OneVisit source in {opts.source}: give --source (a checkout or a wheel)")
        run([str(venv / "bin" / "pip"), "install", "-q", str(opts.source)])

    return Step(f"software: {python} with OneVisit installed (from {opts.source})", needed, apply)


# What each role lays down ---------------------------------------------------------------------------------


def _mosquitto_conf_ok() -> bool:
    """Debian's mosquitto.conf reads conf.d and defines no listener of its own (ours are in the drop-in)."""
    try:
        lines = [ln.split() for ln in MOSQUITTO_CONF.read_text().splitlines() if ln.strip() and ln[0] != "#"]
    except FileNotFoundError:
        return False
    keys = {ln[0] for ln in lines}
    includes = any(ln[0] == "include_dir" and ln[1:] == ["/etc/mosquitto/conf.d"] for ln in lines)
    return includes and not keys & {"listener", "port", "allow_anonymous", "per_listener_settings", "plugin"}


def mosquitto_conf_step(then: Callable[[], None]) -> Step:
    def apply() -> None:
        if MOSQUITTO_CONF.exists() and not MOSQUITTO_BACKUP.exists():
            shutil.copy2(MOSQUITTO_CONF, MOSQUITTO_BACKUP)
        write_file(MOSQUITTO_CONF, DEBIAN_MOSQUITTO_CONF, 0o644, "root", "root")
        then()

    return Step(f"{MOSQUITTO_CONF}: Debian's own (reads conf.d; the old one kept as {MOSQUITTO_BACKUP.name})",
                lambda: not _mosquitto_conf_ok(), apply)


def _revive_env(p: Paths, role_units: tuple[str, ...]) -> str:
    """The units already listed (a hall server may also be a kiosk) and this role's."""
    listed: list[str] = []
    with contextlib.suppress(FileNotFoundError):
        for line in Path(p.revive_env).read_text().splitlines():
            if line.startswith("ONEVISIT_UNITS="):
                listed = line.split("=", 1)[1].split()
    return units.revive_env(tuple(dict.fromkeys([*listed, *role_units])))


def _public_host(opts: Options) -> str:
    if opts.public_host:
        return opts.public_host
    with contextlib.suppress(FileNotFoundError):
        for line in Path(opts.paths.controller_env).read_text().splitlines():
            if line.startswith("ONEVISIT_PUBLIC_HOST="):
                return line.split("=", 1)[1].strip()
    return socket.gethostname()


def _enrollment_ready(p: Paths) -> bool:
    state = Path(p.enrollment)
    return all((state / f).exists() for f in ("ca/ca.key", "ca/server.crt", "ca/crl.pem",
                                             "broker-admin.secret", "broker-controller.secret",
                                             "manager.token")) and DYNSEC_FILE.exists()


def _enrollment_owned(p: Paths) -> bool:
    state = Path(p.enrollment)
    files = [state, *state.rglob("*")]
    return bool(files) and all(f.stat().st_uid == uid(units.HALL_USER) for f in files) and \
        DYNSEC_FILE.exists() and DYNSEC_FILE.stat().st_uid == uid(BROKER_USER)


def enrollment_step(opts: Options) -> Step:
    p = opts.paths

    def apply() -> None:
        from hall_controller.enrollment.service import EnrollmentSettings, init_state
        from hall_protocol.hall_config import load_hall_config

        hall = load_hall_config(p.hall_toml).hall.id
        host = _public_host(opts)
        DYNSEC_FILE.parent.mkdir(parents=True, exist_ok=True)
        init_state(EnrollmentSettings(hall=hall, db_path=Path(p.hall_db), state_dir=Path(p.enrollment),
                                      broker_host=host, server_hosts=(host,)), DYNSEC_FILE)
        owner = uid(units.HALL_USER), gid(units.GROUP)
        for f in [Path(p.enrollment), *Path(p.enrollment).rglob("*")]:
            os.chown(f, *owner)
        os.chown(DYNSEC_FILE, uid(BROKER_USER), gid(BROKER_USER))
        os.chmod(DYNSEC_FILE, 0o600)

    return Step(f"hall CA, server certificate, broker secrets in {p.enrollment} and the broker's {DYNSEC_FILE} "
                f"(`onevisit device init`)",
                lambda: not _enrollment_ready(p) or not _enrollment_owned(p), apply)


def provision_step(opts: Options) -> Step:
    p = opts.paths

    def apply() -> None:
        from edge_agent.provision import provision_cli

        code = provision_cli(controller=opts.controller, code=opts.code, out_dir=Path(p.agent_dir),
                             data_dir=p.agent_data, socket_path=p.agent_socket)
        if code != 0:
            raise InstallError("provisioning failed (see above); run the install again with a new code")
        owner = uid(units.AGENT_USER), gid(units.GROUP)
        for f in [Path(p.agent_dir), *Path(p.agent_dir).iterdir()]:
            os.chown(f, *owner)

    return Step(f"enrol this device with the hall ({opts.controller or 'link in the code'}) → {p.agent_toml}",
                lambda: bool(opts.code) and not Path(p.agent_toml).exists(), apply)


def kiosk_toml_text(opts: Options) -> str:
    p = opts.paths
    ui_role = {"kiosk": "kiosk", "display": "window-display" if opts.window else "hall-screen",
               "evaluator": "evaluator"}[opts.role]
    device_id = ui_role
    with contextlib.suppress(FileNotFoundError):
        for line in Path(p.agent_toml).read_text().splitlines():
            if line.startswith("device_id"):
                device_id = line.split("=", 1)[1].strip().strip('"')
    lines = [
        "# OneVisit device UI, written by `onevisit install`; peripherals go under [devices.*] (see",
        "# configs/demo/kiosk.toml for every table). `onevisit selftest --config /etc/onevisit/kiosk.toml` tests them.",
        f'device_id = "{device_id}"',
        f'role = "{ui_role}"',
        f'agent_socket = "{p.agent_socket}"',
        'configs_dir = "hall"',
    ]
    if opts.window:
        lines.append(f'window_id = "{opts.window}"')
    lines += ["", "[window]", "fullscreen = true", "show_cursor = false", ""]
    return "\n".join(lines)


def hall_steps(opts: Options) -> list[Step]:
    p = opts.paths
    etc, lib = Path(p.etc), Path(p.lib)
    hall_units = {
        units.CONTROLLER: units.controller_unit(p),
        units.CRL_PATH: units.crl_path_unit(p),
        units.CRL_SERVICE: units.crl_service_unit(p),
        units.REVIVE_TIMER: units.revive_timer_unit(),
        units.REVIVE_SERVICE: units.revive_service_unit(p),
    }
    pending = Pending()

    def restart(unit: str) -> Callable[[], None]:
        return lambda: pending.restart.add(unit)

    def reload() -> None:
        pending.reload = True

    return [
        *([packages_step(PACKAGES["hall"])] if opts.packages else []),
        venv_step(opts),
        group_step(units.GROUP),
        user_step(units.HALL_USER, units.GROUP, p.lib),
        join_group_step(BROKER_USER, units.GROUP, "it reads the server key and the CRL the controller writes"),
        dir_step(etc, 0o750, "root", units.GROUP),
        dir_step(lib, 0o750, units.HALL_USER, units.GROUP),
        file_step(Path(p.hall_toml), (opts.configs / "hall.toml").read_text(), 0o640, "root", units.GROUP,
                  keep_existing=True),
        file_step(Path(p.controller_env), units.controller_env(_public_host(opts)), 0o640, "root", units.GROUP),
        file_step(Path(p.revive_env), _revive_env(p, (units.CONTROLLER,)), 0o644, "root", units.GROUP),
        enrollment_step(opts),
        mosquitto_conf_step(restart("mosquitto.service")),
        file_step(MOSQUITTO_DROPIN, _broker_dropin(p), 0o644, then=restart("mosquitto.service")),
        file_step(JOURNALD_DROPIN, units.journald_dropin(), 0o644, then=restart("systemd-journald.service")),
        *(file_step(SYSTEMD_DIR / name, text, then=reload) for name, text in hall_units.items()),
        systemd_step(("mosquitto.service", units.CONTROLLER, units.CRL_PATH, units.REVIVE_TIMER), pending),
    ]


def _broker_dropin(p: Paths) -> str:
    from hall_controller.enrollment.broker_config import BrokerFiles, find_dynsec_plugin, production_config

    files = BrokerFiles.in_dirs(Path(p.enrollment) / "ca", DYNSEC_FILE)
    plugin = find_dynsec_plugin()
    return production_config(files, plugin=plugin) if plugin else production_config(files)


def device_steps(opts: Options) -> list[Step]:
    p = opts.paths
    if opts.role in ("evaluator",) and not opts.window:
        raise InstallError("an evaluator stands at a window: give --window WINDOW_ID")
    device_units = {
        units.AGENT: units.agent_unit(p),
        units.KIOSK: units.kiosk_unit(p),
        units.DISPLAY: units.display_unit(),
        units.REVIVE_TIMER: units.revive_timer_unit(),
        units.REVIVE_SERVICE: units.revive_service_unit(p),
    }
    pending = Pending()

    def reload() -> None:
        pending.reload = True

    enrolled = Path(p.agent_toml).exists() or bool(opts.code)
    return [
        *([packages_step(PACKAGES[opts.role])] if opts.packages else []),
        venv_step(opts),
        group_step(units.GROUP),
        user_step(units.AGENT_USER, units.GROUP, p.agent_data),
        user_step(units.UI_USER, units.GROUP, "/run/onevisit-ui", ("dialout", "lp", "video", "audio")),
        dir_step(Path(p.etc), 0o750, "root", units.GROUP),
        dir_step(Path(p.agent_dir), 0o700, units.AGENT_USER, units.GROUP),
        dir_step(Path(p.lib), 0o755, "root", "root", enforce=False),
        dir_step(Path(p.agent_data), 0o750, units.AGENT_USER, units.GROUP),
        copy_tree_step(opts.configs, Path(p.etc) / "hall", "root", units.GROUP),
        provision_step(opts),
        file_step(Path(p.revive_env), _revive_env(p, (units.AGENT, units.KIOSK)), 0o644, "root", units.GROUP),
        # made after the enrolment step: it names the device id the hall gave
        file_step(Path(p.kiosk_toml), lambda: kiosk_toml_text(opts), 0o640, "root", units.GROUP, keep_existing=True),
        file_step(JOURNALD_DROPIN, units.journald_dropin(), 0o644,
                  then=lambda: pending.restart.add("systemd-journald.service")),
        *(file_step(SYSTEMD_DIR / name, text, then=reload) for name, text in device_units.items()),
        # the agent starts once the device is enrolled (its unit has ConditionPathExists=agent.toml)
        systemd_step((units.DISPLAY, *((units.AGENT, units.KIOSK) if enrolled else ()), units.REVIVE_TIMER),
                     pending),
    ]


def install_steps(opts: Options) -> list[Step]:
    return hall_steps(opts) if opts.role == "hall" else device_steps(opts)


ALL_UNITS = (units.CONTROLLER, units.CRL_PATH, units.CRL_SERVICE, units.AGENT, units.KIOSK, units.DISPLAY,
             units.REVIVE_TIMER, units.REVIVE_SERVICE)


def uninstall_steps(purge: bool, paths: Paths | None = None) -> list[Step]:
    p = paths or Paths()

    def remove(path: Path) -> Step:
        def apply() -> None:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()

        return Step(f"remove {path}", path.exists, apply)

    def restore_broker_conf() -> None:
        os.replace(MOSQUITTO_BACKUP, MOSQUITTO_CONF)

    def stop_units() -> None:
        run(["systemctl", "disable", "--now", *ALL_UNITS])

    def daemon_reload() -> None:
        run(["systemctl", "daemon-reload"])

    had_units = any((SYSTEMD_DIR / name).exists() for name in ALL_UNITS)
    steps = [
        Step("stop and disable the OneVisit units", lambda: systemd_running() and had_units, stop_units),
        *(remove(SYSTEMD_DIR / name) for name in ALL_UNITS),
        remove(MOSQUITTO_DROPIN),
        Step(f"put back the broker's own config from {MOSQUITTO_BACKUP.name}", MOSQUITTO_BACKUP.exists,
             restore_broker_conf),
        remove(JOURNALD_DROPIN),
        Step("systemctl daemon-reload", lambda: systemd_running() and had_units, daemon_reload),
    ]
    if purge:
        def drop_user(name: str) -> Step:
            return Step(f"remove system user {name}", lambda: user_exists(name), lambda: run(["userdel", name]))

        steps += [
            remove(Path(p.etc)), remove(Path(p.lib)), remove(DYNSEC_FILE),
            *(drop_user(u) for u in (units.HALL_USER, units.AGENT_USER, units.UI_USER)),
            Step(f"remove user {BROKER_USER} from group {units.GROUP}",
                 lambda: group_exists(units.GROUP) and BROKER_USER in grp.getgrnam(units.GROUP).gr_mem,
                 lambda: run(["gpasswd", "--delete", BROKER_USER, units.GROUP])),
            Step(f"remove system group {units.GROUP}", lambda: group_exists(units.GROUP),
                 lambda: run(["groupdel", units.GROUP])),
        ]
    return steps


# Running a plan ---------------------------------------------------------------------------------------------


def _check_root(dry_run: bool) -> None:
    if not dry_run and os.geteuid() != 0:
        raise InstallError("run as root (or use --dry-run to see what it would do)")


def install(opts: Options, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        _check_root(opts.dry_run)
        if not (opts.configs / "hall.toml").is_file():
            raise InstallError(f"no hall.toml in {opts.configs}: give --configs FOLDER")
        run_steps(install_steps(opts), dry_run=opts.dry_run, out=out)
    except InstallError as err:
        print(f"安装未完成 / install stopped: {err}", file=out)
        return 1
    if not opts.dry_run:
        _next_steps(opts, out)
    return 0


def _next_steps(opts: Options, out: TextIO) -> None:
    p = opts.paths
    if not systemd_running():
        print("note: systemd is not running here: the units are in place but nothing was started", file=out)
    if opts.role == "hall":
        print(f"next: edit {p.hall_toml}, then `systemctl restart {units.CONTROLLER}`; add devices with "
              f"`onevisit device add --role kiosk --zone A --name NAME` (codes for `onevisit install --code`)",
              file=out)
    elif not Path(p.agent_toml).exists():
        print(f"next: enrol this device: `onevisit install --role {opts.role} --code CODE "
              f"--controller https://HALL:8443`", file=out)


def uninstall(purge: bool, dry_run: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        _check_root(dry_run)
        run_steps(uninstall_steps(purge), dry_run=dry_run, out=out)
    except InstallError as err:
        print(f"卸载未完成 / uninstall stopped: {err}", file=out)
        return 1
    if not purge and not dry_run:
        print("kept: configuration, data, the hall CA and the users (`onevisit uninstall --purge` removes them)",
              file=out)
    return 0
