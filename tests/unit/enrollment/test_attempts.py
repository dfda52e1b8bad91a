from __future__ import annotations

import pytest

from hall_controller.enrollment.attempts import AttemptLimiter
from hall_controller.enrollment.errors import TooManyAttempts


def test_five_failures_block_a_source_until_the_window_passes() -> None:
    lim = AttemptLimiter(max_failures=5, window_s=300)
    for t in range(5):
        lim.check("10.0.0.5", float(t))
        lim.failed("10.0.0.5", float(t))
    with pytest.raises(TooManyAttempts) as err:
        lim.check("10.0.0.5", 10.0)
    assert err.value.retry_after_s == pytest.approx(290.0)
    assert err.value.http_status == 429
    lim.check("10.0.0.6", 10.0)  # another source is not affected
    lim.check("10.0.0.5", 300.5)  # the first failure has left the window


def test_success_clears_a_source() -> None:
    lim = AttemptLimiter(max_failures=2)
    lim.failed("a", 0)
    lim.succeeded("a")
    lim.failed("a", 1)
    lim.check("a", 2)


def test_hall_wide_ceiling_stops_many_sources() -> None:
    lim = AttemptLimiter(max_failures=5, global_max_failures=10)
    for i in range(10):
        lim.failed(f"src-{i}", 1.0)
    with pytest.raises(TooManyAttempts):
        lim.check("fresh", 2.0)


def test_memory_is_bounded() -> None:
    from hall_controller.enrollment import attempts

    lim = AttemptLimiter(global_max_failures=10**9)
    for i in range(attempts.MAX_SOURCES + 50):
        lim.failed(f"s{i}", 0.0)
    assert len(lim._failures) <= attempts.MAX_SOURCES
