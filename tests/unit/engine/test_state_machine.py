"""Random operation sequences keep the engine's invariants (hypothesis stateful testing)."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hall_controller.engine import EngineError, handle
from hall_controller.engine import events as ev
from hall_controller.engine.state import AT_WINDOW, EngineState, QueueKey
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority, Provisional, TicketState
from tests.unit.engine.helpers import Hall, cmd, hall_config

WINDOWS = ("W1", "W2", "W3")
SERVICES = ("S1", "S2", "S3")
# Refusals a random sequence may legitimately run into; anything else is a bug.
EXPECTED = {
    ErrorCode.ILLEGAL_TRANSITION,
    ErrorCode.NOT_FOUND,
    ErrorCode.CLOSED,
    ErrorCode.CAP_REACHED,
    ErrorCode.EXPIRED,
}


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Every window has a primary service and a lower tier, so the overdue rule matters everywhere.
        windows = [
            {"id": "W1", "name_zh": "1", "name_en": "1", "zone": "A", "skills": {"S1": 1.0, "S2": 0.5}},
            {"id": "W2", "name_zh": "2", "name_en": "2", "zone": "A", "skills": {"S2": 1.0, "S3": 0.3}},
            {"id": "W3", "name_zh": "3", "name_en": "3", "zone": "B", "comprehensive": True, "skills": {"S3": 1.0}},
        ]
        self.hall = Hall(hall_config(windows=windows))
        self.numbers: set[tuple[str, str]] = set()
        self.last: Any = None
        self.leases: list[ev.BlockLeased] = []
        for window in WINDOWS:
            self.staff(window)

    # driving ------------------------------------------------------------------------------------

    def _do(self, command: Any) -> list[ev.Event]:
        before = self.hall.state
        events: list[ev.Event] = []
        refused: EngineError | None = None
        try:
            events = self.hall.do(command)
        except EngineError as err:
            refused = err
        if refused is not None:
            assert refused.code in EXPECTED, refused
            assert self.hall.state is before
            return []
        self.last = command
        for e in events:
            if isinstance(e, ev.TicketIssued):
                day = self.hall.state.day
                assert (day, e.number) not in self.numbers, f"number {e.number} handed out twice on {day}"
                self.numbers.add((day, e.number))
        return events

    def _tickets(self, *states: TicketState) -> list[str]:
        return sorted(tid for tid, t in self.hall.state.tickets.items() if not states or t.state in states)

    # rules ----------------------------------------------------------------------------------------

    @rule(
        service=st.sampled_from(SERVICES),
        priority=st.sampled_from([Priority.NORMAL, Priority.NORMAL, Priority.GREEN, Priority.VIP]),
        two_steps=st.booleans(),
    )
    def issue(self, service: str, priority: Priority, two_steps: bool) -> None:
        steps = (service, "S2" if service != "S2" else "S1") if two_steps else ()
        self._do(cmd.IssueTicket(request_id=self.hall.rid(), service=service, priority=priority, steps=steps))

    @rule(window=st.sampled_from(WINDOWS))
    def staff(self, window: str) -> None:
        self._do(cmd.Login(request_id=self.hall.rid(), window_id=window, staff_id=f"s-{window}"))
        self._do(cmd.OpenWindow(request_id=self.hall.rid(), window_id=window))

    @rule(
        window=st.sampled_from(WINDOWS),
        op=st.sampled_from(["pause", "resume", "resume", "close", "logout"]),
        dice=st.integers(0, 3),
    )
    def window_op(self, window: str, op: str, dice: int) -> None:
        if dice:  # keep windows mostly open, so that calls happen
            return
        kinds = {"pause": cmd.PauseWindow, "resume": cmd.ResumeWindow, "close": cmd.CloseWindow, "logout": cmd.Logout}
        self._do(kinds[op](request_id=self.hall.rid(), window_id=window))

    @rule(window=st.sampled_from(WINDOWS))
    def call_next(self, window: str) -> None:
        state, now = self.hall.state, self.hall.now
        events = self._do(cmd.CallNext(request_id=self.hall.rid(), window_id=window))
        if not events:
            return
        called = events[-1]
        assert isinstance(called, ev.TicketCalled)
        picked = self.hall.state.tickets[called.ticket_id]
        self._check_ageing(state, window, picked.key, now)

    @rule(window=st.sampled_from(WINDOWS))
    def work(self, window: str) -> None:
        """What staff do most: call next, start the called ticket, finish the one in service."""
        rt = self.hall.state.windows[window]
        if rt.current is None:
            self.call_next(window)
        elif self.hall.state.tickets[rt.current].state is TicketState.SERVING:
            self._do(cmd.FinishService(request_id=self.hall.rid(), window_id=window))
        else:
            self._do(cmd.StartService(request_id=self.hall.rid(), window_id=window))

    def _check_ageing(self, before: EngineState, window: str, picked: QueueKey, now: float) -> None:
        """No ticket this window could serve has passed its class bound while a less urgent one is called
        (a ticket transferred to a window goes first there and is not served anywhere else)."""
        if picked[3] in before.reserved:
            assert before.reserved[picked[3]] == window
            return
        skills = {code for _, code in before.index.window_skills[window]}
        for code in skills:
            for key in before.queues[code]:
                if key[3] in before.reserved:
                    continue
                if key[0] <= now:  # overdue: waited past its class's maximum wait
                    assert picked <= key, f"{picked} called while {key} is overdue"

    @rule(window=st.sampled_from(WINDOWS), ticket=st.integers(0, 50))
    def call_ticket(self, window: str, ticket: int) -> None:
        waiting = self._tickets(TicketState.WAITING)
        if waiting:
            tid = waiting[ticket % len(waiting)]
            self._do(cmd.CallTicket(request_id=self.hall.rid(), window_id=window, ticket_id=tid, reason="test"))

    @rule(window=st.sampled_from(WINDOWS), op=st.sampled_from(["start", "finish", "recall", "no-show", "park"]))
    def ticket_op(self, window: str, op: str) -> None:
        kinds = {
            "start": cmd.StartService,
            "finish": cmd.FinishService,
            "recall": cmd.Recall,
            "no-show": cmd.MarkNoShow,
            "park": cmd.Park,
        }
        self._do(kinds[op](request_id=self.hall.rid(), window_id=window))

    @rule(window=st.sampled_from(WINDOWS), ticket=st.integers(0, 50))
    def unpark(self, window: str, ticket: int) -> None:
        parked = self._tickets(TicketState.PARKED)
        if parked:
            self._do(cmd.Unpark(request_id=self.hall.rid(), window_id=window, ticket_id=parked[ticket % len(parked)]))

    @rule(ticket=st.integers(0, 50), service=st.sampled_from(SERVICES))
    def transfer(self, ticket: int, service: str) -> None:
        tickets = self._tickets()
        if tickets:
            tid = tickets[ticket % len(tickets)]
            self._do(cmd.Transfer(request_id=self.hall.rid(), ticket_id=tid, target_service=service))

    @rule(ticket=st.integers(0, 50), window=st.sampled_from(WINDOWS))
    def transfer_to_window(self, ticket: int, window: str) -> None:
        tickets = self._tickets()
        if tickets:
            tid = tickets[ticket % len(tickets)]
            self._do(cmd.Transfer(request_id=self.hall.rid(), ticket_id=tid, target_window=window))

    @rule(ticket=st.integers(0, 50))
    def cancel(self, ticket: int) -> None:
        tickets = self._tickets()
        if tickets:
            self._do(cmd.CancelTicket(request_id=self.hall.rid(), ticket_id=tickets[ticket % len(tickets)]))

    @rule(ticket=st.integers(0, 50), level=st.integers(1, 5))
    def rate(self, ticket: int, level: int) -> None:
        tickets = self._tickets()
        if tickets:
            tid = tickets[ticket % len(tickets)]
            self._do(cmd.RecordRating(request_id=self.hall.rid(), ticket_id=tid, level=level))

    @rule(size=st.integers(1, 4))
    def lease(self, size: int) -> None:
        for e in self._do(cmd.LeaseBlock(request_id=self.hall.rid(), device_id="k1", service="S1", size=size)):
            if isinstance(e, ev.BlockLeased):
                self.leases.append(e)

    @precondition(lambda self: bool(self.leases))
    @rule(which=st.integers(0, 20), offset=st.integers(0, 3), back=st.floats(0, 3600))
    def merge_provisional(self, which: int, offset: int, back: float) -> None:
        lease = self.leases[which % len(self.leases)]
        number = f"{lease.prefix}{min(lease.first + offset, lease.last):03d}"
        p = Provisional(lease_id=lease.lease_id, number=number, arrived_at=self.hall.now - back)
        self._do(cmd.IssueTicket(request_id=self.hall.rid(), service="S1", provisional=p))

    @rule(window=st.sampled_from(WINDOWS),
          skills=st.dictionaries(st.sampled_from(SERVICES), st.sampled_from([0.3, 0.5, 1.0]), min_size=1))
    def set_skills(self, window: str, skills: dict[str, float]) -> None:
        """The manager changes what a window serves, in the middle of everything."""
        self._do(cmd.SetWindowSkills(request_id=self.hall.rid(), window_id=window, skills=skills))

    @rule(service=st.sampled_from(SERVICES), wait=st.sampled_from([0.5, 5.0, 20.0]), cap=st.integers(1, 60))
    def set_limits(self, service: str, wait: float, cap: int) -> None:
        self._do(cmd.SetServiceLimits(request_id=self.hall.rid(), service=service, target_wait_min=wait,
                                      daily_cap=cap))

    @rule()
    def sweep(self) -> None:
        self._do(cmd.SweepCalls(request_id=self.hall.rid()))

    @rule(minutes=st.sampled_from([0.5, 2.0, 5.0, 20.0, 60.0, 100.0, 900.0]))
    def tick(self, minutes: float) -> None:
        self.hall.now += minutes * 60

    @precondition(lambda self: self.last is not None)
    @rule()
    def replay_last(self) -> None:
        state = self.hall.state
        new, events = handle(state, self.last, self.hall.now)
        assert events == []
        assert new is state

    # invariants -------------------------------------------------------------------------------

    @invariant()
    def each_ticket_in_exactly_one_place(self) -> None:
        s = self.hall.state
        queued = {key[3]: code for code, q in s.queues.items() for key in q}
        assert sum(len(q) for q in s.queues.values()) == len(queued)
        held = {rt.current: wid for wid, rt in s.windows.items() if rt.current is not None}
        assert len(held) == sum(1 for rt in s.windows.values() if rt.current is not None)
        for tid, t in s.tickets.items():
            assert t.state in TicketState
            assert (tid in queued) == (t.state is TicketState.WAITING)
            if tid in queued:
                assert queued[tid] == t.service
            assert (tid in held) == (t.state in AT_WINDOW)
            if tid in held:
                assert held[tid] == t.window_id
        assert set(queued) <= set(s.tickets.keys())
        for tid, window in s.reserved.items():  # a transfer to a window holds a waiting ticket for it only
            assert s.tickets[tid].state is TicketState.WAITING
            assert window in s.windows

    @invariant()
    def numbers_unique_today(self) -> None:
        numbers = [t.number for t in self.hall.state.tickets.values()]
        assert len(numbers) == len(set(numbers))

    @invariant()
    def rebuild_equals_live(self) -> None:
        assert self.hall.rebuilt() == self.hall.state

    @invariant()
    def events_encode(self) -> None:
        if self.hall.log:
            e = self.hall.log[-1]
            assert msgspec.json.decode(msgspec.json.encode(e), type=ev.Event) == e


EngineMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineMachine = EngineMachine.TestCase
