from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from drivers.document_printer import PaperOut, SimulatedDocumentPrinter, UnsupportedDocument
from drivers.document_printer.documents import document_format, page_count
from drivers.health import HealthState


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "a.png"
    Image.new("L", (100, 100), 255).save(path)
    return path


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "three.pdf"
    pages = [Image.new("L", (100, 140), 255) for _ in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


def test_formats_and_pages(png: Path, pdf: Path, tmp_path: Path) -> None:
    assert document_format(png) == "image/png"
    assert document_format(pdf) == "application/pdf"
    assert (page_count(png), page_count(pdf)) == (1, 3)
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"MZ\x90\x00 not a pdf")
    with pytest.raises(UnsupportedDocument):
        document_format(bad)
    with pytest.raises(UnsupportedDocument):
        document_format(tmp_path / "missing.pdf")


async def test_sim_prints_and_counts_paper(pdf: Path) -> None:
    sim = SimulatedDocumentPrinter(sheets=8, low_at=4)
    job = await sim.print_file(pdf, copies=2)
    assert sim.printed_pages == 6
    assert sim.sheets == 2
    assert (job.health.state, job.health.reasons) == (HealthState.DEGRADED, ("media-low",))


async def test_sim_runs_out_mid_job_and_gives_up_plainly(pdf: Path) -> None:
    sim = SimulatedDocumentPrinter(sheets=2, job_timeout_s=0.2)
    with pytest.raises(PaperOut) as info:
        await sim.print_file(pdf)
    assert sim.printed_pages == 2
    assert info.value.reason == "media-empty"
    assert "media-empty" in info.value.reasons
    assert (await sim.health()).state is HealthState.FAULT


async def test_sim_job_resumes_when_paper_is_loaded(pdf: Path) -> None:
    sim = SimulatedDocumentPrinter(sheets=1, low_at=2, job_timeout_s=10)
    job = asyncio.create_task(sim.print_file(pdf))
    await asyncio.wait_for(sim.stalled.wait(), 5)
    assert sim.printed_pages == 1
    assert not job.done()
    sim.load_paper(10)
    result = await job
    assert sim.printed_pages == 3
    assert result.health.state is HealthState.OK


async def test_sim_cover_open_blocks(png: Path) -> None:
    sim = SimulatedDocumentPrinter(job_timeout_s=0.1)
    sim.set_cover_open(True)
    with pytest.raises(Exception) as info:
        await sim.print_file(png)
    assert type(info.value).__name__ == "CoverOpen"
    sim.set_cover_open(False)
    assert (await sim.self_test()).job_id == 2
