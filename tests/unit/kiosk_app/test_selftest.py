"""``onevisit selftest`` over the demo kiosk's simulators, and a device at fault."""

from __future__ import annotations

import io
import json
from pathlib import Path

from kiosk.selftest import DEVICE_NAMES, run_selftest_cli

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo"


def test_every_simulated_device_passes() -> None:
    out = io.StringIO()
    assert run_selftest_cli(DEMO / "kiosk.toml", as_json=False, out=out) == 0
    text = out.getvalue()
    for zh, en in DEVICE_NAMES.values():
        assert f"{zh} / {en} (sim): 正常 / ok" in text
    assert "nothing at fault" in text


def test_json_report() -> None:
    out = io.StringIO()
    assert run_selftest_cli(DEMO / "kiosk.toml", as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    assert report["ok"] is True
    assert {d["device"] for d in report["devices"]} == set(DEVICE_NAMES)
    assert all(d["state"] == "ok" and d["driver"] == "sim" for d in report["devices"])


def test_a_printer_without_paper_is_a_fault_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'device_id = "k"\nconfigs_dir = "{DEMO}"\n'
                    '[devices.document_printer]\ndriver = "sim"\nsheets = 0\njob_timeout_s = 0.5\n'
                    '[devices.keypad]\ndriver = "sim"\nkind = "caller"\n')
    out = io.StringIO()
    assert run_selftest_cli(path, as_json=True, out=out) == 1
    devices = {d["device"]: d for d in json.loads(out.getvalue())["devices"]}
    assert devices["document_printer"]["state"] == "fault"
    assert "media-empty" in devices["document_printer"]["reasons"]
    assert devices["keypad"]["state"] == "ok"  # one device's fault does not stop the others' tests


def test_a_bad_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('device_id = "k"\nnonsense = 1\n')
    assert run_selftest_cli(path, as_json=False, out=io.StringIO()) == 2
