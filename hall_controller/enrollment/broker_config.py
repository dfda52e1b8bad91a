"""Mosquitto configuration for mutual TLS + dynamic security, for production and for private test brokers.

Identity decision (docs/provisioning.md, "Trust model"): ``use_identity_as_username false``. A device must
present BOTH a client certificate signed by the hall CA (checked against ``crlfile`` at the TLS handshake) AND
its dynsec username (= device id) with its random password. The ACL is keyed by that username. Deleting the
dynsec client refuses the device at its next CONNECT and kicks its live session at once, whether or not the
broker has re-read the CRL yet; with the certificate's CN as the username instead, a revoked or replaced
device's certificate would keep its username until the CRL reload.

What each listener lets in (checked against Mosquitto 2.0.11, tests/integration/enrollment/test_broker_hardening.py):

- The device listener (mutual TLS) replaces every client id with the username (``use_username_as_clientid``).
  MQTT lets a new connection take over any live session with the same client id, whoever owns it; without
  this, one kiosk connecting as ``hall-controller-{hall}`` disconnected the controller, again and again.
- The controller's and the admin's dynsec clients are pinned to a client id that is not their username
  (:mod:`.dynsec`): on the device listener their client id is their username, so they are refused there.
- The loopback listener still accepts a device's username and password without its certificate. Mosquitto
  2.0 cannot scope the dynamic-security plugin to one listener: with ``per_listener_settings true`` its
  ``$CONTROL`` API answers only clients of the listener that loaded it (so the admin would have to come in
  over the device listener), and two instances of the plugin cannot share one file (mosquitto#2423);
  ``plugin_use`` per listener arrives in 2.1. Only processes on the hall server reach that listener.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from hall_protocol.codec import MAX_PAYLOAD

PLUGIN_NAME = "mosquitto_dynamic_security.so"
PLUGIN_CANDIDATES = (
    f"/usr/lib/x86_64-linux-gnu/{PLUGIN_NAME}",  # Debian/Ubuntu amd64 (dpkg -L mosquitto)
    f"/usr/lib/aarch64-linux-gnu/{PLUGIN_NAME}",
    f"/usr/lib/arm-linux-gnueabihf/{PLUGIN_NAME}",
    f"/usr/lib/mosquitto/{PLUGIN_NAME}",
    f"/usr/local/lib/{PLUGIN_NAME}",
)
DEFAULT_TLS_PORT = 8883
DEFAULT_LOCAL_PORT = 1883
MAX_PACKET = 4 * MAX_PAYLOAD
"""No OneVisit message is over MAX_PAYLOAD (every receiver refuses larger ones unread): a client sending a
packet this large is disconnected by the broker before any subscriber has to read it."""


def find_dynsec_plugin() -> str | None:
    for candidate in PLUGIN_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = sorted(glob.glob(f"/usr/lib/*/{PLUGIN_NAME}"))
    return found[0] if found else None


@dataclass(frozen=True)
class BrokerFiles:
    """Files the broker reads (and, for the dynsec file, writes)."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    crl_file: Path
    dynsec_file: Path

    @classmethod
    def in_dirs(cls, ca_dir: Path, dynsec_file: Path) -> BrokerFiles:
        return cls(ca_dir / "ca.crt", ca_dir / "server.crt", ca_dir / "server.key", ca_dir / "crl.pem", dynsec_file)


def security_lines(files: BrokerFiles, plugin: str) -> list[str]:
    """Global settings: no anonymous clients, dynamic security for every listener, no oversized packets."""
    return [
        "per_listener_settings false",
        "allow_anonymous false",
        f"plugin {plugin}",
        f"plugin_opt_config_file {files.dynsec_file}",
        f"max_packet_size {MAX_PACKET}",
    ]


def tls_listener_lines(files: BrokerFiles, port: int, bind: str = "") -> list[str]:
    """The devices' listener: TLS 1.2+, client certificate required and checked against the CRL."""
    return [
        f"listener {port} {bind}".rstrip(),
        f"cafile {files.ca_file}",
        f"certfile {files.cert_file}",
        f"keyfile {files.key_file}",
        f"crlfile {files.crl_file}",
        "require_certificate true",
        "use_identity_as_username false",
        "tls_version tlsv1.2",
        # a device is its username here, so it can never take over another client's session
        "use_username_as_clientid true",
    ]


def private_extra_config(files: BrokerFiles, tls_port: int, plugin: str) -> str:
    """``extra_config`` for :class:`onevisit.broker.PrivateBroker`: its own loopback listener stays the
    plain admin/controller listener; this adds dynsec and a mutual-TLS listener on ``tls_port``."""
    # PrivateBroker itself keeps root's identity when started as root (it could not read a test's key or
    # write its dynsec file in a 0700 temp dir as user "mosquitto")
    lines = [*security_lines(files, plugin), *tls_listener_lines(files, tls_port, "127.0.0.1")]
    return "\n".join(lines) + "\n"


def production_config(
    files: BrokerFiles,
    *,
    plugin: str = PLUGIN_CANDIDATES[0],
    tls_port: int = DEFAULT_TLS_PORT,
    local_port: int = DEFAULT_LOCAL_PORT,
) -> str:
    """The hall server's ``/etc/mosquitto/conf.d/onevisit.conf`` (checked in as systemd/mosquitto-onevisit.conf)."""
    lines = [
        "# OneVisit hall broker: generated by hall_controller.enrollment.broker_config.production_config().",
        "# Install as /etc/mosquitto/conf.d/onevisit.conf. Reload (SIGHUP) re-reads crlfile; see",
        "# docs/provisioning.md.",
        "",
        "# Paho and Mosquitto leave Nagle on by default: ~40x slower QoS 1 round trips (DESIGN.md §9).",
        "set_tcp_nodelay true",
        "",
        "# Every client authenticates against the dynamic-security plugin; nobody is anonymous; no packet is",
        "# larger than four times the largest message.",
        *security_lines(files, plugin),
        "",
        "# The controller and the dynsec admin: plain MQTT, loopback only.",
        f"listener {local_port} 127.0.0.1",
        "",
        "# Devices: mutual TLS with the hall CA, plus their dynsec username/password.",
        *tls_listener_lines(files, tls_port),
    ]
    return "\n".join(lines) + "\n"


PRODUCTION_FILES = BrokerFiles.in_dirs(
    Path("/var/lib/onevisit/enrollment/ca"), Path("/var/lib/mosquitto/dynamic-security.json")
)
