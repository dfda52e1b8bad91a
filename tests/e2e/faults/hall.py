"""A whole hall under steady load, for breaking on purpose: a private Mosquitto, the controller as a process,
one edge agent process per device (three kiosks, two window terminals), scripted citizens taking tickets at
the kiosks and staff serving at the windows. Every answer a device UI got is written down (:class:`Ledger`),
and :func:`check` holds the hall to what the fault suite promises: no ticket lost, none duplicated, numbers
contiguous, and the UI told the citizen something true. Loopback only; every wait is bounded.

A kiosk can be cut off from the hall (its agent reaches the broker through a :class:`Cuttable` TCP relay),
and the controller can run under libfaketime so that its wall clock can be stepped like an NTP step.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from edge_agent.config import AgentConfig, BrokerConfig
from hall_controller.engine.events import BlockLeased, DayStarted, Event, TicketIssued
from hall_controller.store import Store
from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import ErrorReply, IssueTicket, RpcReply, TicketReply, WindowCommand, WindowOp, WindowReply
from kiosk.agent_client import AgentClient
from onevisit.broker import PrivateBroker
from tests.integration.edge_agent.helpers import AgentProcess

ROOT = Path(__file__).resolve().parents[3]
HALL = "faults"
SERVICES = ("S00", "S01", "S02")
KIOSKS = ("kiosk-1", "kiosk-2", "kiosk-3")
WINDOWS = ("W1", "W2")
FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
REQUEST_TIMEOUT_S = 5.0  # the agents' default


DEMO = ROOT / "configs" / "demo"
DEMO_SERVICES = ("SB-CARD", "GJJ-DRAW", "QY-START")


def demo_hall_toml() -> str:
    """The demo hall (whose catalog the kiosk's view-models read), with two more kiosks."""
    text = (DEMO / "hall.toml").read_text().replace('id = "demo"', f'id = "{HALL}"', 1)
    return text + "".join(f'\n[[devices]]\nid = "{k}"\nrole = "kiosk"\nzone = "A"\n' for k in KIOSKS[1:])


def hall_toml() -> str:
    services = "".join(
        f'[[services]]\ncode = "{code}"\nname_zh = "业务{i}"\nname_en = "Service {i}"\nprefix = "{chr(65 + i)}"\n'
        f'zone = "A"\ndaily_cap = 9999\nopens = "00:00"\ncloses = "23:59"\nissue_from = "00:00"\n'
        f'issue_until = "23:59"\n\n'
        for i, code in enumerate(SERVICES)
    )
    windows = "".join(
        f'[[windows]]\nid = "{w}"\nname_zh = "{w}号窗口"\nname_en = "Window {w}"\nzone = "A"\ncomprehensive = true\n\n'
        for w in WINDOWS
    )
    devices = "".join(f'[[devices]]\nid = "{k}"\nrole = "kiosk"\nzone = "A"\n\n' for k in KIOSKS) + "".join(
        f'[[devices]]\nid = "win-{w}"\nrole = "window-terminal"\nzone = "A"\nwindow = "{w}"\n\n' for w in WINDOWS)
    return (f'[hall]\nid = "{HALL}"\nname_zh = "故障测试大厅"\nname_en = "Fault hall"\n\n'
            '[[zones]]\nid = "A"\nname_zh = "A区"\nname_en = "Zone A"\n\n' + services + windows + devices)


# What the UIs were told -----------------------------------------------------------------------------------


@dataclass
class Answer:
    device: str
    request_id: str
    service: str
    sent_at: float
    took_s: float
    reply: RpcReply


@dataclass
class Ledger:
    answers: list[Answer] = field(default_factory=list)
    staff_errors: list[str] = field(default_factory=list)
    served: int = 0

    def record(self, device: str, request_id: str, service: str, sent_at: float, took_s: float,
               reply: RpcReply) -> None:
        """What a device UI outside the load (a test's own kiosk) was told."""
        self.answers.append(Answer(device, request_id, service, sent_at, took_s, reply))

    def tickets(self) -> list[Answer]:
        return [a for a in self.answers if isinstance(a.reply, TicketReply)]

    def provisional(self) -> list[Answer]:
        return [a for a in self.tickets() if isinstance(a.reply, TicketReply) and a.reply.ticket.provisional]

    def first_real_ticket_after(self, t: float) -> float | None:
        for a in sorted(self.tickets(), key=lambda a: a.sent_at):
            if a.sent_at >= t and isinstance(a.reply, TicketReply) and not a.reply.ticket.provisional:
                return a.sent_at + a.took_s
        return None


# The hall -------------------------------------------------------------------------------------------------


class Cuttable:
    """A TCP relay from a kiosk's agent to the broker that can be cut (every connection dropped, new ones
    refused at once) and mended: a kiosk whose hall network is gone."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.cut = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> Cuttable:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def sever(self) -> None:
        self.cut = True
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    def mend(self) -> None:
        self.cut = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_w))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        self._writers.discard(writer)
        self._writers.discard(up_w)

    async def close(self) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class Hall:
    def __init__(self, workdir: Path, *, faketime: bool = False, lease_size: int = 50,
                 agent_dirs: dict[str, Path] | None = None, demo: bool = False) -> None:
        self.workdir = workdir
        self.faketime = faketime
        self.clock_file = workdir / "controller.faketime"
        (workdir / "broker").mkdir(exist_ok=True)
        os.chmod(workdir / "broker", 0o777)  # the broker may run as its own user and must save its sessions
        self.broker = PrivateBroker(workdir=workdir / "broker", persistence=True)
        self.toml = workdir / "hall.toml"
        self.toml.write_text(demo_hall_toml() if demo else hall_toml())
        self.services = DEMO_SERVICES if demo else SERVICES
        self.db = workdir / "hall.db"
        self.controller: subprocess.Popen[bytes] | None = None
        self.agents: dict[str, AgentProcess] = {}
        self.relays: dict[str, Cuttable] = {}
        self.lease_size = lease_size
        self.agent_dirs = agent_dirs or {}
        self.ledger = Ledger()
        self._stop = asyncio.Event()
        self._load: list[asyncio.Task[None]] = []

    # processes ------------------------------------------------------------------------------------------

    def start_controller(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if self.faketime:
            # libfaketime re-reads the offset from this file on every call: the wall clock (CLOCK_REALTIME)
            # steps when the file changes, the monotonic clock does not (an NTP step does the same)
            if not self.clock_file.exists():
                self.clock_file.write_text("+0s\n")
            env.update(LD_PRELOAD=str(FAKETIME_LIB), FAKETIME_TIMESTAMP_FILE=str(self.clock_file),
                       FAKETIME_NO_CACHE="1", DONT_FAKE_MONOTONIC="1")
        with (self.workdir / "controller.log").open("ab") as log:
            self.controller = subprocess.Popen(
                [sys.executable, "-m", "hall_controller", "--config", str(self.toml), "--broker",
                 f"127.0.0.1:{self.broker.port}", "--db", str(self.db), "--web-port", "0"],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)

    def kill_controller(self) -> None:
        assert self.controller is not None
        self.controller.send_signal(signal.SIGKILL)
        self.controller.wait()

    def step_clock(self, offset_s: float) -> None:
        """The controller's wall clock jumps to ``offset_s`` from the real time (an NTP step)."""
        self.clock_file.write_text(f"{offset_s:+.0f}s\n")

    def agent_config(self, device_id: str, role: Role, port: int) -> AgentConfig:
        data = self.agent_dirs.get(device_id, self.workdir / device_id)
        return msgspec.convert({
            "device_id": device_id, "role": role, "hall": HALL,
            "broker": BrokerConfig(host="127.0.0.1", port=port, tls=False),
            "socket_path": str(self.workdir / f"{device_id}.sock"), "data_dir": str(data),
            "reconnect_base_s": 0.1, "reconnect_cap_s": 1.0, "lease_check_interval_s": 0.5,
            "request_timeout_s": REQUEST_TIMEOUT_S, "telemetry_interval_s": 5.0,
            "lease_size": self.lease_size if role is Role.KIOSK else 0,
            "lease_services": list(self.services) if role is Role.KIOSK else [],
        }, AgentConfig, from_attributes=True)

    async def start(self) -> None:
        self.broker.start()
        self.start_controller()
        for k in KIOSKS:
            relay = await Cuttable(self.broker.port).start()
            self.relays[k] = relay
            self.agents[k] = AgentProcess(self.agent_config(k, Role.KIOSK, relay.port), self.workdir)
        for w in WINDOWS:
            self.agents[f"win-{w}"] = AgentProcess(self.agent_config(f"win-{w}", Role.WINDOW_TERMINAL,
                                                                     self.broker.port), self.workdir)
        await asyncio.gather(*(a.start() for a in self.agents.values()))
        await self.wait_serving()

    async def wait_serving(self, timeout: float = 30.0) -> None:
        """Until the controller serves (its retained hall state is there) and every agent is online."""
        from hall_protocol import topics
        from hall_runtime.mqtt_client import make_client

        async with asyncio.timeout(timeout):
            async with make_client("127.0.0.1", self.broker.port, identifier=f"faults-{os.getpid()}",
                                   clean_start=True, session_expiry_s=0) as client:
                await client.subscribe(topics.hall_state(HALL), qos=1)
                async for _ in client.messages:
                    break
            for device in self.agents:
                link = await self._link(device)
                try:
                    await link.wait_online(timeout)
                finally:
                    await link.aclose()
            # a kiosk is ready for an outage once it holds a block of numbers for every service
            while self.lease_size and not all(  # noqa: ASYNC110 - the agents' files
                    self.leased_services(k) >= len(self.services) for k in KIOSKS):
                await asyncio.sleep(0.1)

    def leased_services(self, device_id: str) -> int:
        import sqlite3

        path = Path(self.agents[device_id].config.data_dir) / "leases.db"
        if not path.exists():
            return 0
        con = sqlite3.connect(path, timeout=5)
        try:
            return int(con.execute("SELECT count(DISTINCT service) FROM lease_blocks WHERE next_value <= last")
                       .fetchone()[0])
        except sqlite3.OperationalError:  # not created yet
            return 0
        finally:
            con.close()

    async def close(self) -> None:
        await self.stop_load()
        for a in self.agents.values():
            a.stop()
        if self.controller is not None and self.controller.poll() is None:
            self.controller.terminate()
            await asyncio.to_thread(self.controller.wait)
        for r in self.relays.values():
            await r.close()
        self.broker.close()

    # load -----------------------------------------------------------------------------------------------

    def start_load(self, *, arrivals_per_s: float = 4.0, seed: int = 7, kiosks: tuple[str, ...] = KIOSKS) -> None:
        rng = random.Random(seed)
        for k in kiosks:
            self._load.append(asyncio.create_task(self._citizens(k, arrivals_per_s / len(kiosks),
                                                                 random.Random(rng.random()))))
        for w in WINDOWS:
            self._load.append(asyncio.create_task(self._staff(w)))

    async def until_tickets(self, more: int, timeout: float = 30.0) -> None:
        """Let the load run until ``more`` tickets more have been issued (the hall is busy, not idle)."""
        target = len(self.ledger.tickets()) + more
        async with asyncio.timeout(timeout):
            while len(self.ledger.tickets()) < target:  # noqa: ASYNC110 - the ledger is a plain list
                await asyncio.sleep(0.1)

    async def stop_load(self) -> None:
        self._stop.set()
        results = await asyncio.gather(*self._load, return_exceptions=True)
        self._load = []
        for r in results:
            if isinstance(r, BaseException):
                raise r

    async def _link(self, device_id: str) -> AgentClient:
        """The UI's connection to its agent, opened again when the agent has gone (as the kiosk UI does)."""
        deadline = time.monotonic() + 30
        while True:
            link = AgentClient(self.agents[device_id].config.socket_path, hello_timeout_s=1.0)
            try:
                await link.start()
                return link
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def _citizens(self, device_id: str, rate: float, rng: random.Random) -> None:
        link = await self._link(device_id)
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), rng.expovariate(rate))
                    return
                req = IssueTicket(request_id=uuid.uuid4().hex, service=rng.choice(self.services),
                                  source_device=device_id)
                t0 = time.monotonic()
                sent = time.time()
                reply = await link.request(req, REQUEST_TIMEOUT_S)
                self.ledger.answers.append(Answer(device_id, req.request_id, req.service, sent,
                                                  time.monotonic() - t0, reply))
                if isinstance(reply, ErrorReply) and reply.code is ErrorCode.TIMEOUT:
                    with contextlib.suppress(Exception):
                        await link.aclose()
                    link = await self._link(device_id)
        finally:
            with contextlib.suppress(Exception):
                await link.aclose()

    async def _staff(self, window: str) -> None:
        device = f"win-{window}"
        link = await self._link(device)

        async def op(o: WindowOp, ticket_id: str | None = None) -> RpcReply:
            return await link.request(WindowCommand(request_id=uuid.uuid4().hex, window_id=window, op=o,
                                                    ticket_id=ticket_id, staff_id=f"s-{window}"), REQUEST_TIMEOUT_S)

        try:
            opened = False
            while not self._stop.is_set():
                if not opened:
                    login = await op(WindowOp.LOGIN)
                    opened = isinstance(login, WindowReply) and (
                        login.window_state != "closed" or isinstance(await op(WindowOp.OPEN), WindowReply))
                    if not opened:
                        await asyncio.sleep(0.3)
                    continue
                called = await op(WindowOp.CALL_NEXT)
                if isinstance(called, WindowReply) and called.ticket is not None:
                    for o in (WindowOp.START, WindowOp.FINISH):
                        r = await op(o, called.ticket.ticket_id)
                        if not isinstance(r, WindowReply):
                            self.ledger.staff_errors.append(f"{window} {o.value}: {r}")
                    self.ledger.served += 1
                else:
                    if isinstance(called, ErrorReply) and called.code is ErrorCode.TIMEOUT:
                        with contextlib.suppress(Exception):
                            await link.aclose()
                        link = await self._link(device)
                    await asyncio.sleep(0.2)
        finally:
            with contextlib.suppress(Exception):
                await link.aclose()

    # after the fault ------------------------------------------------------------------------------------

    def outbox_depth(self, device_id: str) -> int:
        import sqlite3

        path = Path(self.agents[device_id].config.data_dir) / "outbox.db"
        con = sqlite3.connect(path, timeout=5)
        try:
            return int(con.execute("SELECT count(*) FROM items WHERE lane = 'tickets'").fetchone()[0])
        finally:
            con.close()

    async def settle(self, timeout: float = 30.0) -> None:
        """Load stopped; wait until every kiosk's ticket outbox is empty and the controller has handled what
        they sent (it serves one device at SENDER_RATE requests a second: a long outage's backlog takes a
        while to merge after the broker has it all). A ticket still missing after ``timeout`` is lost."""
        await self.stop_load()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while any(self.outbox_depth(k) for k in KIOSKS):  # noqa: ASYNC110 - another process's file
                    await asyncio.sleep(0.2)
                wanted = {a.request_id for a in self.ledger.tickets()}
                while wanted - {e.request_id for e in await self.events() if isinstance(e, TicketIssued)}:  # noqa: ASYNC110 - the controller's file
                    await asyncio.sleep(0.5)

    async def events(self) -> list[Event]:
        store = await Store.open(self.db)
        try:
            stored = await store.events_after(0)
        finally:
            await store.close()
        return [msgspec.json.decode(e.body, type=Event) for e in stored]


@contextlib.asynccontextmanager
async def running_hall(workdir: Path, **kwargs: object) -> AsyncIterator[Hall]:
    hall = Hall(workdir, **kwargs)  # type: ignore[arg-type]
    try:
        await hall.start()
        yield hall
    finally:
        await hall.close()


def _refusals(hall: Hall, device: str) -> str:
    log = hall.agents[device].log.read_text(errors="replace").splitlines()
    return "\n".join(line for line in log if "answered with" in line or "ERROR" in line)[-3000:]


# The promises ------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    tickets: int
    provisional: int
    errors: int
    numbers: dict[str, list[int]]


async def check(hall: Hall, *, down: tuple[float, float] | None = None, grace_s: float = 5.0,
                refusals: tuple[ErrorCode, ...] = (ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT)) -> Verdict:
    """No ticket lost or duplicated, numbers contiguous, and what each UI was told was true.

    ``down``: the wall-clock span when the hall was unreachable for some kiosk; a provisional ticket or an
    "unavailable" answer is the truth only then (plus ``grace_s`` for the agent to notice either way)."""
    events = await hall.events()
    issued: dict[str, list[TicketIssued]] = {}
    for e in events:
        if isinstance(e, TicketIssued):
            issued.setdefault(e.request_id, []).append(e)
    ledger = hall.ledger

    for a in ledger.tickets():
        assert isinstance(a.reply, TicketReply)
        got = issued.get(a.request_id, [])
        kind = "provisional" if a.reply.ticket.provisional else "real"
        assert got, (f"lost: {a.device} was given {kind} {a.reply.ticket.number} ({a.request_id}); the hall has no "
                     f"such ticket. Agent log: {_refusals(hall, a.device)}")
        assert len(got) == 1, f"duplicated: request {a.request_id} issued {len(got)} times"
        assert got[0].number == a.reply.ticket.number, (
            f"{a.device} printed {a.reply.ticket.number} but the hall knows it as {got[0].number}")
    # numbering restarts each local day (DayStarted): each day's numbers are checked on their own
    numbers: dict[str, list[int]] = {}
    day, day_leases = "", [e for e in events if isinstance(e, BlockLeased)]
    by_day: dict[str, dict[str, list[int]]] = {}
    for e in events:
        if isinstance(e, DayStarted):
            day = e.day
        elif isinstance(e, TicketIssued):
            by_day.setdefault(day, {}).setdefault(e.prefix, []).append(e.seq)
    for when, per_prefix in by_day.items():
        for prefix, seqs in per_prefix.items():
            numbers.setdefault(prefix, []).extend(seqs)
            assert len(seqs) == len(set(seqs)), f"{when} prefix {prefix}: a number was handed out twice"
            # every number up to the highest was issued or lies in a block leased for offline tickets
            covered = set(seqs)
            spans = [(x.first, x.last) for x in day_leases if x.prefix == prefix
                     and (x.day == when or (not when and x.day not in by_day))]  # "": the log's first day
            for first, last in spans:
                covered.update(range(first, last + 1))
            gaps = sorted(set(range(1, max(seqs) + 1)) - covered)
            near = sorted(x for x in seqs if gaps and abs(x - gaps[0]) < 4)
            assert not gaps, (f"{when} prefix {prefix}: numbers {gaps[:10]} were skipped (issued near: {near}, "
                              f"leased {spans})")

    for a in ledger.answers:
        during = down is not None and down[0] - grace_s <= a.sent_at <= down[1] + grace_s
        when = f"at {a.sent_at - down[0]:+.1f} s from the fault, {a.sent_at - down[1]:+.1f} s from its end" if down \
            else f"at {a.sent_at:.1f}"
        reply = a.reply
        assert a.took_s <= REQUEST_TIMEOUT_S + 2.5, f"{a.device} waited {a.took_s:.1f} s for an answer"
        if isinstance(reply, TicketReply) and reply.ticket.provisional:
            assert during, f"{a.device} printed provisional {reply.ticket.number} while the hall was reachable, {when}"
        elif isinstance(reply, ErrorReply):
            assert reply.code in refusals, reply
            assert during, f"{a.device} was refused while the hall was fine, {when}: {reply}"
    return Verdict(len(ledger.tickets()), len(ledger.provisional()),
                   sum(isinstance(a.reply, ErrorReply) for a in ledger.answers),
                   {p: sorted(s) for p, s in numbers.items()})
