"""No personal data leaks: a headless demo in which identified citizens give their mobile numbers runs while a
subscriber to ``ov/#`` keeps every message; afterwards every message, log, database (WAL included) and file of
the run is searched for the citizens' full names, ID numbers and phone numbers in clear."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest

from hall_protocol.identity import is_valid_id_number, mask_name
from hall_runtime.mqtt_client import make_client, payload_bytes
from onevisit.demo_actors import DEMO_NAMES, DEMO_PHONES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ID_SHAPE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")


def leaks(data: bytes) -> list[str]:
    found = [f"phone {p[:3]}…" for p in DEMO_PHONES if p.encode() in data]
    found += [f"name {n[0]}…" for n in DEMO_NAMES if n.encode() in data]
    found += ["an ID number" for m in ID_SHAPE.findall(data) if is_valid_id_number(m.decode())]
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    assert leaks(f"to {DEMO_PHONES[0]} for {DEMO_NAMES[2]} 11010519491231002X".encode()) == [
        "phone 139…", "name 欧…", "an ID number"]
    assert leaks("139****0001 欧阳** 110***********002X".encode()) == []


async def test_no_full_name_id_or_phone_in_any_topic_log_or_database(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "onevisit", "demo", "--headless", "--duration", "20", "--rate", "60",
        "--workdir", str(workdir), cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    output: list[str] = []
    port = 0
    async with asyncio.timeout(60):
        while not port:
            line = (await proc.stdout.readline()).decode()
            assert line, "the demo ended before its broker was up:\n" + "".join(output)
            output.append(line)
            if m := re.search(r"broker 127\.0\.0\.1:(\d+)", line):
                port = int(m.group(1))
    messages: list[tuple[str, bytes]] = []

    async def listen() -> None:
        async with make_client("127.0.0.1", port, identifier="privacy-scan", clean_start=True) as client:
            await client.subscribe("ov/#", qos=1)
            async for message in client.messages:
                messages.append((str(message.topic), payload_bytes(message)))

    listener = asyncio.create_task(listen())
    rest = await asyncio.wait_for(proc.stdout.read(), 120)
    await proc.wait()
    listener.cancel()
    output.append(rest.decode())
    summary = json.loads(output[-1].strip().splitlines()[-1])
    assert summary["errors"] == 0, "".join(output)
    assert summary["messages"] > 0  # citizens did give numbers, and calls were messaged

    topics = {t.split("/")[3] for t, _ in messages}
    assert {"device", "hall", "events"} <= topics  # requests, replies, hall state and calls were all seen
    assert any(b"notify_sealed" in p for _, p in messages)  # numbers went over MQTT, sealed
    masked = [mask_name(n).encode() for n in DEMO_NAMES]
    assert any(m in p for m in masked for _, p in messages)  # masked names did travel, to the screens
    problems = [f"topic {t}: {leak}" for t, p in messages for leak in leaks(p)]
    files = await asyncio.to_thread(lambda: {f: f.read_bytes() for f in workdir.rglob("*") if f.is_file()})
    assert any(f.suffix == ".db" for f in files)
    assert any(f.suffix == ".log" for f in files)
    problems += [f"{f.relative_to(workdir)}: {leak}" for f, data in files.items() for leak in leaks(data)]
    assert problems == []
