"""No class starves: simulated days at one window, checking each class's bound + one service time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hall_controller.engine import commands as cmd
from hall_protocol.tickets import Priority
from tests.unit.engine.helpers import T0, Hall

MIN = 60.0
SERVICE = 5 * MIN  # S1's expected service time in the test hall
BOUND = {Priority.NORMAL: 90 * MIN, Priority.GREEN: 15 * MIN, Priority.VIP: 10 * MIN}


def _simulate(h: Hall, arrivals: list[tuple[float, Priority]], until: float) -> dict[str, float]:
    """One window works without pause: call, serve SERVICE seconds, repeat. Returns ticket → wait."""
    h.staff("W1")
    pending = sorted(arrivals, key=lambda a: a[0])
    waits: dict[str, float] = {}
    now = T0
    while now < until:
        while pending and pending[0][0] <= now:
            when, priority = pending.pop(0)
            h.issue("S1", now=when, priority=priority)
        if h.state.waiting_count("S1"):
            events = h.send(cmd.CallNext, now=now, window_id="W1")
            t = h.state.tickets[events[-1].ticket_id]  # type: ignore[union-attr]
            waits[t.ticket_id] = now - t.arrival
            h.send(cmd.StartService, window_id="W1")
            now += SERVICE
            h.send(cmd.FinishService, now=now, window_id="W1")
        else:
            now = pending[0][0] if pending else until
    return waits


def test_a_stream_of_green_tickets_does_not_starve_a_normal_one() -> None:
    h = Hall()
    # Greens alone fill the window (one per service time); strict class priority would never serve the normal.
    arrivals = [(T0, Priority.NORMAL)] + [(T0 + i * SERVICE, Priority.GREEN) for i in range(45)]
    waits = _simulate(h, arrivals, T0 + 5 * 3600)
    normal = h.ticket_numbered("A001")
    assert waits[normal] <= BOUND[Priority.NORMAL] + SERVICE
    # Greens went first while they had less slack: the normal ticket's turn comes once its deadline is
    # earlier than a new green's (arrival + 15 min), i.e. after about 90 - 15 minutes.
    assert waits[normal] >= BOUND[Priority.NORMAL] - BOUND[Priority.GREEN] - SERVICE
    for tid, wait in waits.items():
        t = h.state.tickets[tid]
        assert wait <= BOUND[t.priority] + SERVICE, (t.number, t.priority, wait)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 4 * 3600), st.sampled_from([Priority.NORMAL, Priority.GREEN, Priority.VIP])),
        max_size=40,
    )
)
def test_bounds_hold_when_the_window_can_keep_up(raw: list[tuple[float, Priority]]) -> None:
    """Arrivals thinned to the window's capacity per class bound: then every class meets its bound + one
    service time (the one in progress when it became urgent)."""
    arrivals: list[tuple[float, Priority]] = []
    for offset, priority in sorted(raw):
        # Keep the work that can be due in any VIP-bound span within one window's capacity.
        horizon = [a for a in arrivals if a[0] > T0 + offset - BOUND[Priority.VIP]]
        if len(horizon) < 2:
            arrivals.append((T0 + offset, priority))
    h = Hall()
    waits = _simulate(h, arrivals, T0 + 8 * 3600)
    assert len(waits) == len(arrivals)
    for tid, wait in waits.items():
        t = h.state.tickets[tid]
        assert wait <= BOUND[t.priority] + SERVICE, (t.number, t.priority, wait)
