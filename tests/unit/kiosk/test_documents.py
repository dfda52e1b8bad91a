from __future__ import annotations

import asyncio

import pytest

from hall_protocol.identity import is_valid_id_number
from kiosk.documents import (
    DEMO_BANNER,
    DEMO_PEOPLE,
    DocumentNotFound,
    DocumentService,
    DocumentServiceUnavailable,
    SimulatedDocumentService,
    SimulatedFault,
)
from kiosk.viewmodels.session import Identity, IdSource

ZHANG = Identity(id_number=DEMO_PEOPLE[0].id_number, name=DEMO_PEOPLE[0].name, source=IdSource.ID_CARD)


def test_demo_people_have_valid_fictional_numbers() -> None:
    assert all(is_valid_id_number(p.id_number) for p in DEMO_PEOPLE)
    assert DEMO_BANNER == "演示数据 / Demo data"


async def test_simulator_lists_documents_with_the_demo_banner() -> None:
    service: DocumentService = SimulatedDocumentService()
    docs = await service.list_documents(ZHANG)
    assert len(docs) == 3
    assert all(d.banner == DEMO_BANNER for d in docs)
    cases = await service.case_progress(ZHANG)
    assert cases
    assert all(c.banner == DEMO_BANNER for c in cases)
    nobody = Identity(id_number="110101200001010010", source=IdSource.MANUAL)
    assert await service.list_documents(nobody) == []


async def test_fetch_renders_real_pdf_and_png() -> None:
    service = SimulatedDocumentService()
    docs = {d.mime: d for d in await service.list_documents(ZHANG)}
    pdf = await service.fetch(docs["application/pdf"].doc_id)
    png = await service.fetch(docs["image/png"].doc_id)
    assert pdf.startswith(b"%PDF-")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DocumentNotFound):
        await service.fetch("SIM-NOPE")


async def test_injected_faults() -> None:
    service = SimulatedDocumentService(fault=SimulatedFault.UNAVAILABLE)
    with pytest.raises(DocumentServiceUnavailable):
        await service.list_documents(ZHANG)
    service.fault = SimulatedFault.TIMEOUT
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await service.case_progress(ZHANG)
    service.fault = SimulatedFault.NONE
    assert await service.case_progress(ZHANG)
    assert service.calls == ["list_documents", "case_progress", "case_progress"]
