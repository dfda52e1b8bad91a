"""Pieces of ``bench.e2e_latency``: the bench hall, the floor's two processes, the background devices."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from edge_agent.session import AgentSession, SessionOptions
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.devices import Role
from hall_protocol.tickets import IssueTicket
from hall_runtime.mqtt_client import correlation_of, make_client, payload_bytes, publish_properties, response_topic_of

FLOOR_REQUEST, FLOOR_REPLY = "bench/floor/req", "bench/floor/reply"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def bench_hall_toml(hall: str, agents: list[str], windows: tuple[str, ...]) -> str:
    services = "".join(
        f'[[services]]\ncode = "S{i}"\nname_zh = "业务{i}"\nname_en = "Service {i}"\nprefix = "{chr(65 + i)}"\n'
        'zone = "A"\ndaily_cap = 9999\nopens = "00:00"\ncloses = "23:59"\nissue_from = "00:00"\n'
        'issue_until = "23:59"\n\n'
        for i in range(2)
    )
    window_text = "".join(
        f'[[windows]]\nid = "{w}"\nname_zh = "{w}号窗口"\nname_en = "Window {w}"\nzone = "A"\ncomprehensive = true\n\n'
        for w in windows
    )
    devices = ""
    for d in agents:
        role = {"kiosk": "kiosk", "screen": "hall-screen", "win": "window-terminal", "disp": "window-display"}[
            d.split("-")[0]]
        window = f'window = "{d.split("-")[1]}"\n' if role in ("window-terminal", "window-display") else ""
        devices += f'[[devices]]\nid = "{d}"\nrole = "{role}"\nzone = "A"\n{window}\n'
    return (f'[hall]\nid = "{hall}"\nname_zh = "基准大厅"\nname_en = "Bench hall"\n\n'
            '[[zones]]\nid = "A"\nname_zh = "A区"\nname_en = "Zone A"\n\n' + services + window_text + devices)


async def floor_main(role: str, port: int, n: int) -> list[float]:
    """``echo``: answer every request on its response topic; ``ask``: ``n`` QoS 1 round trips, one at a time."""
    async with make_client("127.0.0.1", port, identifier=f"floor-{role}", clean_start=True,
                           session_expiry_s=0) as client:
        if role == "echo":
            await client.subscribe(FLOOR_REQUEST, qos=1)
            async for m in client.messages:
                if rt := response_topic_of(m):
                    await client.publish(rt, payload_bytes(m), qos=1,
                                         properties=publish_properties(correlation=correlation_of(m)))
            return []
        await client.subscribe(FLOOR_REPLY, qos=1)
        payload = encode(IssueTicket(request_id=uuid.uuid4().hex, service="S0", source_device="kiosk-0"))
        samples: list[float] = []
        messages = client.messages.__aiter__()
        for _ in range(n + 50):
            corr = uuid.uuid4().bytes
            t = time.perf_counter()
            await client.publish(FLOOR_REQUEST, payload, qos=1,
                                 properties=publish_properties(response_topic=FLOOR_REPLY, correlation=corr))
            while correlation_of(await messages.__anext__()) != corr:
                pass
            samples.append((time.perf_counter() - t) * 1000)
        return samples[50:]  # the first round trips warm the connection up


async def devices_main(hall: str, port: int, n: int, first: int) -> None:
    """``n`` background devices in this process, running the real agent session code until terminated: one in
    ten a hall screen receiving every call, the others kiosks."""
    sessions = []
    for i in range(first, first + n):
        screen = i % 10 == 0
        options = SessionOptions(device_id=f"bg-{i}", hall=hall, role=Role.HALL_SCREEN if screen else Role.KIOSK,
                                 host="127.0.0.1", port=port,
                                 extra_subscriptions=(topics.events_calls(hall),) if screen else ())
        session = AgentSession(options)
        sessions.append(asyncio.create_task(session.run()))
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()
