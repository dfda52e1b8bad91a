"""The production broker config, with its paths moved to a temp dir, really starts Mosquitto."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hall_controller.enrollment.broker_config import BrokerFiles, find_dynsec_plugin, production_config
from hall_controller.enrollment.service import EnrollmentSettings, init_state
from onevisit.broker import find_mosquitto
from tests.fixtures.components import free_port, port_open, stop, unavailable, wait_for

pytestmark = pytest.mark.integration


def test_production_config_starts_with_both_listeners(tmp_path: Path) -> None:
    plugin = find_dynsec_plugin()
    if plugin is None:
        unavailable("mosquitto dynamic-security plugin", "not installed")
    assert plugin is not None
    settings = EnrollmentSettings(hall="h1", db_path=tmp_path / "hall.db", state_dir=tmp_path / "state")
    files = BrokerFiles.in_dirs(settings.ca_dir, tmp_path / "dynamic-security.json")
    init_state(settings, files.dynsec_file)
    tls_port, local_port = free_port(), free_port()
    text = production_config(files, plugin=plugin, tls_port=tls_port, local_port=local_port)
    text = text.replace(f"listener {tls_port}\n", f"listener {tls_port} 127.0.0.1\n")  # loopback in tests
    log = tmp_path / "mosquitto.log"
    extra = [f"log_dest file {log}"] + (["user root"] if os.geteuid() == 0 else [])
    conf = tmp_path / "mosquitto.conf"
    conf.write_text("\n".join(extra) + "\n" + text)
    proc = subprocess.Popen([find_mosquitto(), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: port_open(tls_port) and port_open(local_port), 10, "mosquitto (production config)",
                 proc, log)
        assert proc.poll() is None
    finally:
        stop(proc)
