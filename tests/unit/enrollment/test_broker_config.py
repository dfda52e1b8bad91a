from __future__ import annotations

from pathlib import Path

from hall_controller.enrollment.broker_config import (
    MAX_PACKET,
    PRODUCTION_FILES,
    BrokerFiles,
    private_extra_config,
    production_config,
)
from hall_protocol.codec import MAX_PAYLOAD

ROOT = Path(__file__).resolve().parents[3]


def test_checked_in_broker_config_is_the_generated_one() -> None:
    text = (ROOT / "systemd" / "mosquitto-onevisit.conf").read_text()
    assert text == production_config(PRODUCTION_FILES), "regenerate with production_config(PRODUCTION_FILES)"


def test_production_settings() -> None:
    lines = production_config(PRODUCTION_FILES).splitlines()
    for needed in ("allow_anonymous false", "require_certificate true", "use_identity_as_username false",
                   "set_tcp_nodelay true", "listener 1883 127.0.0.1", "listener 8883",
                   f"crlfile {PRODUCTION_FILES.crl_file}", f"plugin_opt_config_file {PRODUCTION_FILES.dynsec_file}",
                   f"max_packet_size {MAX_PACKET}"):
        assert needed in lines
    # The plain listener is loopback only; the TLS settings belong to the device listener after it.
    order = [lines.index(x) for x in ("listener 1883 127.0.0.1", "listener 8883", "require_certificate true",
                                      "use_username_as_clientid true")]
    assert order == sorted(order)
    # only the device listener forces client id = username (the controller and admin are pinned to others)
    assert lines.count("use_username_as_clientid true") == 1


def test_the_packet_limit_leaves_room_for_every_message() -> None:
    assert MAX_PACKET >= 2 * MAX_PAYLOAD  # a message at the codec's limit plus topic and properties


def test_private_config_adds_a_loopback_tls_listener(tmp_path: Path) -> None:
    files = BrokerFiles.in_dirs(tmp_path / "ca", tmp_path / "dynsec.json")
    text = private_extra_config(files, 18883, "/x/plugin.so")
    assert "listener 18883 127.0.0.1" in text.splitlines()
    assert f"cafile {tmp_path / 'ca' / 'ca.crt'}" in text
