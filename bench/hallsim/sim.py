"""One simulated day of a hall: simpy processes for citizens, window staff and the manager, every queue
operation sent to the real engine (``hall_controller.engine.handle``).

Citizens take a ticket (or check in an appointment, or use a kiosk), wait, and leave when their patience
runs out (the hall does not know: their ticket is called, recalled and marked no-show like in a real hall).
Some have stepped out when called and come back (the engine recycles the first no-show). Staff call, wait
for the citizen to walk up, serve, finish; they take staggered breaks and lunch; one window has an outage.
Under OneVisit the manager follows the engine's advice to open and close overflow windows after a
reaction delay, and kiosk-capable visits are offered the kiosk.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import simpy

from bench.hallsim.baselines import BASELINES
from bench.hallsim.workload import Visit
from hall_controller.engine import EngineError, EngineState, handle
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.advice import AdviceKind, advice, route_new
from hall_protocol.hall_config import HallConfig
from hall_protocol.tickets import TicketState

DAY = "2025-03-10"  # a Monday
MIDNIGHT = datetime.fromisoformat(f"{DAY}T00:00:00").replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
WINDOWS_OPEN_S = 9 * 3600.0
ISSUE_UNTIL_S = 16 * 3600 + 30 * 60.0
SECRET = b"hallsim-secret-0123456789abcdef!"

Predictor = Callable[[EngineState, str, float], tuple[float, float, float]]
"""(state, ticket_id, now) → (low, point, high) seconds: a wait estimate recorded at issue."""


@dataclass
class Step:
    service: str
    queued_s: float
    called_s: float | None = None
    started_s: float | None = None
    ended_s: float | None = None
    deadline_s: float = math.inf
    priority: str = "normal"
    first_call_s: float | None = None
    waited_before_s: float = 0.0  # before a no-show sent it back to the queue


@dataclass
class Record:
    visit: Visit
    ticket_id: str | None = None
    issued_s: float | None = None
    kiosk: bool = False
    kiosk_wait_s: float = 0.0
    left_s: float | None = None
    done: bool = False
    steps: list[Step] = field(default_factory=list)
    est: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    away_pending: bool = False


@dataclass(frozen=True)
class Pause:
    window: str
    start_s: float
    minutes: float
    reason: str


@dataclass
class DayResult:
    records: list[Record]
    busy_s: dict[str, float]
    open_s: dict[str, float]
    overflow_opened: list[tuple[float, str, str]]  # (time, window, reason)
    calls: list[ev.TicketCalled]
    commands: int
    queue: list[tuple[float, int]]  # (time, people waiting) every 5 minutes


class HallDay:
    def __init__(
        self,
        config: HallConfig,
        visits: list[Visit],
        *,
        policy: str,
        staffed: tuple[str, ...],
        pauses: list[Pause],
        kiosks: int,
        kiosk_proposals: bool,
        follow_advice: bool,
        manager_reaction_s: float = 180.0,
        recall_every_s: float = 30.0,
        predictors: dict[str, Predictor] | None = None,
        staffing: dict[int, int] | None = None,
        windows_open_s: float = WINDOWS_OPEN_S,
    ) -> None:
        self.env = simpy.Environment(initial_time=8 * 3600.0)
        self.config = config
        self.state = EngineState.initial(config, MIDNIGHT + self.env.now, secret=SECRET)
        self.visits = visits
        self.pick = BASELINES.get(policy)  # None: the engine's own order (CallNext)
        self.staffed = staffed
        self.pauses = sorted(pauses, key=lambda p: p.start_s)
        self.kiosks = simpy.Resource(self.env, capacity=max(kiosks, 1))
        self.kiosk_proposals = kiosk_proposals
        self.follow_advice = follow_advice
        self.reaction_s = manager_reaction_s
        self.recall_every_s = recall_every_s
        self.predictors = predictors or {}
        self.staffing = staffing  # bucket start (min of day) → windows (the staffing experiment); None: all day
        self.bucket_s = 1800.0
        self.windows_open_s = windows_open_s
        self.queue_trace: list[tuple[float, int]] = []
        self.records: dict[str, Record] = {}
        self.all_records: list[Record] = []
        self.busy_s: dict[str, float] = {}
        self.open_s: dict[str, float] = {}
        self.opened_at: dict[str, float] = {}
        self.overflow: list[tuple[float, str, str]] = []
        self.calls: list[ev.TicketCalled] = []
        self.changed = self.env.event()
        self.ids = itertools.count()
        self.arrivals_left = len(visits)
        self.commands = 0
        self.pending_open: set[str] = set()
        self.running: set[str] = set()

    # engine ------------------------------------------------------------------------------------

    def do(self, command: Any) -> list[ev.Event]:
        self.commands += 1
        self.state, events = handle(self.state, command, MIDNIGHT + self.env.now)
        now = self.env.now
        for e in events:
            if isinstance(e, ev.TicketCalled):
                self.calls.append(e)
                step = self.records[e.ticket_id].steps[-1]
                if step.called_s is None:
                    step.called_s = now
                if step.first_call_s is None:
                    step.first_call_s = now
            elif isinstance(e, ev.StepFinished) and e.next_service is not None:
                t = self.state.tickets[e.ticket_id]
                rec = self.records[e.ticket_id]
                rec.steps.append(Step(e.next_service, now, deadline_s=t.deadline - MIDNIGHT, priority=t.priority))
                self.env.process(self.patience(rec, len(rec.steps)))
                self.signal()
            elif isinstance(e, ev.TicketNoShow) and e.recycled:
                self.signal()
        return events

    def rid(self) -> str:
        return f"r{next(self.ids)}"

    def signal(self) -> None:
        """Wake idle windows: somebody new is waiting."""
        old, self.changed = self.changed, self.env.event()
        old.succeed()

    # citizens ------------------------------------------------------------------------------------

    def citizen(self, v: Visit) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(max(v.arrival_s - self.env.now, 0.0))
        self.arrivals_left -= 1
        rec = Record(visit=v)
        self.all_records.append(rec)
        first = v.steps[0]
        svc = self.state.index.services[first]
        if svc.kiosk_capable and len(v.steps) == 1 and v.slot_s is None:
            use = v.kiosk_self
            if not use and self.kiosk_proposals and v.kiosk_accept:
                use = route_new(self.state, first, MIDNIGHT + self.env.now).kiosk
            if use:
                rec.kiosk = True
                t0 = self.env.now
                with self.kiosks.request() as req:
                    yield req
                    rec.kiosk_wait_s = self.env.now - t0
                    yield self.env.timeout(v.kiosk_s)
                rec.done = True
                if self.arrivals_left == 0:
                    self.signal()
                return
        now = MIDNIGHT + self.env.now
        try:
            if v.slot_s is not None:
                aid = f"a{v.vid}"
                self.do(
                    cmd.RegisterAppointment(
                        request_id=self.rid(),
                        appointment_id=aid,
                        service=first,
                        steps=v.steps,
                        slot_start=MIDNIGHT + v.slot_s,
                    )
                )
                events = self.do(cmd.CheckIn(request_id=self.rid(), appointment_id=aid))
            else:
                events = self.do(
                    cmd.IssueTicket(request_id=self.rid(), service=first, steps=v.steps, priority=v.priority)
                )
        except EngineError:
            rec.left_s = self.env.now  # refused (outside issuing hours): counts as not served
            return
        issued = next(e for e in events if isinstance(e, ev.TicketIssued))
        rec.ticket_id = issued.ticket_id
        rec.issued_s = self.env.now
        rec.away_pending = v.away
        self.records[issued.ticket_id] = rec
        rec.steps.append(Step(first, self.env.now, deadline_s=issued.deadline - MIDNIGHT, priority=issued.priority))
        for name, predict in self.predictors.items():
            rec.est[name] = predict(self.state, issued.ticket_id, now)
        self.env.process(self.patience(rec, 1))
        self.signal()

    def patience(self, rec: Record, step_no: int) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(rec.visit.patience_s)
        if rec.left_s is None and len(rec.steps) == step_no and rec.steps[-1].called_s is None:
            rec.left_s = self.env.now

    # staff ---------------------------------------------------------------------------------------

    def wanted(self, wid: str) -> bool:
        if self.staffing is None or wid not in self.staffed:
            return True
        start = int(self.env.now // self.bucket_s * self.bucket_s // 60)
        return self.staffed.index(wid) < self.staffing.get(start, 0)

    def window(self, wid: str, start_s: float) -> Generator[simpy.Event, Any, None]:
        self.running.add(wid)
        yield self.env.timeout(max(start_s - self.env.now, 0.0))
        self.do(cmd.Login(request_id=self.rid(), window_id=wid, staff_id=f"staff-{wid}"))
        self.do(cmd.OpenWindow(request_id=self.rid(), window_id=wid))
        self.opened_at[wid] = self.env.now
        pauses = [p for p in self.pauses if p.window == wid]
        while True:
            now = self.env.now
            if pauses and now >= pauses[0].start_s:
                p = pauses.pop(0)
                self.do(cmd.PauseWindow(request_id=self.rid(), window_id=wid, reason=p.reason))
                self._book_open(wid)
                yield self.env.timeout(p.minutes * 60)
                self.do(cmd.ResumeWindow(request_id=self.rid(), window_id=wid))
                self.opened_at[wid] = self.env.now
                continue
            if not self.wanted(wid):
                self._book_open(wid)
                self.do(cmd.CloseWindow(request_id=self.rid(), window_id=wid))
                while not self.wanted(wid):
                    yield self.env.timeout(self.bucket_s - self.env.now % self.bucket_s)
                self.do(cmd.OpenWindow(request_id=self.rid(), window_id=wid))
                self.opened_at[wid] = self.env.now
                continue
            if wid in self.config.routing.overflow_windows and self._advised_close(wid):
                break
            called = self.call(wid)
            if called is None:
                wake: list[simpy.Event] = [self.changed]
                if pauses:
                    wake.append(self.env.timeout(max(pauses[0].start_s - now, 0.0)))
                if self.staffing is not None:
                    wake.append(self.env.timeout(self.bucket_s - now % self.bucket_s))
                if wid in self.config.routing.overflow_windows:
                    wake.append(self.env.timeout(60))
                yield self.env.any_of(wake)
                continue
            yield from self.serve(wid, called)
        self._book_open(wid)
        self.do(cmd.CloseWindow(request_id=self.rid(), window_id=wid))
        self.do(cmd.Logout(request_id=self.rid(), window_id=wid))
        self.running.discard(wid)

    def _book_open(self, wid: str) -> None:
        since = self.opened_at.pop(wid, None)
        if since is not None:
            self.open_s[wid] = self.open_s.get(wid, 0.0) + self.env.now - since

    def _advised_close(self, wid: str) -> bool:
        return any(
            a.kind is AdviceKind.CLOSE_WINDOW and a.window_id == wid
            for a in advice(self.state, MIDNIGHT + self.env.now)
        )

    def call(self, wid: str) -> str | None:
        if self.pick is None:
            try:
                events = self.do(cmd.CallNext(request_id=self.rid(), window_id=wid))
            except EngineError:
                return None
        else:
            tid = self.pick(self.state, wid, MIDNIGHT + self.env.now)
            if tid is None:
                return None
            events = self.do(cmd.CallTicket(request_id=self.rid(), window_id=wid, ticket_id=tid))
        called = events[-1]
        assert isinstance(called, ev.TicketCalled)
        return called.ticket_id

    def serve(self, wid: str, tid: str) -> Generator[simpy.Event, Any, None]:
        rec = self.records[tid]
        t0 = self.env.now
        step = rec.steps[-1]
        if rec.left_s is not None or rec.away_pending:
            if rec.away_pending:
                rec.away_pending = False
            for _ in range(self.config.calling.recall_limit):
                yield self.env.timeout(self.recall_every_s)
                self.do(cmd.Recall(request_id=self.rid(), window_id=wid))
            yield self.env.timeout(self.recall_every_s)
            self.do(cmd.MarkNoShow(request_id=self.rid(), window_id=wid))
            t = self.state.tickets[tid]
            if t.state is TicketState.WAITING and rec.left_s is None and step.called_s is not None:
                # back in the queue: its wait goes on from the re-queue, under a new deadline
                step.waited_before_s += step.called_s - step.queued_s
                step.called_s = None
                step.queued_s = self.env.now
                step.deadline_s = t.deadline - MIDNIGHT
        else:
            v = rec.visit
            yield self.env.timeout(v.walk_s)
            self.do(cmd.StartService(request_id=self.rid(), window_id=wid))
            step.started_s = self.env.now
            yield self.env.timeout(v.service_s[len(rec.steps) - 1])
            step.ended_s = self.env.now
            self.do(cmd.FinishService(request_id=self.rid(), window_id=wid))
            if self.state.tickets[tid].state is TicketState.FINISHED:
                rec.done = True
        self.busy_s[wid] = self.busy_s.get(wid, 0.0) + self.env.now - t0

    # manager -------------------------------------------------------------------------------------

    def manager(self) -> Generator[simpy.Event, Any, None]:
        while True:
            yield self.env.timeout(60)
            for a in advice(self.state, MIDNIGHT + self.env.now):
                if a.kind is AdviceKind.OPEN_WINDOW and a.window_id not in self.pending_open | self.running:
                    self.pending_open.add(a.window_id)
                    self.overflow.append((self.env.now, a.window_id, a.reason))
                    self.env.process(self._open_later(a.window_id))

    def _open_later(self, wid: str) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.reaction_s)
        self.pending_open.discard(wid)
        yield from self.window(wid, self.env.now)

    # the day -------------------------------------------------------------------------------------

    def sampler(self) -> Generator[simpy.Event, Any, None]:
        while True:
            self.queue_trace.append((self.env.now, self.state.waiting_count()))
            yield self.env.timeout(300)

    def closing(self) -> Generator[simpy.Event, Any, None]:
        """Ends the day once every visit is resolved: served, gone, or refused."""
        yield self.env.timeout(ISSUE_UNTIL_S - self.env.now)
        while self.arrivals_left > 0 or not all(r.done or r.left_s is not None for r in self.all_records):
            yield self.env.timeout(60)

    def run(self) -> DayResult:
        for v in self.visits:
            self.env.process(self.citizen(v))
        for wid in self.staffed:
            self.env.process(self.window(wid, self.windows_open_s))
        self.env.process(self.sampler())
        if self.follow_advice:
            self.env.process(self.manager())
        end = self.env.process(self.closing())
        self.env.run(until=end)
        for wid in list(self.opened_at):
            self._book_open(wid)
        return DayResult(
            records=self.all_records,
            busy_s=self.busy_s,
            open_s=self.open_s,
            overflow_opened=self.overflow,
            calls=self.calls,
            commands=self.commands,
            queue=self.queue_trace,
        )
