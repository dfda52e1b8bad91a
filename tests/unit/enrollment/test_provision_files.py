from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from edge_agent.config import load_agent_config
from edge_agent.provision import agent_toml, parse_enroll_link
from hall_protocol.devices import Role
from hall_protocol.enrolment import CodeFormatError
from hall_runtime.files import write_private


def test_agent_toml_round_trips_through_the_strict_loader(tmp_path: Path) -> None:
    text = agent_toml({
        "device_id": "kiosk-A-01", "role": "kiosk", "hall": "h1", "zone": "A", "data_dir": '/var/lib/"odd"\\dir',
        "broker": {"host": "大厅.local", "port": 8883, "tls": True, "username": "kiosk-A-01",
                   "password_file": "/etc/onevisit/broker.password"},
    })
    f = tmp_path / "agent.toml"
    f.write_text(text)
    cfg = load_agent_config(f)
    assert cfg.role is Role.KIOSK
    assert cfg.broker.host == "大厅.local"
    assert cfg.broker.port == 8883
    assert cfg.data_dir == '/var/lib/"odd"\\dir'
    assert cfg.broker.tls is True


def test_private_files_are_0600_from_the_start_and_replaced_whole(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "device.key"
    write_private(f, b"one")
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert f.read_bytes() == b"one"
    os.chmod(f, 0o644)
    write_private(f, b"two")
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert f.read_bytes() == b"two"
    assert [p.name for p in f.parent.iterdir()] == ["device.key"]


def test_enrol_link() -> None:
    code = "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV"
    assert parse_enroll_link(f"https://hall.local:8443/enroll?code={code}") == ("https://hall.local:8443", code)
    for bad in ("http://hall/enroll?code=x", "https://hall/other?code=x", "https://hall/enroll", "hello"):
        with pytest.raises(CodeFormatError):
            parse_enroll_link(bad)
