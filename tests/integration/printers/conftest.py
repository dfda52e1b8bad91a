from __future__ import annotations

from datetime import datetime

import pytest

from drivers.receipt_printer.layout import HALL_TZ, TicketPrint


@pytest.fixture
def ticket() -> TicketPrint:
    return TicketPrint(
        hall_name="杭州市西湖区政务服务中心",
        number="B0042",
        service_name_zh="社会保障卡申领",
        service_name_en="Social security card",
        issued_at=datetime(2026, 11, 22, 10, 5, tzinfo=HALL_TZ),
        zone_hint_zh="请到一楼A区等候",
        zone_hint_en="Please wait in Zone A, 1F",
        position=4,
        wait_low_min=5,
        wait_high_min=12,
        qr_url="https://hall.example.cn/t/xihu/T-20261122-B0042?k=p0QvX7",
    )
