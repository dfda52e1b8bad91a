"""``onevisit device init|add|code|list|retire`` against the same database and broker as the controller."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiomqtt
import pytest

from edge_agent.provision import provision
from hall_protocol import topics
from onevisit.cli import main
from tests.integration.enrollment.conftest import HALL, Hall
from tests.integration.enrollment.test_enrolment_flow import device_client, until_cut_off

pytestmark = pytest.mark.integration

CODE = re.compile(r"one-time code: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    return rc, capsys.readouterr().out


async def test_add_list_retire_from_the_shell(hall: Hall, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--db", str(hall.settings.db_path), "--state-dir", str(hall.settings.state_dir)]
    rc, out = await asyncio.to_thread(run, capsys, "device", "add", "--role", "window-display", "--zone", "B",
                                      "--window", "W2", "--name", "3号窗口屏", "--controller", hall.url, *common)
    assert rc == 0, out
    assert "display-B-01" in out
    match = CODE.search(out)
    assert match is not None, out
    assert "▀" in out or "█" in out or "▄" in out  # the terminal QR
    code = match.group(1)

    rc, out = await asyncio.to_thread(run, capsys, "device", "list", *common)
    assert rc == 0
    assert "display-B-01" in out
    assert "pending" in out
    assert "code until" in out

    config = (await provision(hall.url, code, tmp_path / "dev", data_dir=str(tmp_path / "data"))).config
    await hall.wait_device(config.device_id, lambda d: d.selftest_ok is True, "self-test")
    rc, out = await asyncio.to_thread(run, capsys, "device", "list", *common)
    assert re.search(r"display-B-01\s+window-display\s+B\s+provisioned", out), out

    async with device_client(config) as c:
        await c.subscribe(topics.display(HALL, "B"), qos=1)
        broker = f"127.0.0.1:{hall.setup.broker.port}"
        rc, out = await asyncio.to_thread(run, capsys, "device", "retire", "display-B-01", "--broker", broker,
                                          "--broker-pidfile", str(tmp_path / "no.pid"), *common)
        assert rc == 0, out
        assert "已停用" in out
        with pytest.raises(aiomqtt.MqttError):
            await until_cut_off(c)

    rc, out = await asyncio.to_thread(run, capsys, "device", "list", *common)
    assert "retired" in out

    rc, out = await asyncio.to_thread(run, capsys, "device", "retire", "display-B-01", "--broker", broker, *common)
    assert rc == 1
    assert "不能执行" in out

    rc, out = await asyncio.to_thread(run, capsys, "device", "code", "display-B-01", *common)
    assert rc == 0
    assert CODE.search(out)
    rc, out = await asyncio.to_thread(run, capsys, "device", "list", *common)
    assert re.search(r"display-B-01\s+window-display\s+B\s+pending", out), out


def test_unknown_device_bad_role_and_missing_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--db", str(tmp_path / "hall.db"), "--state-dir", str(tmp_path / "state")]
    rc, out = run(capsys, "device", "list", *common)
    assert rc == 2
    assert "device init" in out
    assert not (tmp_path / "state" / "ca" / "ca.key").exists(), "list must never create a CA"

    rc, out = run(capsys, "device", "init", "--hall", "h9", "--server-host", "hall.local", *common)
    assert rc == 0
    assert "pin" in out
    rc, out = run(capsys, "device", "retire", "kiosk-A-09", *common)
    assert rc == 1
    assert "没有编号" in out
    rc, out = run(capsys, "device", "add", "--role", "kiosk", "--zone", "A/B", "--name", "x", *common)
    assert rc == 1
    assert "zone" in out
    with pytest.raises(SystemExit):
        run(capsys, "device", "add", "--role", "toaster", "--zone", "A", "--name", "x", *common)
