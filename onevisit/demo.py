"""``onevisit demo``: the whole hall on one machine, as separate processes talking through a private broker.

Processes: Mosquitto, the hall controller, one edge agent per device (kiosk, hall screen, three window
terminals). Headless, scripted citizens and staff drive the devices through the agents' local sockets; with a
display, the kiosk and hall-screen windows open instead of the scripted citizens. Unless ``--headless`` is
asked for, window W1 has no scripted staff: a person logs in on its window terminal page and calls there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hall_controller import checkin_key
from hall_protocol import topics
from hall_protocol.devices import Role
from hall_protocol.hall_config import HallConfig, load_hall_config
from hall_runtime.mqtt_client import make_client
from onevisit.broker import PrivateBroker, free_port
from onevisit.demo_actors import Tally, citizens, hall_screen, staff

log = logging.getLogger(__name__)
CHECKIN_KEY = "checkin.key"


@dataclass
class DemoOptions:
    headless: bool = True
    duration_s: float = 0.0
    seed: int = 1
    arrivals_per_min: float = 30.0
    speed: float = 60.0  # simulated minutes per real second, for service times
    workdir: Path | None = None
    config_dir: Path = Path("configs/demo")
    people_at: tuple[str, ...] = ()
    """Windows left to people: no scripted staff there; staff log in on the window terminal page."""


@dataclass(frozen=True)
class DeviceSpec:
    device_id: str
    role: Role
    zone: str


def demo_devices(config: HallConfig) -> list[DeviceSpec]:
    first_zone = config.zones[0].id
    devices = [
        DeviceSpec("kiosk-1", Role.KIOSK, first_zone),
        DeviceSpec("screen-1", Role.HALL_SCREEN, first_zone),
    ]
    devices += [DeviceSpec(f"win-{w.id}", Role.WINDOW_TERMINAL, w.zone) for w in config.windows[:3]]
    return devices


def agent_config_text(spec: DeviceSpec, hall: str, port: int, workdir: Path) -> str:
    # kiosks key their ID look-ups with the hall's check-in key (the controller's, made before it starts)
    key = f'checkin_key_file = "{workdir / CHECKIN_KEY}"\n' if spec.role is Role.KIOSK else ""
    return (
        f'device_id = "{spec.device_id}"\nrole = "{spec.role.value}"\nhall = "{hall}"\nzone = "{spec.zone}"\n'
        f'socket_path = "{workdir / (spec.device_id + ".sock")}"\n'
        f'data_dir = "{workdir / spec.device_id}"\n{key}\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {port}\ntls = false\n'
    )


class Processes:
    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        logf = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # Its own session: a Ctrl-C at the terminal goes to the demo alone, which stops its actors first and
        # then its processes in order; otherwise SIGINT reached every agent at once and the staff still
        # finishing a ticket lost their agent under them (the demo's "errors 2" at shutdown).
        proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        logf.close()
        self.procs.append((name, proc))
        return proc

    def check(self) -> list[str]:
        return [f"{n} exited with {p.returncode}" for n, p in self.procs if p.poll() is not None]

    def stop_all(self) -> None:
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in reversed(self.procs):
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


async def _wait_for_socket(path: Path, procs: Processes, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(path.exists):
        if problems := procs.check():
            raise RuntimeError("; ".join(problems))
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear within {timeout}s")
        await asyncio.sleep(0.05)


async def wait_for_controller(broker: PrivateBroker, hall: str, procs: Processes, timeout: float = 60.0) -> None:
    """The controller publishes the retained hall state once it serves: wait for it before people arrive."""
    async with make_client(broker.host, broker.port, identifier=f"demo-{os.getpid()}", clean_start=True,
                           session_expiry_s=0) as client:
        await client.subscribe(topics.hall_state(hall), qos=1)
        deadline = time.monotonic() + timeout
        while True:
            if problems := procs.check():
                raise RuntimeError("; ".join(problems))
            try:
                async with asyncio.timeout(0.5):
                    async for _ in client.messages:
                        return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the controller did not start within {timeout}s") from None


async def _run(options: DemoOptions, workdir: Path) -> dict[str, object]:
    config = load_hall_config(options.config_dir / "hall.toml")
    hall = config.hall.id
    devices = demo_devices(config)
    procs = Processes(workdir)
    (workdir / "broker").mkdir(exist_ok=True)
    broker = PrivateBroker(workdir=workdir / "broker").start()
    tally = Tally()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    py = sys.executable
    web_port = free_port()
    try:
        await create_demo_accounts(workdir / "hall.db")
        checkin_key.load_or_create(workdir / CHECKIN_KEY)
        sent_log = workdir / SENT_MESSAGES
        (workdir / "notify.toml").write_text(notify_config_text(sent_log), encoding="utf-8")
        procs.start(
            "controller",
            [py, "-m", "hall_controller", "--config", str(options.config_dir / "hall.toml"),
             "--broker", f"127.0.0.1:{broker.port}", "--db", str(workdir / "hall.db"),
             "--web-port", str(web_port), "--checkin-key", str(workdir / CHECKIN_KEY),
             "--notify", str(workdir / "notify.toml"),
             # the QR on every ticket must open the page this controller serves
             "--status-base-url", f"http://127.0.0.1:{web_port}"],
        )
        for spec in devices:
            cfg = workdir / f"agent-{spec.device_id}.toml"
            cfg.write_text(agent_config_text(spec, hall, broker.port, workdir))
            procs.start(f"agent-{spec.device_id}", [py, "-m", "edge_agent", "--config", str(cfg)])
        for spec in devices:
            await _wait_for_socket(workdir / f"{spec.device_id}.sock", procs)
        await wait_for_controller(broker, hall, procs)
        print(f"hall {hall}: broker 127.0.0.1:{broker.port}, logs in {workdir}", flush=True)
        print(demo_logins(f"http://127.0.0.1:{web_port}", options.people_at), flush=True)

        rng = random.Random(options.seed)
        sock = {d.device_id: str(workdir / f"{d.device_id}.sock") for d in devices}
        screen_stop = asyncio.Event()
        screen = asyncio.create_task(hall_screen(sock["screen-1"], tally, screen_stop))
        tasks: list[asyncio.Task[None]] = []
        for d in devices:
            if d.role is Role.WINDOW_TERMINAL and d.device_id.removeprefix("win-") not in options.people_at:
                tasks.append(asyncio.create_task(staff(
                    sock[d.device_id], d.device_id.removeprefix("win-"), tally, speed=options.speed,
                    config=config, rng=random.Random(rng.random()), stop=stop,
                )))
        if options.headless:
            tasks.append(asyncio.create_task(citizens(
                sock["kiosk-1"], config, tally, rate_per_min=options.arrivals_per_min,
                rng=random.Random(rng.random()), device_id="kiosk-1", stop=stop,
            )))
        else:
            procs.start("kiosk-ui", [py, "-m", "kiosk", "--agent-socket", sock["kiosk-1"],
                                     "--configs", str(options.config_dir), "--role", "kiosk"])
            # a hall screen is a landscape TV: half of 1920x1080, so it fits a desktop beside the kiosk
            procs.start("hall-screen-ui", [py, "-m", "kiosk", "--agent-socket", sock["screen-1"],
                                           "--configs", str(options.config_dir), "--role", "hall-screen",
                                           "--width", "960", "--height", "540"])
        started = time.monotonic()
        while not stop.is_set():
            if options.duration_s and time.monotonic() - started >= options.duration_s:
                break
            if problems := procs.check():
                tally.error("; ".join(problems))
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                tally.error(f"actor failed: {r!r}")
        # every call must reach the hall screen; the last ones may still be in flight
        deadline = time.monotonic() + 3
        while tally.called_ids - tally.screen_ids and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        screen_stop.set()
        if isinstance(r := (await asyncio.gather(screen, return_exceptions=True))[0], BaseException):
            tally.error(f"hall screen failed: {r!r}")
        missing = tally.called_ids - tally.screen_ids
        if missing:
            tally.error(f"{len(missing)} calls never reached the hall screen")
        # every call of a ticket whose holder gave a number must reach the (simulated) SMS gateway
        deadline = time.monotonic() + 3
        while (unsent := _unmessaged(tally, sent_log)) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # another process writes the file: nothing here to await
        if unsent:
            tally.error(f"{len(unsent)} calls never reached the SMS gateway")
    finally:
        procs.stop_all()
        broker.close()
    summary: dict[str, object] = {
        "bench": "demo",
        "issued": tally.issued,
        "refused": tally.refused,
        "called": tally.called,
        "started": tally.started,
        "finished": tally.finished,
        "screen_calls": tally.screen_calls,
        "messages": len(_sent(workdir / SENT_MESSAGES)),
        "errors": tally.errors,
    }
    if tally.error_reasons:
        print("errors:\n  " + "\n  ".join(tally.error_reasons))
    return summary


SENT_MESSAGES = "sent-messages.jsonl"


def notify_config_text(sent_log: Path) -> str:
    """The demo's silent-call messages: the simulator gateway, recording what it sends (masked numbers)."""
    return f'[[gateways]]\ndriver = "simulator"\nrecord_path = "{sent_log}"\n'


def _sent(sent_log: Path) -> list[dict[str, str]]:
    if not sent_log.exists():
        return []
    return [json.loads(line) for line in sent_log.read_text(encoding="utf-8").splitlines() if line.strip()]


def _unmessaged(tally: Tally, sent_log: Path) -> set[str]:
    """Called tickets with a number for which no "called" message was sent."""
    called = {m["ticket_id"] for m in _sent(sent_log) if m["kind"] == "called"}
    return (tally.called_ids & tally.phone_ids) - called


DEMO_PASSWORD = "demo-pass-1"  # printed by the demo; it serves on loopback only
DEMO_ACCOUNTS = (
    ("staff-w1", "张敏", "staff", "W1"),
    ("staff-w2", "王磊", "staff", "W2"),
    ("staff-w3", "陈静", "staff", "W3"),
    ("manager", "李主任", "manager", ""),
    ("tech", "赵工", "technician", ""),
)


async def create_demo_accounts(db: Path) -> None:
    from hall_controller.accounts import AccountStore, PersonRole

    store = await AccountStore.open(db)
    try:
        for username, name, role, _ in DEMO_ACCOUNTS:
            await store.add(username, name, PersonRole(role), DEMO_PASSWORD)
    finally:
        await store.close()


def demo_logins(url: str, people_at: tuple[str, ...] = ()) -> str:
    lines = [f"pages on {url} (every demo account's password: {DEMO_PASSWORD})"]
    for username, name, role, window in DEMO_ACCOUNTS:
        page = f"{url}/terminal  (window {window})" if window else f"{url}/console"
        if window in people_at:
            page += "  <- 请登录叫号 / yours: log in and call the next ticket"
        lines.append(f"  {username:<9} {role:<10} {name}  {page}")
    return "\n".join(lines)


def run_demo(options: DemoOptions) -> int:
    if not options.headless and not os.environ.get("DISPLAY"):
        print("no display found: running headless (scripted citizens and staff)", flush=True)
        options.headless = True
    tmp = None
    if options.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="onevisit-demo-")
        workdir = Path(tmp.name)
    else:
        workdir = options.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        summary = asyncio.run(_run(options, workdir))
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(
        f"issued {summary['issued']} tickets ({summary['refused']} refused), called {summary['called']}, "
        f"finished {summary['finished']}, calls on the hall screen {summary['screen_calls']}, "
        f"messages sent {summary['messages']}, errors {summary['errors']}"
    )
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["errors"] == 0 else 1
