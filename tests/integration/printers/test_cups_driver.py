"""The CUPS driver against a private cupsd and an ippeveprinter whose tray can run empty."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from PIL import Image

from drivers.document_printer import (
    CupsConfig,
    CupsPrinter,
    JobFailed,
    PaperJam,
    PaperOut,
    PrinterOffline,
    PrintServiceUnavailable,
    UnsupportedDocument,
    open_document_printer,
)
from drivers.health import HealthState
from tests.fixtures.components import free_port
from tests.fixtures.cups import CupsServer

pytestmark = pytest.mark.integration


def _driver(server: CupsServer, queue: str | None = None, timeout: float = 15.0) -> CupsPrinter:
    printer = open_document_printer(CupsConfig(queue=queue or server.queue, host=server.host, port=server.port,
                                               job_timeout_s=timeout, poll_interval_s=0.1))
    assert isinstance(printer, CupsPrinter)
    return printer


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.png"
    Image.new("L", (400, 300), 200).save(path)
    return path


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "form.pdf"
    pages = [Image.new("L", (595, 842), 255) for _ in range(2)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


async def test_png_and_pdf_print_to_completion(cups_printer: CupsServer, png: Path, pdf: Path) -> None:
    printer = _driver(cups_printer)
    assert (await printer.health()).state is HealthState.OK
    first = await printer.print_file(png, title="材料回执")
    second = await printer.print_file(pdf)
    await printer.close()
    assert second.job_id > first.job_id
    assert first.health.state is HealthState.OK
    assert len(cups_printer.printed()) == 2


async def test_paper_runs_out_mid_job_and_the_wait_ends_with_paper_out(cups_printer: CupsServer,
                                                                        pdf: Path) -> None:
    cups_printer.paper_out()
    printer = _driver(cups_printer, timeout=6.0)
    job = asyncio.create_task(printer.print_file(pdf))
    # While the job waits, health says why, in the shared vocabulary.
    deadline = time.monotonic() + 6
    health = await printer.health()
    while "media-empty" not in health.reasons and time.monotonic() < deadline and not job.done():
        await asyncio.sleep(0.1)
        health = await printer.health()
    assert health.state is HealthState.FAULT
    assert "media-empty" in health.reasons
    started = time.monotonic()
    with pytest.raises(PaperOut) as info:
        await job
    assert time.monotonic() - started < 8
    err = info.value
    assert err.reason == "media-empty"
    assert "media-empty" in err.reasons
    assert "job canceled" in str(err)
    assert cups_printer.printed() == []
    await printer.close()


async def test_paper_refilled_while_waiting_lets_the_job_finish(cups_printer: CupsServer, png: Path) -> None:
    cups_printer.paper_out()
    printer = _driver(cups_printer, timeout=20.0)
    job = asyncio.create_task(printer.print_file(png))
    health = await printer.health()
    deadline = time.monotonic() + 10
    while "media-empty" not in health.reasons and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        health = await printer.health()
    assert "media-empty" in health.reasons
    cups_printer.paper_out(False)  # staff load paper
    result = await job
    assert len(cups_printer.printed()) == 1
    assert result.seconds < 20
    await printer.close()


async def test_jammed_printer_fails_the_job_plainly(cups_printer: CupsServer, png: Path) -> None:
    cups_printer.jam()
    printer = _driver(cups_printer, timeout=15.0)
    with pytest.raises((PaperJam, JobFailed)) as info:
        await printer.print_file(png)
    assert info.value.reason in ("media-jam", "job-failed")
    assert info.value.job_id is not None
    assert cups_printer.printed() == []
    await printer.close()


async def test_switched_off_printer_times_out_as_offline(cups_printer: CupsServer, png: Path) -> None:
    printer = _driver(cups_printer, queue=cups_printer.dead_queue, timeout=4.0)
    started = time.monotonic()
    with pytest.raises(PrinterOffline) as info:
        await printer.print_file(png)
    assert 4 <= time.monotonic() - started < 8
    assert info.value.reason == "offline"
    health = await printer.health()
    assert health.state is HealthState.FAULT
    assert "offline" in health.reasons
    await printer.close()


async def test_unknown_queue_and_unreachable_cupsd(cups_printer: CupsServer, png: Path) -> None:
    missing = _driver(cups_printer, queue="no-such-queue")
    health = await missing.health()
    assert (health.state, health.reasons) == (HealthState.ABSENT, ("printer-absent",))
    with pytest.raises(PrintServiceUnavailable):
        await missing.print_file(png)
    await missing.close()
    nobody = open_document_printer(CupsConfig(queue="ov-doc", host="127.0.0.1", port=free_port()))
    assert (await nobody.health()).state is HealthState.ABSENT
    with pytest.raises(PrintServiceUnavailable):
        await nobody.print_file(png)
    await nobody.close()


async def test_unsupported_file_never_reaches_the_queue(cups_printer: CupsServer, tmp_path: Path) -> None:
    doc = tmp_path / "letter.docx"
    doc.write_bytes(b"PK\x03\x04 not printable here")
    printer = _driver(cups_printer)
    with pytest.raises(UnsupportedDocument):
        await printer.print_file(doc)
    await printer.close()
    assert cups_printer.printed() == []


async def test_self_test_page(cups_printer: CupsServer) -> None:
    printer = _driver(cups_printer)
    job = await printer.self_test()
    await printer.close()
    assert job.health.state is HealthState.OK
    assert len(cups_printer.printed()) == 1


async def test_paused_queue_refuses_at_once(cups_printer: CupsServer, png: Path) -> None:
    import cups

    cups.setServer(cups_printer.host)
    cups.setPort(cups_printer.port)
    cups.Connection(host=cups_printer.host, port=cups_printer.port).disablePrinter(cups_printer.queue)
    printer = _driver(cups_printer)
    health = await printer.health()
    assert health.state is HealthState.FAULT
    assert "paused" in health.reasons
    started = time.monotonic()
    with pytest.raises(JobFailed) as info:
        await printer.print_file(png)
    assert time.monotonic() - started < 2
    assert info.value.job_id is None  # nothing was queued
    await printer.close()
