"""The systemd units, the journald drop-in and the environment file that ``onevisit install`` lays down.

The texts are made here, from the installation's paths, so that the installer and the checked-in copies in
``systemd/`` cannot drift (a unit test renders them with the default paths and compares). Each unit runs one
process as its own user: ``Type=notify`` with a watchdog, ``Restart=always`` under a start limit (the
``onevisit-revive.timer`` clears a tripped limit every 10 minutes, so a hall that lost its disk for an hour
comes back by itself), and the sandbox options ``systemd-analyze security`` scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

CONTROLLER = "onevisit-controller.service"
AGENT = "onevisit-agent.service"
KIOSK = "onevisit-kiosk.service"
DISPLAY = "onevisit-x.service"
CRL_PATH = "onevisit-crl-reload.path"
CRL_SERVICE = "onevisit-crl-reload.service"
REVIVE_TIMER = "onevisit-revive.timer"
REVIVE_SERVICE = "onevisit-revive.service"

HALL_USER = "onevisit"
AGENT_USER = "onevisit-agent"
UI_USER = "onevisit-ui"
GROUP = "onevisit"

# the device files a UI may open: USB/serial ID readers, LED displays and keypads; USB receipt printers;
# cameras; the GPU and sound. PC/SC and CUPS are reached through their daemons' sockets instead.
UI_DEVICES = ("char-ttyUSB rw", "char-ttyACM rw", "char-ttyS rw", "char-usb_device rw", "char-usbmisc rw",
              "char-video4linux rw", "char-drm rw", "char-alsa rw", "char-input r")


@dataclass(frozen=True)
class Paths:
    """Where an installation lives (``onevisit install`` defaults; the units name these)."""

    python: str = "/opt/onevisit/.venv/bin/python"
    etc: str = "/etc/onevisit"
    lib: str = "/var/lib/onevisit"
    run: str = "/run/onevisit"
    mosquitto_unit: str = "mosquitto.service"

    @property
    def hall_toml(self) -> str:
        return f"{self.etc}/hall.toml"

    @property
    def controller_env(self) -> str:
        return f"{self.etc}/controller.env"

    @property
    def hall_db(self) -> str:
        return f"{self.lib}/hall.db"

    @property
    def enrollment(self) -> str:
        return f"{self.lib}/enrollment"

    @property
    def crl(self) -> str:
        return f"{self.enrollment}/ca/crl.pem"

    @property
    def agent_dir(self) -> str:
        """The device identity and agent.toml, written by ``onevisit provision`` (0600, the agent's user)."""
        return f"{self.etc}/agent"

    @property
    def agent_toml(self) -> str:
        return f"{self.agent_dir}/agent.toml"

    @property
    def agent_data(self) -> str:
        return f"{self.lib}/agent"

    @property
    def agent_socket(self) -> str:
        return f"{self.run}/agent.sock"

    @property
    def revive_env(self) -> str:
        return f"{self.etc}/revive.env"

    @property
    def kiosk_toml(self) -> str:
        return f"{self.etc}/kiosk.toml"


def _state_name(path: str, base: str = "/var/lib/") -> str:
    """``StateDirectory=`` takes a name under /var/lib."""
    assert path.startswith(base), path
    return path.removeprefix(base)


def _restart(interval_s: int = 600, burst: int = 10) -> list[str]:
    return [f"StartLimitIntervalSec={interval_s}", f"StartLimitBurst={burst}"]


def _common_hardening(*, resources: bool = False) -> list[str]:
    """``resources``: leave the @resources system calls allowed (Mesa's threads set their CPU affinity)."""
    return [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "RemoveIPC=yes",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged" if resources else "SystemCallFilter=~@privileged @resources",
        "SystemCallErrorNumber=EPERM",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
    ]


def controller_unit(p: Paths = Paths()) -> str:
    return "\n".join([
        "[Unit]",
        "Description=OneVisit hall controller (queue engine, silent calling, enrolment, pages)",
        "Documentation=file:///usr/share/doc/onevisit/README.md",
        f"After=network-online.target {p.mosquitto_unit}",
        "Wants=network-online.target",
        f"Requires={p.mosquitto_unit}",
        *_restart(),
        "",
        "[Service]",
        "# READY=1 once the broker session is up and the pages serve; WATCHDOG=1 while the service is healthy",
        "Type=notify",
        "NotifyAccess=main",
        f"User={HALL_USER}",
        f"Group={GROUP}",
        "# ONEVISIT_PUBLIC_HOST (the name devices use), ONEVISIT_API_HOST, ONEVISIT_WEB_HOST, ONEVISIT_WEB_PORT",
        f"EnvironmentFile={p.controller_env}",
        "# --state-dir: enrolment on, and the controller logs in to its broker as hall-controller (the broker",
        "# allows nobody anonymous); the pages use the hall CA's server certificate",
        f"ExecStart={p.python} -m hall_controller --config {p.hall_toml} --broker 127.0.0.1:1883"
        f" --db {p.hall_db} --state-dir {p.enrollment} --public-host ${{ONEVISIT_PUBLIC_HOST}}"
        " --api-host ${ONEVISIT_API_HOST} --web-host ${ONEVISIT_WEB_HOST} --web-port ${ONEVISIT_WEB_PORT}",
        "Restart=always",
        "RestartSec=3",
        "WatchdogSec=30",
        "TimeoutStartSec=90",
        "TimeoutStopSec=20",
        f"StateDirectory={_state_name(p.lib)}",
        "StateDirectoryMode=0750",
        "ConfigurationDirectory=onevisit",
        f"ReadWritePaths={p.lib}",
        "# group-readable: the broker (in group onevisit) reads the server key and the CRL",
        "UMask=0027",
        *_common_hardening(),
        "PrivateDevices=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "MemoryDenyWriteExecute=yes",
        "MemoryMax=1G",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def agent_unit(p: Paths = Paths()) -> str:
    return "\n".join([
        "[Unit]",
        "Description=OneVisit edge agent (MQTT session, outbox, offline tickets, telemetry, remote commands)",
        "Documentation=file:///usr/share/doc/onevisit/README.md",
        "After=network-online.target time-sync.target",
        "Wants=network-online.target",
        f"ConditionPathExists={p.agent_toml}",
        *_restart(),
        "",
        "[Service]",
        "# READY=1 once the UI's local socket listens; WATCHDOG=1 only while the main loop is healthy",
        "# (heartbeat recent, socket serving, no task crash-looping), so a wedged agent is restarted.",
        "Type=notify",
        "NotifyAccess=main",
        f"User={AGENT_USER}",
        f"Group={GROUP}",
        f"ExecStart={p.python} -m edge_agent --config {p.agent_toml}",
        "Restart=always",
        "RestartSec=2",
        "WatchdogSec=30",
        "TimeoutStartSec=60",
        "TimeoutStopSec=15",
        "# data_dir (outbox, leases) and the socket folder: the only places it writes",
        f"StateDirectory={_state_name(p.agent_data)}",
        "StateDirectoryMode=0750",
        f"RuntimeDirectory={_state_name(p.run, '/run/')}",
        "RuntimeDirectoryMode=0750",
        "RuntimeDirectoryPreserve=restart",
        "ConfigurationDirectory=onevisit",
        f"ReadWritePaths={p.agent_data} {p.run}",
        "UMask=0007",
        *_common_hardening(),
        "PrivateDevices=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "MemoryDenyWriteExecute=yes",
        "MemoryMax=128M",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def kiosk_unit(p: Paths = Paths()) -> str:
    return "\n".join([
        "[Unit]",
        "Description=OneVisit device UI (kiosk, hall screen, window display or evaluator)",
        "Documentation=file:///usr/share/doc/onevisit/README.md",
        f"After={AGENT} {DISPLAY}",
        f"Wants={AGENT}",
        f"Requires={DISPLAY}",
        *_restart(),
        "",
        "[Service]",
        "# READY=1 once the first frame is drawn; WATCHDOG=1 while Kivy's clock ticks (a frozen UI is restarted)",
        "Type=notify",
        "NotifyAccess=main",
        f"User={UI_USER}",
        f"Group={GROUP}",
        "SupplementaryGroups=dialout lp video audio",
        "Environment=DISPLAY=:0 KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 KIVY_HOME=/run/onevisit-ui/kivy",
        f"ExecStart={p.python} -m kiosk --config {p.kiosk_toml}",
        "Restart=always",
        "RestartSec=1",
        "WatchdogSec=30",
        "TimeoutStartSec=90",
        "TimeoutStopSec=15",
        "RuntimeDirectory=onevisit-ui",
        "RuntimeDirectoryMode=0700",
        "ConfigurationDirectory=onevisit",
        "ReadWritePaths=/run/onevisit-ui",
        "UMask=0077",
        "PrivateMounts=yes",
        "# the UI holds personal data only in memory; temporary files live in a private /tmp wiped on restart,",
        "# which still shows the X server's socket",
        *_common_hardening(resources=True),
        "BindReadOnlyPaths=/tmp/.X11-unix",
        "# serial and USB peripherals, the camera, the GPU and sound; nothing else under /dev",
        "DevicePolicy=closed",
        *(f"DeviceAllow={d}" for d in UI_DEVICES),
        "# the agent's and pcscd's sockets; the X server on :0; CUPS",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "# llvmpipe and the GL drivers compile shaders to machine code: MemoryDenyWriteExecute stays off",
        "MemoryMax=768M",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def display_unit() -> str:
    """A bare X server on the first screen, for the device UI (a kiosk needs no desktop)."""
    return "\n".join([
        "[Unit]",
        "Description=OneVisit display (X server on :0 for the device UI, no desktop)",
        "After=systemd-user-sessions.service plymouth-quit-wait.service",
        "Conflicts=getty@tty1.service",
        *_restart(),
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=/usr/bin/Xorg :0 vt1 -nolisten tcp -nocursor -s 0 -dpms -novtswitch",
        f"ExecStartPost=/bin/sh -c 'for i in $(seq 50); do DISPLAY=:0 /usr/bin/xhost +si:localuser:{UI_USER}"
        " && exit 0; sleep 0.2; done; exit 1'",
        "Restart=always",
        "RestartSec=2",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def crl_path_unit(p: Paths = Paths()) -> str:
    """The controller (user onevisit) cannot signal the broker: this path unit reloads it for the CRL."""
    return "\n".join([
        "[Unit]",
        "Description=Reload the hall broker when the device revocation list changes",
        "",
        "[Path]",
        f"PathChanged={p.crl}",
        f"Unit={CRL_SERVICE}",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def crl_service_unit(p: Paths = Paths()) -> str:
    return "\n".join([
        "[Unit]",
        "Description=Reload the hall broker so that it re-reads the device revocation list",
        f"After={p.mosquitto_unit}",
        "",
        "[Service]",
        "Type=oneshot",
        "# Mosquitto 2.0 re-reads crlfile on SIGHUP (docs/provisioning.md); a stopped broker reads it at start",
        f"ExecCondition=/bin/systemctl --quiet is-active {p.mosquitto_unit}",
        f"ExecStart=/bin/systemctl reload {p.mosquitto_unit}",
        "",
    ])


def revive_timer_unit() -> str:
    return "\n".join([
        "[Unit]",
        "Description=Start OneVisit services again after their start limit tripped",
        "",
        "[Timer]",
        "OnBootSec=10min",
        "OnUnitActiveSec=10min",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])


def revive_service_unit(p: Paths = Paths()) -> str:
    """A crash loop stops at the start limit (no log flood, no CPU burnt); ten minutes later this clears the
    limit and starts the role's services again, so a fault that went away (a full disk, a missing broker)
    heals. The role's units are listed in ``revive.env`` (see :func:`revive_env`)."""
    return "\n".join([
        "[Unit]",
        "Description=Start OneVisit services again after their start limit tripped",
        "",
        "[Service]",
        "Type=oneshot",
        f"EnvironmentFile={p.revive_env}",
        "ExecStart=/bin/systemctl reset-failed $ONEVISIT_UNITS",
        "ExecStart=/bin/systemctl --no-block start $ONEVISIT_UNITS",
        "",
    ])


def revive_env(role_units: tuple[str, ...]) -> str:
    return "\n".join([
        "# OneVisit: the services onevisit-revive.service starts again (written by `onevisit install`)",
        f"ONEVISIT_UNITS={' '.join(role_units)}",
        "",
    ])


def journald_dropin() -> str:
    """Logs that survive reboots but never fill the disk of a box nobody looks at for years."""
    return "\n".join([
        "# OneVisit: written by `onevisit install`",
        "[Journal]",
        "Storage=persistent",
        "SystemMaxUse=512M",
        "SystemKeepFree=1G",
        "MaxRetentionSec=6month",
        "RateLimitIntervalSec=30s",
        "RateLimitBurst=2000",
        "",
    ])


def controller_env(public_host: str, *, api_host: str = "0.0.0.0", web_host: str = "0.0.0.0",
                   web_port: int = 8080) -> str:
    return "\n".join([
        "# OneVisit hall controller: read by onevisit-controller.service (EnvironmentFile=)",
        "# the name or address devices and browsers use for this server (it goes into the server certificate)",
        f"ONEVISIT_PUBLIC_HOST={public_host}",
        "# the enrolment API (HTTPS, port 8443) and the pages (HTTPS with the hall CA's certificate)",
        f"ONEVISIT_API_HOST={api_host}",
        f"ONEVISIT_WEB_HOST={web_host}",
        f"ONEVISIT_WEB_PORT={web_port}",
        "",
    ])


def checked_in() -> dict[str, str]:
    """File name in ``systemd/`` → its text with the default paths (kept equal by a unit test)."""
    return {
        CONTROLLER: controller_unit(),
        AGENT: agent_unit(),
        KIOSK: kiosk_unit(),
        DISPLAY: display_unit(),
        CRL_PATH: crl_path_unit(),
        CRL_SERVICE: crl_service_unit(),
        REVIVE_TIMER: revive_timer_unit(),
        REVIVE_SERVICE: revive_service_unit(),
        "journald-onevisit.conf": journald_dropin(),
    }


def unit_path(directory: str, name: str) -> PurePosixPath:
    return PurePosixPath(directory) / name
