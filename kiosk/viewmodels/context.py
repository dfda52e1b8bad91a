"""What every view-model shares: the hall, the adapters, the session, the citizen's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from hall_protocol.hall import HallState
from hall_protocol.hall_config import HallConfig
from kiosk.documents.service import DocumentService
from kiosk.i18n import DEFAULT_LANG, Bilingual, Lang
from kiosk.viewmodels.fault import FaultViewModel, nearest_staffed_window
from kiosk.viewmodels.hall_client import HallClient
from kiosk.viewmodels.identify import EidVerifier
from kiosk.viewmodels.printing import KioskPrinter
from kiosk.viewmodels.session import Session


@dataclass
class KioskContext:
    hall: HallConfig
    client: HallClient
    device_id: str
    session: Session = field(default_factory=Session)
    faults: FaultViewModel = field(default_factory=FaultViewModel)
    printer: KioskPrinter | None = None
    documents: DocumentService | None = None
    verifier: EidVerifier | None = None
    lang: Lang = DEFAULT_LANG
    online: bool = True  # from the agent's Connectivity message
    hall_state: HallState | None = None  # the retained hall state, for staffed windows
    document_timeout_s: float = 10.0

    @property
    def hall_name(self) -> Bilingual:
        return Bilingual(self.hall.hall.name_zh, self.hall.hall.name_en)

    def nearest_window(self, zone: str | None) -> Bilingual | None:
        return nearest_staffed_window(self.hall, zone, self.hall_state)
