"""Fixtures for the agent's integration tests."""

from __future__ import annotations

import os

import pytest

from onevisit.broker import PrivateBroker


@pytest.fixture
def outage_broker(private_mosquitto: PrivateBroker) -> PrivateBroker:
    """``private_mosquitto`` whose persistence really works across stop/start.

    Run as root, Mosquitto drops to its own user and cannot write into the fixture's private 0700 work
    folder: it then neither logs nor saves its sessions, and after a restart the controller's persistent
    session (and every message queued for it) is gone. Opening the folder to that user fixes both; the
    broker is restarted so that it starts logging too.
    """
    assert private_mosquitto.workdir is not None
    if os.geteuid() == 0:
        os.chmod(private_mosquitto.workdir, 0o777)
        private_mosquitto.restart()
    return private_mosquitto
