"""Runs a real device UI in this process with a control socket, so a test in another process can drive it.

    python -m tests.e2e.kiosk_ui.harness --control /tmp/x.sock -- --config configs/demo/kiosk.toml ...

Each control request is one JSON line ``{"op": ..., ...}``; the answer is ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}``. Touches go through ``tests.e2e.kiosk_ui.driving`` (Kivy's input path); devices are
the configured simulators, reached through the app's DeviceHub exactly as their drivers' events would be.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("harness")


def _state(app: Any) -> dict[str, Any]:
    from kivy.core.window import Window

    from tests.e2e.kiosk_ui import driving

    out: dict[str, Any] = {
        "connected": app.connected,
        "online": app.online,
        "renders": app.renders,
        "failed_tasks": app.failed_tasks,
        "first_frame_s": app.first_frame_s,
        "ids": driving.ids_on_screen(),
        "texts": driving.texts_on_screen(),
        "window": [Window.width, Window.height],
        "agent_connects": app.agent.connects if app.agent is not None else 0,
    }
    vm = getattr(app, "vm", None)
    if vm is not None:
        ticket = vm.ticket.ticket
        notice = vm.faults.notice
        hub = app.hub
        printer = hub.printer if hub is not None else None
        out.update({
            "screen": vm.screen.value,
            "lang": vm.lang,
            "elder": vm.elder,
            "idle_phase": vm.idle_status.phase.value,
            "idle_left": vm.idle_status.seconds_left,
            "identified": vm.ctx.session.identified,
            "session_empty": vm.ctx.session.empty,
            "ticket_phase": vm.ticket.phase.value,
            "ticket_number": ticket.number if ticket else None,
            "ticket_provisional": ticket.provisional if ticket else None,
            "fault": notice.kind.value if notice else None,
            "wipes": [{"reason": w.reason, "had_identity": w.had_identity, "inputs_cleared": w.inputs_cleared,
                       "temp_files_removed": w.temp_files_removed} for w in app.wipes],
            "receipts_printed": printer.receipts_printed if printer else 0,
            "health": {name: list(h.reasons) for name, h in hub.health.items()} if hub is not None else {},
            "documents_printed": printer.documents_printed if printer else 0,
            "scanning": hub.scanning if hub is not None else False,
            "rating_phase": vm.rating.phase.value,
            "guide_done": vm.guide.done,
            "selfprint_phase": vm.selfprint.phase.value,
            "progress_phase": vm.progress.phase.value,
            "body_sp": app.sizes["body"],
            "target_dp": app.target_dp,
        })
    board = getattr(app, "board", None)
    if board is not None and hasattr(board, "rating"):
        out["rating_phase"] = board.rating.phase.value
    if board is not None and hasattr(board, "calls"):
        out["calls"] = [c.number for c in board.calls]
        out["queues"] = {q.code: q.waiting for q in board.queues}
    announcer = getattr(app, "announcer", None)
    if announcer is not None:  # a hall screen that says calls aloud: what it has said, and the sound files
        out["announced"] = list(announcer.said)
        out["sound_files"] = sorted(p.name for p in app.speaker.folder.rglob("*.wav"))
    if board is not None and hasattr(board, "phase"):
        out["window_phase"] = board.phase.value
        out["window_number"] = board.number
    return out


async def _handle(app: Any, req: dict[str, Any]) -> Any:
    from tests.e2e.kiosk_ui import driving

    op = req["op"]
    if op == "ping":
        return "pong"
    if op == "state":
        return _state(app)
    if op == "tap":
        await driving.tap(req["id"])
        return _state(app)
    if op == "settle":
        await driving.settle(int(req.get("frames", 2)))
        await app.idle_tasks()
        await driving.settle(1)
        return _state(app)
    if op == "screenshot":
        await driving.settle(2)
        return str(await driving.screenshot(Path(req["path"])))
    if op == "advance":
        app.clock_offset += float(req["seconds"])
        if hasattr(app, "tick"):
            app.tick()
        await driving.settle(2)
        return _state(app)
    if op == "freeze_wall":
        frozen = float(req["at"])
        app.wall_clock = lambda: frozen
        return True
    if op == "place_card":
        import datetime as dt

        from drivers.idcard import sample_card

        number = req["id_number"]
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        app.hub.id_reader.place(sample_card(name=req["name"], id_number=number, birth_date=born))
        return True
    if op == "remove_card":
        reader = app.hub.id_reader
        if reader.emulator.card is not None:
            reader.remove()
            await asyncio.sleep(1.2)  # let the reader's poll see the empty reader, as a lifted card would be
        return True
    if op == "qr":
        app.on_qr(req["text"])
        await app.idle_tasks()
        await driving.settle(2)
        return _state(app)
    if op == "eid_issue":
        verifier = app.vm.ctx.verifier
        return verifier.issue(req["name"], req["id_number"])
    if op == "paper_out":
        app.hub.printer.receipt.emulator.faults.paper_out = bool(req.get("on", True))
        return True
    if op == "check_health":  # now, not at whichever moment of a test the 15-s round comes
        await app.hub.check_health()
        await driving.settle(2)
        return _state(app)
    if op == "key":
        app.on_key(int(req["key"]))
        await app.idle_tasks()
        await driving.settle(2)
        return _state(app)
    if op == "speak":
        app.speak()
        task = app.speaker._current
        utterance = await task if task is not None else None
        if utterance is None:
            return None
        return {"wav": str(utterance.wav), "bytes": utterance.wav.stat().st_size, "text": utterance.text,
                "played": utterance.played, "lang": utterance.lang}
    if op == "last_speech":  # what the last press of 朗读 said (None when nothing was started)
        task = app.speaker._current
        utterance = await task if task is not None else None
        return utterance.text if utterance is not None else None
    if op == "speech_files":
        return [str(p) for p in app.speaker.files()]
    if op == "home":
        vm = app.vm
        vm.faults.clear()
        app.qr_payload = None
        if vm.screen.value != "attract" or vm.elder or vm.lang != "zh":
            app.go_home()
        await driving.settle(2)
        return _state(app)
    if op == "type_id":  # the keypad's keys, pressed through the view-model (tests of other things)
        for ch in req["digits"]:
            app.vm.identify.press(ch)
        app.render()
        await driving.settle(1)
        return _state(app)
    if op == "elder":  # elder mode on or off without a tap (tests that tap other things)
        app.vm.set_elder(bool(req["on"]))
        await driving.settle(1)
        return _state(app)
    if op == "first_slide":  # attract slides rotate with time: pin the first one for a screenshot
        vm = app.vm
        now = app.now()
        app.clock_offset -= now % (vm.attract.slide_s * len(vm.attract.slides))
        app.tick()
        await driving.settle(2)
        return vm.attract.index
    if op == "geometry":  # every ov_id's box on the screen, for tests.e2e.kiosk_ui.layout_check
        from tests.e2e.kiosk_ui.layout_check import collect

        return collect()
    if op == "probe":
        w = driving.find(req["id"])
        x, y = w.to_window(*w.center)
        return {"center": [x, y], "pos": list(w.pos), "size": list(w.size),
                "parents": [f"{type(p).__name__}{list(getattr(p, 'pos', ()))}{list(p.size)}" for p in _parents(w)]}
    if op == "tapdebug":
        from kivy.base import EventLoop
        w = driving.find(req["id"])
        x, y = w.to_window(*w.center)
        f = driving._Finger(x, y)
        EventLoop.post_dispatch_input("begin", f)
        await driving.frame()
        s1 = w.state
        EventLoop.post_dispatch_input("end", f)
        await driving.frame()
        s2 = w.state
        await asyncio.sleep(0.5)
        return [s1, s2, w.state, f.grab_list and [str(g()) for g in f.grab_list], list(f.pos), app.vm.screen.value]
    if op == "buttons":
        from kivy.core.window import Window
        from kivy.metrics import dp

        from kiosk.apps.widgets import OvButton, OvLabel

        widgets = [w for r in Window.children for w in driving.walk(r)]
        buttons = [w for w in widgets if isinstance(w, OvButton) and w.get_root_window() is not None]
        labels = [w for w in widgets if isinstance(w, OvLabel) and w.text]
        return {"min_height_dp": min(b.height for b in buttons) / dp(1),
                "max_label_sp": max(w.font_size for w in labels) / dp(1),
                "min_label_sp": min(w.font_size for w in labels) / dp(1), "count": len(buttons)}
    if op == "layout":
        await driving.settle(1)
        return driving.layout()
    if op == "volume":
        return app.speaker.volume
    if op == "objects":  # live objects per type: where memory goes
        import collections
        import gc

        gc.collect()
        objects = gc.get_objects()
        counts = collections.Counter(type(o).__name__ for o in objects)
        out = dict(counts.most_common(60))
        for o in objects:
            if isinstance(o, type):
                key = f"type:{o.__module__}.{o.__qualname__}"
                out[key] = out.get(key, 0) + 1
            elif type(o).__name__ in ("function", "type"):
                key = f"m:{getattr(o, '__qualname__', '?')}"[:120]
                out[key] = out.get(key, 0) + 1
        return out
    if op == "resources":
        return resources(app)
    if op == "session":  # one citizen through the UI: browse, pick a service, ticket printed, home (wipe)
        return await soak_session(app)
    if op == "stop":
        app.stop()
        return True
    raise ValueError(f"unknown op {op!r}")


def resources(app: Any) -> dict[str, Any]:
    import gc

    import psutil
    from kivy.graphics.texture import Texture

    gc.collect()
    proc = psutil.Process()
    printer = app.hub.printer if getattr(app, "hub", None) is not None else None
    return {
        "rss": proc.memory_info().rss,
        "fds": proc.num_fds(),
        "textures": sum(1 for o in gc.get_objects() if isinstance(o, Texture)),
        "speech_files": len(app.speaker.files()) if app.speaker is not None else 0,
        "print_temp_files": len(printer.temp_files()) if printer is not None else 0,
        "threads": proc.num_threads(),
        "app_observers": sum(len(app.get_property_observers(name)) for name in ("colours", "sizes", "lang")),
    }


async def soak_session(app: Any) -> dict[str, float]:
    """Returns each step's transition time: release of the finger → first frame showing the result."""
    from tests.e2e.kiosk_ui import driving

    times: dict[str, float] = {}
    for step, wait_for in (("attract.browse", "finder.group.cards"), ("finder.group.cards", "finder.item.SB-CARD"),
                           ("finder.item.SB-CARD", "ticket.done"), ("ticket.done", "attract.start")):
        began = await driving.tap_timed(step)
        for _ in range(200):
            if driving.find_all(wait_for):
                break
            await driving.frame()
        else:
            raise AssertionError(f"{wait_for} did not appear after {step}")
        times[step] = time.perf_counter() - began
    # the receipt simulator records every printed ticket image for tests (a real printer keeps nothing):
    # drop that record so the soak measures the kiosk's memory, not the simulator's
    receipt = app.hub.printer.receipt if app.hub is not None and app.hub.printer is not None else None
    emulator = getattr(receipt, "emulator", None)
    if emulator is not None:
        from drivers.receipt_printer.emulator import EmulatorLog

        emulator.log = EmulatorLog()
    return times


def _parents(w: Any) -> list[Any]:
    out = []
    while w.parent is not None and w.parent is not w:
        w = w.parent
        out.append(w)
    return out


def control_server(path: str) -> Any:
    async def serve(app: Any) -> None:
        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await serve_client(reader, writer)

        async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():
                try:
                    result = {"ok": True, "result": await _handle(app, json.loads(line))}
                except Exception as err:
                    log.exception("control request failed")
                    result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
                writer.write(json.dumps(result, ensure_ascii=False).encode() + b"\n")
                await writer.drain()
            writer.close()

        while app.root is None:  # noqa: ASYNC110 - the App builds its window first; Kivy offers no awaitable
            await asyncio.sleep(0.02)
        server = await asyncio.start_unix_server(client, path=path, limit=1 << 22)
        try:
            await asyncio.Future()
        finally:
            server.close()

    return serve


def main() -> int:
    started = time.monotonic()
    faulthandler.register(signal.SIGUSR1)  # a hung UI can be asked where it is
    parser = argparse.ArgumentParser()
    parser.add_argument("--control", required=True)
    parser.add_argument("ui_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from kiosk.__main__ import build_parser, resolve_config

    ui_args = [a for a in args.ui_args if a != "--"]
    config, base = resolve_config(build_parser().parse_args(ui_args))
    from kiosk.apps.env import prepare_kivy

    prepare_kivy(config.window, max_fps=int(os.environ.get("ONEVISIT_MAX_FPS", "60")))
    from kiosk.apps.runtime import run

    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(config, base, started_at=started, extra=control_server(args.control),
                               use_player=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
