from __future__ import annotations

from kiosk.viewmodels.clock import clock_view

SUNDAY = 1795917570.0  # 2026-11-29 09:59:30 in Asia/Shanghai


def test_the_header_clock_is_in_the_halls_zone_in_both_languages() -> None:
    view = clock_view(SUNDAY, "Asia/Shanghai")
    assert view.time == "09:59"
    assert view.date.render("zh") == "11月29日 星期日"
    assert view.date.render("en") == "Sun 29 Nov"
    assert clock_view(SUNDAY, "UTC").time == "01:59"


def test_it_changes_with_the_minute_only() -> None:
    assert clock_view(SUNDAY + 20, "Asia/Shanghai") == clock_view(SUNDAY, "Asia/Shanghai")
    later = clock_view(SUNDAY + 31, "Asia/Shanghai")
    assert later.time == "10:00"
    assert later != clock_view(SUNDAY, "Asia/Shanghai")


def test_new_year_and_a_monday() -> None:
    view = clock_view(1798732800.0, "Asia/Shanghai")  # 2027-01-01 00:00 in Asia/Shanghai, a Friday
    assert (view.time, view.date.render("zh"), view.date.render("en")) == ("00:00", "1月1日 星期五", "Fri 1 Jan")
