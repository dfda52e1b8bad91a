"""Self-service printing and case progress: the document service interface and its SIMULATOR."""

from kiosk.documents.service import (
    CaseProgress,
    CaseStatus,
    CaseStep,
    DocumentKind,
    DocumentNotFound,
    DocumentRef,
    DocumentService,
    DocumentServiceError,
    DocumentServiceTimeout,
    DocumentServiceUnavailable,
)
from kiosk.documents.simulated import DEMO_BANNER, DEMO_PEOPLE, SimulatedDocumentService, SimulatedFault

__all__ = [
    "DEMO_BANNER",
    "DEMO_PEOPLE",
    "CaseProgress",
    "CaseStatus",
    "CaseStep",
    "DocumentKind",
    "DocumentNotFound",
    "DocumentRef",
    "DocumentService",
    "DocumentServiceError",
    "DocumentServiceTimeout",
    "DocumentServiceUnavailable",
    "SimulatedDocumentService",
    "SimulatedFault",
]
