"""Self-service printing (自助打印) and case progress (办件进度), both through the document service."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from drivers.errors import DriverError
from kiosk.documents.service import (
    CaseProgress,
    CaseStatus,
    DocumentKind,
    DocumentNotFound,
    DocumentRef,
    DocumentServiceError,
    DocumentServiceTimeout,
)
from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.context import KioskContext
from kiosk.viewmodels.fault import printer_notice
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.paging import Pager
from kiosk.viewmodels.printing import PrintProblem, classify_print_failure

log = logging.getLogger(__name__)

KIND_KEYS: Final = {
    DocumentKind.RECEIPT: "print.kind.receipt",
    DocumentKind.LICENCE: "print.kind.licence",
    DocumentKind.CASE: "print.kind.case",
}
STATUS_KEYS: Final = {
    CaseStatus.ACCEPTED: "progress.status.accepted",
    CaseStatus.IN_REVIEW: "progress.status.in_review",
    CaseStatus.NEEDS_MATERIAL: "progress.status.needs_material",
    CaseStatus.APPROVED: "progress.status.approved",
    CaseStatus.REJECTED: "progress.status.rejected",
    CaseStatus.READY: "progress.status.ready",
}


class LookupPhase(StrEnum):
    NEEDS_IDENTITY = "needs-identity"
    LOADING = "loading"
    READY = "ready"
    EMPTY = "empty"
    PRINTING = "printing"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DocumentView:
    doc_id: str
    title: Bilingual
    kind: Text
    pages: Text
    issued_on: str


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Text
    service: Bilingual
    status: Text
    updated: Text
    steps: tuple[tuple[Bilingual, bool], ...]


def _service_error_text(err: BaseException) -> Text:
    if isinstance(err, TimeoutError | DocumentServiceTimeout):
        return Text("print.error.timeout")
    if isinstance(err, DocumentNotFound):
        return Text("print.error.not_found")
    return Text("print.error.unavailable")


class _LookupViewModel(Observable):
    def __init__(self, ctx: KioskContext, per_page: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.per_page = per_page
        self.phase = LookupPhase.NEEDS_IDENTITY
        self.message: Text | None = None
        self.banner: str | None = None  # "演示数据 / Demo data" from a simulated service

    def _set(self, phase: LookupPhase, message: Text | None) -> None:
        self.phase = phase
        self.message = message
        self._notify("phase", "message")

    def _service_failed(self, err: BaseException) -> None:
        # the service, not a device, failed: say so on this screen; the citizen can retry or ask
        log.warning("document service failed: %r", err)
        self._set(LookupPhase.FAILED, _service_error_text(err))


class SelfPrintViewModel(_LookupViewModel):
    def __init__(self, ctx: KioskContext, *, per_page: int = 8) -> None:
        super().__init__(ctx, per_page)
        self.title = Text("print.title")
        self.documents: Pager[DocumentView] = Pager((), per_page)
        self._refs: dict[str, DocumentRef] = {}
        self.selected: str | None = None

    async def load(self) -> LookupPhase:
        identity = self.ctx.session.identity
        service = self.ctx.documents
        if identity is None or service is None:
            self._set(LookupPhase.NEEDS_IDENTITY, Text("print.needs_identity"))
            return self.phase
        self._set(LookupPhase.LOADING, Text("print.loading"))
        try:
            async with asyncio.timeout(self.ctx.document_timeout_s):
                refs = await service.list_documents(identity)
        except (TimeoutError, DocumentServiceError) as err:
            self._service_failed(err)
            return self.phase
        self._refs = {r.doc_id: r for r in refs}
        self.banner = next((r.banner for r in refs if r.banner), None)
        self.documents.set_items([
            DocumentView(doc_id=r.doc_id, title=Bilingual(r.title_zh, r.title_en), kind=Text(KIND_KEYS[r.kind]),
                         pages=Text("print.pages", pages=r.pages), issued_on=r.issued_on.isoformat())
            for r in refs
        ])
        self._notify("documents", "banner")
        self._set(LookupPhase.READY if refs else LookupPhase.EMPTY, None if refs else Text("print.none"))
        return self.phase

    def select(self, doc_id: str) -> None:
        if doc_id not in self._refs:  # only what was listed for this citizen can be printed
            raise KeyError(doc_id)
        self.selected = doc_id
        self._notify("selected")

    async def print_selected(self) -> LookupPhase:
        if self.selected is None:
            return self.phase
        ref = self._refs[self.selected]
        service, printer = self.ctx.documents, self.ctx.printer
        assert service is not None
        self._set(LookupPhase.PRINTING, Text("print.printing"))
        try:
            async with asyncio.timeout(self.ctx.document_timeout_s):
                data = await service.fetch(ref.doc_id)
        except (TimeoutError, DocumentServiceError) as err:
            self._service_failed(err)
            return self.phase
        if printer is None:
            self.ctx.faults.show(printer_notice(False, self.ctx.nearest_window(None), document=True))
            self._set(LookupPhase.FAILED, None)
            return self.phase
        try:
            await printer.print_document(data, ref.mime, ref.title_zh)
        except DriverError as err:
            log.warning("document %s not printed: %s", ref.doc_id, err)
            problem = await classify_print_failure(printer, err)
            self.ctx.faults.show(printer_notice(problem is PrintProblem.PAPER_OUT, self.ctx.nearest_window(None),
                                                document=True))
            self._set(LookupPhase.FAILED, None)
            return self.phase
        self._set(LookupPhase.DONE, Text("print.done"))
        return self.phase

    def reset(self) -> None:
        self._refs = {}
        self.selected = None
        self.banner = None
        self.documents.set_items(())
        self._set(LookupPhase.NEEDS_IDENTITY, None)


class ProgressViewModel(_LookupViewModel):
    def __init__(self, ctx: KioskContext, *, per_page: int = 8) -> None:
        super().__init__(ctx, per_page)
        self.title = Text("progress.title")
        self.cases: Pager[CaseView] = Pager((), per_page)

    async def load(self) -> LookupPhase:
        identity = self.ctx.session.identity
        service = self.ctx.documents
        if identity is None or service is None:
            self._set(LookupPhase.NEEDS_IDENTITY, Text("progress.needs_identity"))
            return self.phase
        self._set(LookupPhase.LOADING, Text("progress.loading"))
        try:
            async with asyncio.timeout(self.ctx.document_timeout_s):
                cases = await service.case_progress(identity)
        except (TimeoutError, DocumentServiceError) as err:
            self._service_failed(err)
            return self.phase
        self.banner = next((c.banner for c in cases if c.banner), None)
        self.cases.set_items([self._view(c) for c in cases])
        self._notify("cases", "banner")
        self._set(LookupPhase.READY if cases else LookupPhase.EMPTY, None if cases else Text("progress.none"))
        return self.phase

    @staticmethod
    def _view(c: CaseProgress) -> CaseView:
        return CaseView(
            case=Text("progress.case", case_no=c.case_no),
            service=Bilingual(c.service_zh, c.service_en),
            status=Text(STATUS_KEYS[c.status]),
            updated=Text("progress.updated", when=c.updated_at.strftime("%Y-%m-%d %H:%M")),
            steps=tuple((Bilingual(s.name_zh, s.name_en), s.done) for s in c.steps),
        )

    def reset(self) -> None:
        self.banner = None
        self.cases.set_items(())
        self._set(LookupPhase.NEEDS_IDENTITY, None)
