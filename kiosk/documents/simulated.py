"""A SIMULATED document service: fictional demo records, for demos and tests only.

Every record it returns carries the banner "演示数据 / Demo data", and every document it renders has the
banner printed across it, so a simulated document can never pass for a real one. It can be told to fail
(``timeout``: never answers; ``unavailable``: refuses) to exercise the kiosk's fault handling.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.documents.service import (
    CaseProgress,
    CaseStatus,
    CaseStep,
    DocumentKind,
    DocumentNotFound,
    DocumentRef,
    DocumentServiceUnavailable,
)

if TYPE_CHECKING:
    from kiosk.viewmodels.session import Identity

log = logging.getLogger(__name__)

DEMO_BANNER = "演示数据 / Demo data"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_CST = timezone(timedelta(hours=8))


class SimulatedFault(StrEnum):
    NONE = "none"
    TIMEOUT = "timeout"  # the call never returns: the caller's own timeout must fire
    UNAVAILABLE = "unavailable"  # the service answers "unavailable" at once


@dataclass(frozen=True)
class DemoPerson:
    """A fictional resident; the ID numbers are made up but carry valid check digits."""

    name: str
    id_number: str


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("张三", "210102196503120026"),
    DemoPerson("李四", "210103198805214517"),
    DemoPerson("王芳", "210112199209153026"),
)


def _demo_records() -> tuple[dict[str, list[DocumentRef]], dict[str, list[CaseProgress]]]:
    d = date(2024, 5, 20)
    at = datetime(2024, 5, 20, 10, 30, tzinfo=_CST)

    def doc(doc_id: str, kind: DocumentKind, zh: str, en: str, days: int, mime: str, pages: int = 1) -> DocumentRef:
        return DocumentRef(doc_id=doc_id, kind=kind, title_zh=zh, title_en=en, issued_on=d - timedelta(days=days),
                           pages=pages, mime=mime, banner=DEMO_BANNER)

    def step(zh: str, en: str, done: bool, hours: int | None = None) -> CaseStep:
        when = at + timedelta(hours=hours) if hours is not None else None
        return CaseStep(name_zh=zh, name_en=en, done=done, at=when)

    zhang, li, wang = (p.id_number for p in DEMO_PEOPLE)
    documents = {
        zhang: [
            doc("SIM-R-0001", DocumentKind.RECEIPT, "退休待遇核定受理回执", "Receipt: retirement benefit assessment",
                3, "application/pdf"),
            doc("SIM-L-0002", DocumentKind.LICENCE, "电子社会保障卡凭证", "E-licence: social security card", 30,
                "image/png"),
            doc("SIM-C-0003", DocumentKind.CASE, "住房公积金提取核准通知书",
                "Notice: provident fund withdrawal approved", 1, "application/pdf", 2),
        ],
        li: [
            doc("SIM-L-0101", DocumentKind.LICENCE, "营业执照（电子副本）", "E-licence: business licence (copy)", 7,
                "image/png"),
            doc("SIM-R-0102", DocumentKind.RECEIPT, "食品经营许可受理回执", "Receipt: food business licence", 2,
                "application/pdf"),
        ],
        wang: [],
    }
    progress = {
        zhang: [
            CaseProgress(case_no="SIM20240517-0031", service_zh="退休待遇核定",
                         service_en="Retirement benefit assessment",
                         status=CaseStatus.IN_REVIEW, updated_at=at, banner=DEMO_BANNER,
                         steps=(step("受理", "Accepted", True, -72), step("审核", "Review", False),
                                step("办结", "Completed", False))),
            CaseProgress(case_no="SIM20240519-0007", service_zh="住房公积金提取",
                         service_en="Provident fund withdrawal",
                         status=CaseStatus.APPROVED, updated_at=at - timedelta(hours=20), banner=DEMO_BANNER,
                         steps=(step("受理", "Accepted", True, -26), step("审核", "Review", True, -22),
                                step("办结", "Completed", True, -20))),
        ],
        li: [
            CaseProgress(case_no="SIM20240518-0112", service_zh="食品经营许可", service_en="Food business licence",
                         status=CaseStatus.NEEDS_MATERIAL, updated_at=at - timedelta(hours=3), banner=DEMO_BANNER,
                         steps=(step("受理", "Accepted", True, -48), step("现场核查", "Site inspection", False),
                                step("发证", "Licence issued", False))),
        ],
        wang: [],
    }
    return documents, progress


def render_demo_document(ref: DocumentRef, holder_masked: str) -> bytes:
    """Draw the document with the demo banner across it (blocking: run in a thread)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(img)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    big: ImageFont.FreeTypeFont | ImageFont.ImageFont
    if CJK_FONT.exists():
        font = ImageFont.truetype(str(CJK_FONT), 36)
        big = ImageFont.truetype(str(CJK_FONT), 96)
        title = ref.title_zh
    else:  # without the CJK font the Chinese would draw as boxes
        font = big = ImageFont.load_default()
        title = ref.title_en
    draw.text((100, 120), title, fill="black", font=font)
    draw.text((100, 200), f"{ref.doc_id}  {ref.issued_on.isoformat()}  {holder_masked}", fill="black", font=font)
    for y in (500, 900, 1300):
        draw.text((150, y), DEMO_BANNER, fill=(200, 0, 0), font=big)
    out = io.BytesIO()
    if ref.mime == "application/pdf":
        img.save(out, "PDF", resolution=150.0)
    else:
        img.save(out, "PNG")
    return out.getvalue()


class SimulatedDocumentService:
    """SIMULATOR of the hall's document service (demo records only). Implements DocumentService."""

    banner = DEMO_BANNER

    def __init__(self, *, fault: SimulatedFault = SimulatedFault.NONE) -> None:
        self.fault = fault
        self.calls: list[str] = []  # method names, for tests and diagnostics
        self._documents, self._progress = _demo_records()
        self._owner = {ref.doc_id: idn for idn, refs in self._documents.items() for ref in refs}
        self._hang = asyncio.Event()  # never set: a TIMEOUT fault waits here until the caller gives up

    async def _maybe_fail(self, what: str) -> None:
        self.calls.append(what)
        if self.fault is SimulatedFault.UNAVAILABLE:
            raise DocumentServiceUnavailable(f"simulated document service: {what}: unavailable (injected fault)")
        if self.fault is SimulatedFault.TIMEOUT:
            log.info("simulated document service: %s hangs (injected timeout fault)", what)
            await self._hang.wait()

    async def list_documents(self, identity: Identity) -> list[DocumentRef]:
        await self._maybe_fail("list_documents")
        return list(self._documents.get(identity.id_number, []))

    async def fetch(self, doc_id: str) -> bytes:
        await self._maybe_fail("fetch")
        owner = self._owner.get(doc_id)
        if owner is None:
            raise DocumentNotFound(f"simulated document service: no document {doc_id!r}")
        ref = next(r for r in self._documents[owner] if r.doc_id == doc_id)
        from hall_protocol.identity import mask_id_number

        return await asyncio.to_thread(render_demo_document, ref, mask_id_number(owner))

    async def case_progress(self, identity: Identity) -> list[CaseProgress]:
        await self._maybe_fail("case_progress")
        return list(self._progress.get(identity.id_number, []))
