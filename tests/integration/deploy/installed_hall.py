"""Inside the sandbox (``python -m tests.integration.deploy.installed_hall WORKDIR``): install a hall server
and a kiosk on one machine with ``onevisit install``, start every unit with its exact ``ExecStart`` and the
installed files, enrol the kiosk, take a ticket, back the hall up, then uninstall. Prints one line per stage;
exits non-zero with the reason (and the units' log tails) on the first failure."""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import ssl
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.integration.deploy.sandbox import ROOT, enter, make_venv
from tests.integration.deploy.unit_runner import UnitRunner

UNITS = Path("/etc/systemd/system")
PYTHON = Path("/opt/onevisit/.venv/bin/python")
CONTROLLER_URL = "https://127.0.0.1:8443"


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def onevisit(*args: str, user: str = "root", check: bool = True) -> str:
    """The installed command, as root or as a service's user (``runuser -u onevisit -- onevisit ...``)."""
    argv = [str(PYTHON), "-m", "onevisit.cli", *args]
    if user != "root":
        pw = pwd.getpwnam(user)
        argv = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--", *argv]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/",
                         env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": "/root"})
    text = out.stdout + out.stderr
    if check and out.returncode != 0:
        raise AssertionError(f"onevisit {' '.join(args)} failed ({out.returncode}):\n{text}")
    return text


def mode_of(path: str) -> tuple[str, str, int]:
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, __import__("grp").getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)


async def take_ticket(socket_path: str, device_id: str) -> None:
    from hall_protocol.local import Subscribe
    from hall_protocol.tickets import IssueTicket, TicketReply
    from kiosk.agent_client import AgentClient

    async with AgentClient(socket_path, subscribe=Subscribe()) as link:
        await link.wait_online(30)
        reply = await link.request(IssueTicket(request_id=uuid.uuid4().hex, service="SB-CARD",
                                               source_device=device_id))
    assert isinstance(reply, TicketReply), reply
    assert not reply.ticket.provisional, reply
    say(f"ticket {reply.ticket.number} issued through the installed agent (not provisional)")


def main(workdir: Path) -> int:
    enter(workdir)
    runner = UnitRunner(Path("/run/ovtest"))
    try:
        make_venv(PYTHON)
        say("sandbox ready: overlays on /etc /var /opt, fresh /run, own loopback")

        # hall server --------------------------------------------------------------------------------------
        dry = onevisit("install", "--role", "hall", "--dry-run", "--no-packages", "--public-host", "127.0.0.1")
        assert "would: create system user onevisit" in dry, dry
        assert not Path("/etc/onevisit").exists(), "--dry-run changed the machine"
        first = onevisit("install", "--role", "hall", "--no-packages", "--public-host", "127.0.0.1")
        assert "doing:" in first, first
        again = onevisit("install", "--role", "hall", "--no-packages", "--public-host", "127.0.0.1")
        assert "nothing to do" in again, f"a second install changed things:\n{again}"
        say("hall installed; a second run has nothing to do")
        assert mode_of("/etc/onevisit") == ("root", "onevisit", 0o750)
        assert mode_of("/var/lib/onevisit") == ("onevisit", "onevisit", 0o750)
        assert mode_of("/var/lib/onevisit/enrollment/ca/ca.key")[::2] == ("onevisit", 0o600)
        assert mode_of("/var/lib/mosquitto/dynamic-security.json")[::2] == ("mosquitto", 0o600)
        assert "onevisit" in __import__("grp").getgrnam("onevisit").gr_mem or \
            "mosquitto" in __import__("grp").getgrnam("onevisit").gr_mem

        units = sorted(str(p) for p in UNITS.glob("onevisit-*"))
        verify = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True)
        assert verify.returncode == 0, f"verify: {verify.stdout}{verify.stderr}"
        assert not verify.stderr.strip(), verify.stderr
        say(f"systemd-analyze verify: {len(units)} installed units clean")

        runner.start(Path("/lib/systemd/system/mosquitto.service"), ready_timeout=20)
        say("mosquitto.service ready with the OneVisit drop-in")
        controller = runner.start(UNITS / "onevisit-controller.service", ready_timeout=60)
        assert controller.watchdog_pings >= 1 or _wait(lambda: controller.watchdog_pings >= 1, 5), \
            "the controller sent no WATCHDOG=1"
        say("onevisit-controller.service: READY=1 and WATCHDOG=1 (as user onevisit, --state-dir on)")

        ca = "/var/lib/onevisit/enrollment/ca/ca.crt"
        ctx = ssl.create_default_context(cafile=ca)
        page = httpx.get("https://127.0.0.1:8080/login", verify=ctx, timeout=10)
        assert page.status_code == 200, page.status_code
        say("pages served over HTTPS with the hall CA's certificate")

        # a kiosk on the same machine: enrolled by the installer with a one-time code ------------------------
        added = onevisit("device", "add", "--role", "kiosk", "--zone", "A", "--name", "自助机1",
                         "--controller", CONTROLLER_URL, user="onevisit")
        code = re.search(r"one-time code: (\S+)", added)
        device = re.search(r"device: (\S+)", added)
        assert code is not None, added
        assert device is not None, added
        out = onevisit("install", "--role", "kiosk", "--no-packages", "--code", code.group(1),
                       "--controller", CONTROLLER_URL)
        assert "enrol this device" in out, out
        assert mode_of("/etc/onevisit/agent/agent.toml")[::2] == ("onevisit-agent", 0o600)
        assert f'device_id = "{device.group(1)}"' in Path("/etc/onevisit/kiosk.toml").read_text()
        assert "nothing to do" in onevisit("install", "--role", "kiosk", "--no-packages")
        assert "nothing to do" in onevisit("install", "--role", "hall", "--no-packages")
        say(f"kiosk installed and enrolled as {device.group(1)}; both roles idempotent together")
        units = sorted(str(p) for p in UNITS.glob("onevisit-*"))
        verify = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True)
        assert verify.returncode == 0, f"verify: {verify.stdout}{verify.stderr}"
        assert not verify.stderr.strip(), verify.stderr
        say(f"systemd-analyze verify: all {len(units)} installed units clean")

        agent = runner.start(UNITS / "onevisit-agent.service", ready_timeout=30)
        say("onevisit-agent.service: READY=1 (as user onevisit-agent, mutual TLS to the broker)")
        xvfb = subprocess.Popen(["Xvfb", ":0", "-screen", "0", "1080x1920x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert _wait(lambda: Path("/tmp/.X11-unix/X0").exists(), 10), "Xvfb did not start"
            kiosk = runner.start(UNITS / "onevisit-kiosk.service", ready_timeout=90)
            say("onevisit-kiosk.service: READY=1 after its first frame (as user onevisit-ui)")
            asyncio.run(take_ticket("/run/onevisit/agent.sock", device.group(1)))
            assert _wait(lambda: kiosk.watchdog_pings >= 1, 5), "the kiosk sent no WATCHDOG=1"
            assert agent.proc.poll() is None
            assert kiosk.proc.poll() is None

            backup = onevisit("backup", "--out", "/var/backups/hall.tar")
            assert mode_of("/var/backups/hall.tar")[2] == 0o600, backup
            say("onevisit backup while the controller runs: archive 0600")

            codes = runner.stop_all()
            assert all(c == 0 for c in codes.values()), f"unclean stops: {codes}"
            say(f"every unit stopped cleanly on SIGTERM: {codes}")
        finally:
            xvfb.terminate()
            xvfb.wait()

        # uninstall ------------------------------------------------------------------------------------------
        onevisit("uninstall")
        assert not list(UNITS.glob("onevisit-*")), "units left behind"
        assert not Path("/etc/mosquitto/conf.d/onevisit.conf").exists()
        assert Path("/var/lib/onevisit/hall.db").exists()
        assert Path("/etc/onevisit/hall.toml").exists()
        onevisit("uninstall", "--purge")
        assert not Path("/var/lib/onevisit").exists()
        assert not Path("/etc/onevisit").exists()
        for user in ("onevisit", "onevisit-agent", "onevisit-ui"):
            try:
                pwd.getpwnam(user)
            except KeyError:
                continue
            raise AssertionError(f"user {user} left behind by --purge")
        say("uninstall keeps data; --purge removes data and users")
        print("SANDBOX OK", flush=True)
        return 0
    except Exception as err:
        print(f"FAILED: {err!r}", flush=True)
        for unit in runner.running:
            print(f"--- {unit.name} (exit {unit.proc.poll()}) ---\n{unit.tail()}", flush=True)
        raise
    finally:
        runner.stop_all()


def _wait(predicate: object, timeout: float) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


if __name__ == "__main__":
    assert ROOT.exists()
    sys.exit(main(Path(sys.argv[1])))
