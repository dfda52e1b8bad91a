from __future__ import annotations

from pathlib import Path

import pytest

from drivers.document_printer import (
    CupsConfig,
    CupsPrinter,
    DocumentPrinterConfig,
    DocumentSimConfig,
    SimulatedDocumentPrinter,
    open_document_printer,
)
from drivers.receipt_printer import (
    EscposFileConfig,
    EscposPrinter,
    EscposSerialConfig,
    ReceiptPrinterConfig,
    ReceiptSimConfig,
    open_receipt_printer,
)
from hall_protocol.config_files import ConfigError, convert, load_toml


def test_receipt_config_chosen_by_driver_field() -> None:
    cfg = convert({"driver": "escpos-serial", "port": "/dev/ttyUSB0", "paper_width_mm": 58},
                  ReceiptPrinterConfig)  # type: ignore[arg-type]
    assert cfg == EscposSerialConfig(port="/dev/ttyUSB0", paper_width_mm=58)
    assert isinstance(convert({"driver": "escpos-file", "path": "/dev/usb/lp0"}, ReceiptPrinterConfig),  # type: ignore[arg-type]
                      EscposFileConfig)
    assert isinstance(convert({"driver": "sim"}, ReceiptPrinterConfig), ReceiptSimConfig)  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "field"), [
    ({"driver": "escpos-serial", "port": "/dev/ttyS0", "baud": 9600}, "baud"),
    ({"driver": "escpos-serial", "port": "/dev/ttyS0", "paper_width_mm": 60}, "paper_width_mm"),
    ({"driver": "escpos-serial", "port": "/dev/ttyS0", "status_timeout_s": 0}, "status_timeout_s"),
    ({"driver": "laser", "port": "/dev/ttyS0"}, "driver"),
])
def test_receipt_config_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        convert(raw, ReceiptPrinterConfig, source="kiosk.toml")  # type: ignore[arg-type]
    assert field in str(info.value)


def test_document_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "printer.toml"
    path.write_text('driver = "cups"\nqueue = "hall-a4"\nport = 6310\njob_timeout_s = 60\n')
    cfg = load_toml(path, DocumentPrinterConfig)  # type: ignore[arg-type]
    assert cfg == CupsConfig(queue="hall-a4", port=6310, job_timeout_s=60)
    path.write_text('driver = "cups"\nqeue = "hall-a4"\n')
    with pytest.raises(ConfigError) as info:
        load_toml(path, DocumentPrinterConfig)  # type: ignore[arg-type]
    assert "qeue" in str(info.value)


async def test_factories_build_without_io() -> None:
    assert isinstance(open_receipt_printer(EscposSerialConfig(port="/dev/does-not-exist")), EscposPrinter)
    assert isinstance(open_receipt_printer(EscposFileConfig(path="/dev/usb/lp9")), EscposPrinter)
    printer = open_document_printer(CupsConfig(queue="q"))
    assert isinstance(printer, CupsPrinter)
    await printer.close()
    assert isinstance(open_document_printer(DocumentSimConfig()), SimulatedDocumentPrinter)


async def test_missing_serial_port_is_absent_not_a_crash() -> None:
    printer = open_receipt_printer(EscposSerialConfig(port="/dev/does-not-exist"))
    health = await printer.health()
    assert (health.state, health.reasons) == ("absent", ("printer-absent",))
