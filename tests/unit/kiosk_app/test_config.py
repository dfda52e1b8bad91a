"""kiosk.toml: the demo file loads with every device's simulator; mistakes name the file, field and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.idcard import IdReaderSimConfig
from drivers.receipt_printer import ReceiptSimConfig
from hall_protocol.config_files import ConfigError
from kiosk.config import KioskConfig, load_kiosk_config

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'configs_dir = "{DEMO}"\n' + text)
    return path


def test_demo_kiosk_toml_uses_every_simulator() -> None:
    config = load_kiosk_config(DEMO / "kiosk.toml")
    assert config.role == "kiosk"
    assert isinstance(config.devices.id_reader, IdReaderSimConfig)
    assert isinstance(config.devices.receipt_printer, ReceiptSimConfig)
    configured = config.devices.configured()
    assert set(configured) == {"id_reader", "card_reader", "receipt_printer", "document_printer", "camera",
                               "led_display", "keypad"}
    assert config.configs_path(DEMO) == DEMO
    assert config.idle.warning_s >= 20


def test_defaults_for_a_minimal_file(tmp_path: Path) -> None:
    config = load_kiosk_config(write(tmp_path, 'device_id = "k-9"\n'))
    assert config == KioskConfig(device_id="k-9", configs_dir=str(DEMO))
    assert config.devices.configured() == {}


@pytest.mark.parametrize(("text", "field"), [
    ('device_id = "k"\ncolour = "red"\n', "colour"),
    ('device_id = "k"\n[idle]\nwarning_s = 10\n', "idle"),
    ('device_id = "k"\n[devices.id_reader]\ndriver = "magic"\n', "devices.id_reader.driver"),
    ('device_id = "k"\n[devices.receipt_printer]\ndriver = "sim"\npaper_width_mm = 70\n',
     "devices.receipt_printer.paper_width_mm"),
    ('device_id = "k"\n[speech]\nvolume = 150\n', "speech.volume"),
    ('device_id = "k"\nrole = "evaluator"\n', ""),
    ('device_id = "k"\nlanguage = "fr"\n', "language"),
])
def test_mistakes_are_reported_with_their_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_kiosk_config(write(tmp_path, text))
    problem = err.value.problems[0]
    assert problem.file.endswith("kiosk.toml")
    assert problem.field == field


def test_a_role_at_a_window_needs_its_window(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="window_id"):
        load_kiosk_config(write(tmp_path, 'device_id = "e"\nrole = "window-display"\n'))
    config = load_kiosk_config(write(tmp_path, 'device_id = "e"\nrole = "evaluator"\nwindow_id = "W1"\n'))
    assert config.window_id == "W1"


def test_configs_dir_must_hold_a_hall(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('device_id = "k"\nconfigs_dir = "nowhere"\n')
    with pytest.raises(ConfigError) as err:
        load_kiosk_config(path)
    assert err.value.problems[0].field == "configs_dir"
