"""The hall's document service as the kiosk sees it: documents to print, and case progress (办件进度).

The real service belongs to the province's 一体化政务服务平台 and is reached through an adapter that
implements :class:`DocumentService`; the kiosk ships only :class:`~kiosk.documents.simulated.
SimulatedDocumentService` for demos and tests.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import msgspec

from hall_protocol.errors import OneVisitError

if TYPE_CHECKING:
    from kiosk.viewmodels.session import Identity


class DocumentKind(StrEnum):
    RECEIPT = "receipt"  # 受理回执
    LICENCE = "licence"  # 电子证照
    CASE = "case"  # 办件材料 (decisions, notices)


class CaseStatus(StrEnum):
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    NEEDS_MATERIAL = "needs_material"
    APPROVED = "approved"
    REJECTED = "rejected"
    READY = "ready"  # result ready to collect


class DocumentRef(msgspec.Struct, frozen=True, kw_only=True):
    doc_id: str
    kind: DocumentKind
    title_zh: str
    title_en: str
    issued_on: date
    pages: int
    mime: str  # "application/pdf" or "image/png"
    banner: str = ""
    """Non-empty when the record is not real (the simulator sets "演示数据 / Demo data")."""


class CaseStep(msgspec.Struct, frozen=True, kw_only=True):
    name_zh: str
    name_en: str
    done: bool
    at: datetime | None = None


class CaseProgress(msgspec.Struct, frozen=True, kw_only=True):
    case_no: str
    service_zh: str
    service_en: str
    status: CaseStatus
    updated_at: datetime
    steps: tuple[CaseStep, ...] = ()
    banner: str = ""


class DocumentServiceError(OneVisitError):
    """Base of the document service's errors; the kiosk tells the citizen in plain words."""


class DocumentServiceUnavailable(DocumentServiceError):
    pass


class DocumentServiceTimeout(DocumentServiceError):
    pass


class DocumentNotFound(DocumentServiceError):
    pass


class DocumentService(Protocol):
    """Every call may raise a :class:`DocumentServiceError`; callers also bound each call with a timeout."""

    async def list_documents(self, identity: Identity) -> list[DocumentRef]: ...

    async def fetch(self, doc_id: str) -> bytes:
        """The document's bytes (PDF or PNG, as ``DocumentRef.mime`` says)."""
        ...

    async def case_progress(self, identity: Identity) -> list[CaseProgress]: ...
