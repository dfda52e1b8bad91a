"""What every page needs, wired once in the controller's ``__main__`` (or a test)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hall_controller.accounts import AccountStore
from hall_controller.api_tokens import ApiTokenStore
from hall_controller.enrollment.service import EnrollmentService
from hall_controller.notify.service import NotificationService
from hall_controller.records import HallRecords
from hall_controller.service import ControllerService
from hall_protocol.hall_config import HallConfig


@dataclass
class WebContext:
    service: ControllerService
    accounts: AccountStore
    enrollment: EnrollmentService | None = None
    secure_cookies: bool = True  # False only when pages are served over plain HTTP on loopback
    checkin_key: bytes = b""  # the hall's check-in key: an appointment registered with an ID number keeps its hash
    clock: Callable[[], float] = field(default=time.time)
    api_tokens: ApiTokenStore | None = None  # the open API's integrations; None: /api/v1 refuses everyone
    closing: asyncio.Event = field(default_factory=asyncio.Event)  # the pages are stopping: live streams end
    notifier: NotificationService | None = None  # when silent-call messages are configured
    records: HallRecords = field(init=False)

    def __post_init__(self) -> None:
        self.records = HallRecords(self.service.store)

    @property
    def config(self) -> HallConfig:
        return self.service.core.config
