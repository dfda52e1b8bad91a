"""OneVisit routing: the call order with its reasons, bounds first, the class ratio; and the invariants
(no class past its bound while a skilled window calls, the ratio kept, no ticket lost) under random days."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall_controller.engine import EngineError
from hall_controller.engine import events as ev
from hall_controller.engine.routing import choose
from hall_protocol.tickets import Priority, TicketState
from tests.unit.engine.helpers import T0, Hall, cmd, hall_config

MIN = 60.0


def onevisit_hall(ratio: list[int] | None = None) -> Hall:
    routing: dict[str, Any] = {"call_order": "onevisit"}
    if ratio is not None:
        routing["class_ratio"] = ratio
    return Hall(hall_config(routing=routing))


def called(h: Hall, window: str, now: float | None = None) -> ev.TicketCalled:
    e = h.send(cmd.CallNext, now, window_id=window)[-1]
    assert isinstance(e, ev.TicketCalled)
    return e


def test_shorter_service_first_with_its_reason() -> None:
    h = onevisit_hall()
    h.staff("W3")  # comprehensive: S1 (5 min) and S2 (10 min) at the same weight
    long = h.issue("S2", now=T0)
    short = h.issue("S1", now=T0 + MIN)
    e = called(h, "W3", now=T0 + 2 * MIN)
    assert e.ticket_id == short
    assert e.reason.startswith(f"called A001 before {h.state.tickets[long].number}: shorter expected service")
    assert e.reason_zh.startswith("先呼A001后呼B001")
    h.check_rebuild()


def test_a_long_wait_overtakes_a_short_service() -> None:
    h = onevisit_hall()
    h.staff("W3")
    long = h.issue("S2", now=T0)
    h.issue("S1", now=T0 + 25 * MIN)
    assert called(h, "W3", now=T0 + 26 * MIN).ticket_id == long


def test_past_its_bound_first_with_the_reason() -> None:
    h = onevisit_hall()
    h.staff("W3")
    h.issue("S1", now=T0)  # A001, normal: 90-minute bound
    green = h.issue("S2", now=T0 + 5 * MIN, priority=Priority.GREEN)  # B001: 15-minute bound
    e = called(h, "W3", now=T0 + 21 * MIN)
    assert e.ticket_id == green
    assert e.reason == "called B001 before A001: B001 past its 15-minute bound"
    assert e.reason_zh == "先呼B001后呼A001：B001已超过15分钟等候上限"


def test_due_one_service_time_before_the_bound() -> None:
    h = Hall(hall_config(routing={"call_order": "onevisit"}, priorities={"normal": 30}))
    h.staff("W3")
    old = h.issue("S2", now=T0)  # due at T0 + 30 - 10 (S2 takes 10 min)
    h.issue("S1", now=T0 + 20 * MIN)
    e = called(h, "W3", now=T0 + 21 * MIN)
    assert e.ticket_id == old
    assert "reaches its 30-minute bound in 9 min" in e.reason


def test_main_service_reason_in_skill_tiers() -> None:
    h = Hall()
    h.staff("W1")  # S1 weight 1, S2 weight 0.5
    h.issue("S2", now=T0)
    s1 = h.issue("S1", now=T0 + MIN)
    e = called(h, "W1")
    assert e.ticket_id == s1
    assert e.reason == "called A001 before B001: S1 is this window's main service"


def test_ratio_two_normal_to_one_priority() -> None:
    h = onevisit_hall(ratio=[2, 1])
    h.staff("W1")
    for i in range(6):
        h.issue("S1", now=T0 + i)
    for i in range(3):
        h.issue("S1", now=T0 + 10 + i, priority=Priority.GREEN)
    classes = []
    for _ in range(6):
        e = called(h, "W1", now=h.now + 1)
        classes.append(h.state.tickets[e.ticket_id].priority)
        h.send(cmd.StartService, window_id="W1")
        h.send(cmd.FinishService, now=h.now + 1, window_id="W1")
    g, n = Priority.GREEN, Priority.NORMAL
    assert classes == [g, n, n, g, n, n]
    h.check_rebuild()


def test_ratio_counters_reset_when_one_class_is_absent() -> None:
    h = onevisit_hall(ratio=[2, 1])
    h.staff("W1")
    h.issue("S1")
    e = called(h, "W1")
    assert e.turns == (0, 0)  # nobody of the other class: no turn is banked
    assert h.state.turns["S1"] == (0, 0)


def test_ratio_reason_names_the_turn() -> None:
    h = onevisit_hall(ratio=[2, 1])
    h.staff("W1")
    first = h.issue("S1", now=T0)
    h.issue("S1", now=T0 + 1, priority=Priority.GREEN)
    h.now = T0 + 2
    h.serve("W1", minutes=1)  # the priority ticket: its turn comes first
    e = called(h, "W1")
    assert e.ticket_id == first


def test_choose_is_none_without_candidates() -> None:
    h = onevisit_hall()
    h.issue("S1")
    assert choose(h.state, "W2", h.now) is None


# Invariants on random days ------------------------------------------------------------------------

CLASSES = [Priority.NORMAL, Priority.NORMAL, Priority.NORMAL, Priority.GREEN, Priority.VIP]
step = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["S1", "S2"]), st.sampled_from(CLASSES)),
    st.tuples(st.just("call"), st.sampled_from(["W1", "W2", "W3"]), st.just(None)),
    st.tuples(st.just("finish"), st.sampled_from(["W1", "W2", "W3"]), st.just(None)),
    st.tuples(st.just("wait"), st.integers(1, 40), st.just(None)),
)


def _due(h: Hall, window: str, now: float) -> list[tuple[float, str]]:
    """(deadline, ticket) of the queue heads the window serves that are due under the OneVisit order."""
    out = []
    for _, service in h.state.index.window_skills[window]:
        q = h.state.queues[service]
        head = q.first()
        if head is not None and head[0] - h.state.stats[service].mean <= now:
            out.append((head[0], head[3]))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=80), st.sampled_from([None, [2, 1], [3, 2], [1, 1]]))
def test_invariants_on_random_days(steps: list[tuple[Any, Any, Any]], ratio: list[int] | None) -> None:
    routing: dict[str, Any] = {"call_order": "onevisit"}
    if ratio is not None:
        routing["class_ratio"] = ratio
    h = Hall(hall_config(routing=routing, services=_open_services()))
    for w in ("W1", "W2", "W3"):
        h.staff(w)
    issued: set[str] = set()
    # per service: (normal, priority) calls made while both classes were waiting
    contested: dict[str, list[int]] = {}
    for kind, arg, cls in steps:
        now = h.now
        if kind == "issue":
            issued.add(h.issue(arg, priority=cls))
        elif kind == "wait":
            h.now += arg * MIN
        elif kind == "call":
            if h.state.windows[arg].current is not None:
                continue
            due = _due(h, arg, now)
            both = {s: _both_waiting(h, s) for s in ("S1", "S2")}
            try:
                e = called(h, arg)
            except EngineError:
                assert choose(h.state, arg, now) is None
                continue
            if due:  # bounds first: the earliest due head is called
                assert e.ticket_id == min(due)[1]
            elif ratio is not None and both[e.service]:
                c = contested.setdefault(e.service, [0, 0])
                c[0 if h.state.tickets[e.ticket_id].priority is Priority.NORMAL else 1] += 1
                n_quota, p_quota = ratio
                # the shares stay within one call of the ratio while both classes wait
                assert abs(c[0] * p_quota - c[1] * n_quota) <= max(n_quota, p_quota)
            if ratio is not None and not both[e.service]:
                contested.pop(e.service, None)
        else:
            cur = h.state.windows[arg].current
            if cur is None:
                continue
            if h.state.tickets[cur].state is not TicketState.SERVING:
                h.send(cmd.StartService, window_id=arg)
            h.send(cmd.FinishService, window_id=arg)
        # no ticket lost: every issued ticket is waiting in its queue, at a window, or finished
        for tid in issued:
            t = h.state.tickets[tid]
            if t.state is TicketState.WAITING:
                assert t.key in h.state.queues[t.service]
            elif t.state in (TicketState.CALLED, TicketState.SERVING):
                assert t.window_id is not None
                assert h.state.windows[t.window_id].current == tid
            else:
                assert t.state is TicketState.FINISHED
    assert h.state.waiting_count() == sum(1 for t in issued if h.state.tickets[t].state is TicketState.WAITING)
    h.check_rebuild()


def _both_waiting(h: Hall, service: str) -> bool:
    classes = {h.state.tickets[k[3]].priority is Priority.NORMAL for k in h.state.queues[service]}
    return classes == {True, False}


def _open_services() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name_zh": code,
            "name_en": code,
            "prefix": prefix,
            "zone": "A",
            "issue_from": "00:00",
            "issue_until": "23:59",
            "expected_service_min": minutes,
        }
        for code, prefix, minutes in (("S1", "A", 5), ("S2", "B", 10), ("S3", "C", 8))
    ]
