from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from drivers.receipt_printer.layout import HALL_TZ, TicketPrint

OUTPUT = Path(__file__).parent / "output"  # gitignored: rendered tickets to look at


@pytest.fixture
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture
def ticket() -> TicketPrint:
    return TicketPrint(
        hall_name="杭州市西湖区政务服务中心",
        number="A1203",
        service_name_zh="不动产登记",
        service_name_en="Real estate registration",
        issued_at=datetime(2026, 11, 22, 9, 30, tzinfo=HALL_TZ),
        zone_hint_zh="请到二楼B区 3号窗口等候",
        zone_hint_en="Please wait at Zone B, 2F, window 3",
        position=13,
        wait_low_min=15,
        wait_high_min=25,
        qr_url="https://hall.example.cn/t/xihu/T-20261122-A1203?k=Zx81kq2M",
    )
