"""Wiring: one function per role builds its App with the agent client, the devices and the speaker;
``run`` runs the App on asyncio (Kivy's ``async_run``) beside the background tasks until SIGTERM.

Kivy is imported here only inside functions, after ``prepare_kivy`` has set the window up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hall_protocol.hall import HallState
from hall_protocol.hall_config import HallConfig, load_hall_config
from hall_protocol.local import Subscribe
from kiosk.agent_client import AgentClient
from kiosk.config import KioskConfig
from kiosk.i18n import LANGS, Lang
from kiosk.speech import Speaker

if TYPE_CHECKING:
    from kiosk.apps.base import OneVisitApp

log = logging.getLogger(__name__)

KIOSK_DEVICES = ("id_reader", "card_reader", "receipt_printer", "document_printer", "camera")
WINDOW_DEVICES = ("led_display",)
EVALUATOR_DEVICES = ("keypad",)

Extra = Callable[["OneVisitApp"], Coroutine[Any, Any, None]]


@dataclass
class Built:
    app: OneVisitApp
    background: list[Coroutine[Any, Any, None]] = field(default_factory=list)
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)


def _hall(config: KioskConfig, base: Path) -> tuple[Path, HallConfig]:
    configs = config.configs_path(base)
    return configs, load_hall_config(configs / "hall.toml")


def build(config: KioskConfig, base: Path, *, started_at: float, use_player: bool = True) -> Built:
    """The App for ``config.role`` and the coroutines that must run beside it."""
    builders = {"kiosk": _build_kiosk, "hall-screen": _build_hall_screen,
                "window-display": _build_window_display, "evaluator": _build_evaluator}
    return builders[config.role](config, base, started_at, use_player)


def _build_kiosk(config: KioskConfig, base: Path, started_at: float, use_player: bool) -> Built:
    from kiosk.apps.devices import DeviceCallbacks, DeviceHub, SimEidVerifier
    from kiosk.apps.kiosk.app import KioskApp
    from kiosk.catalog import load_catalog
    from kiosk.documents import SimulatedDocumentService
    from kiosk.guide import load_guides
    from kiosk.viewmodels.context import KioskContext
    from kiosk.viewmodels.idle import IdleTimer
    from kiosk.viewmodels.kiosk import KioskViewModel

    configs, hall = _hall(config, base)
    guides = load_guides(configs / "guides") if (configs / "guides").is_dir() else {}
    catalog = load_catalog(configs / "catalog.toml", hall, guides=set(guides))
    agent = AgentClient(config.agent_socket, subscribe=Subscribe(hall_state=True))
    hub = DeviceHub(config.devices, use=KIOSK_DEVICES, callbacks=DeviceCallbacks())
    ctx = KioskContext(
        hall=hall, client=agent, device_id=config.device_id, printer=hub.printer,
        documents=SimulatedDocumentService() if config.document_service == "sim" else None,
        verifier=SimEidVerifier() if config.eid_verifier == "sim" else None, lang=config.language,
    )
    vm = KioskViewModel(ctx, catalog, guides, idle=IdleTimer(config.idle.timeout_s, config.idle.warning_s))
    speaker = Speaker(config.speech, use_player=use_player)
    app = KioskApp(vm, hub=hub, agent=agent, speaker=speaker, started_at=started_at, model=config.model)
    hub.callbacks = DeviceCallbacks(on_card=app.on_card, on_card_error=app.on_card_error, on_qr=app.on_qr,
                                    on_health=app.on_health)

    def on_event(event: object) -> None:
        if isinstance(event, HallState):
            vm.set_hall_state(event)

    agent.on_state = app.on_link
    agent.on_event = on_event
    prompts = [(vm.attract.prompt.render(lang), lang) for lang in LANGS]
    return Built(app, [agent.run(), hub.run(), _prerender(speaker, prompts)], [speaker.aclose])


async def _prerender(speaker: Speaker, prompts: list[tuple[str, Lang]]) -> None:
    """The fixed prompts, rendered in the background once the screen is up: the first press is instant."""
    await asyncio.sleep(2.0)
    with contextlib.suppress(Exception):
        await speaker.prerender(prompts)


def _build_hall_screen(config: KioskConfig, base: Path, started_at: float, use_player: bool) -> Built:
    from kiosk.apps.hall_screen.app import HallScreenApp
    from kiosk.apps.hall_screen.board import HallBoard

    _configs, hall = _hall(config, base)
    board = HallBoard(hall, zone=config.zone)
    zones = (config.zone,) if config.zone else tuple(z.id for z in hall.zones)
    agent = AgentClient(config.agent_socket, subscribe=Subscribe(zones=zones, calls=True, hall_state=True))
    if not config.announce.enabled:
        app = HallScreenApp(board, started_at=started_at)
        background, cleanup = [agent.run()], []
    else:
        from kiosk.announce import Announcer

        speaker = Speaker(config.speech, use_player=use_player)
        announcer = Announcer(speaker, config.announce)
        app = HallScreenApp(board, announcer=announcer, speaker=speaker, started_at=started_at)
        background, cleanup = [agent.run(), announcer.run()], [speaker.aclose]
    app.agent = agent
    agent.on_state = app.on_link
    agent.on_event = app.on_hall_event
    return Built(app, background, cleanup)


def _build_window_display(config: KioskConfig, base: Path, started_at: float, use_player: bool) -> Built:
    from kiosk.apps.devices import DeviceCallbacks, DeviceHub
    from kiosk.apps.window_display.app import WindowDisplayApp
    from kiosk.apps.window_display.board import WindowBoard

    _configs, hall = _hall(config, base)
    assert config.window_id is not None
    board = WindowBoard(hall, config.window_id)
    # its zone's display state is what its broker account may read (notices, and news that the hall is alive)
    agent = AgentClient(config.agent_socket, subscribe=Subscribe(zones=(board.zone,), calls=True, tickets=True,
                                                                 hall_state=True))
    hub = DeviceHub(config.devices, use=WINDOW_DEVICES, callbacks=DeviceCallbacks())
    app = WindowDisplayApp(board, hub=hub, hall_name=hall.hall.name_zh, started_at=started_at)
    app.agent = agent
    agent.on_state = app.on_link
    agent.on_event = app.on_hall_event
    return Built(app, [agent.run(), hub.run()])


def _build_evaluator(config: KioskConfig, base: Path, started_at: float, use_player: bool) -> Built:
    from kiosk.apps.devices import DeviceCallbacks, DeviceHub
    from kiosk.apps.evaluator.app import EvaluatorApp
    from kiosk.apps.evaluator.board import EvaluatorBoard
    from kiosk.viewmodels.context import KioskContext
    from kiosk.viewmodels.rating import RatingViewModel

    _configs, hall = _hall(config, base)
    assert config.window_id is not None
    agent = AgentClient(config.agent_socket, subscribe=Subscribe(tickets=True))
    ctx = KioskContext(hall=hall, client=agent, device_id=config.device_id, lang=config.language)
    board = EvaluatorBoard(RatingViewModel(ctx), config.window_id)
    hub = DeviceHub(config.devices, use=EVALUATOR_DEVICES, callbacks=DeviceCallbacks())
    speaker = Speaker(config.speech, use_player=use_player)
    app = EvaluatorApp(board, hub=hub, speaker=speaker, hall_name=ctx.hall_name, started_at=started_at)
    hub.callbacks = DeviceCallbacks(on_key=app.on_key)
    app.agent = agent
    agent.on_state = app.on_link
    agent.on_event = app.on_hall_event
    return Built(app, [agent.run(), hub.run()], [speaker.aclose])


async def run(config: KioskConfig, base: Path, *, started_at: float | None = None, extra: Extra | None = None,
              use_player: bool = True) -> int:
    """Run the role's App until it stops (SIGTERM / SIGINT stop it cleanly). ``prepare_kivy`` must have run."""
    from kiosk.apps.env import register_fonts

    begun = started_at if started_at is not None else time.monotonic()
    register_fonts()
    built = build(config, base, started_at=begun, use_player=use_player)
    app = built.app
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, app.stop)
    coros = list(built.background)
    if extra is not None:
        coros.append(extra(app))
    tasks = [loop.create_task(_logged(c), name=f"background-{n}") for n, c in enumerate(coros)]
    try:
        await app.async_run(async_lib="asyncio")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.idle_tasks()
        for close in built.closers:
            with contextlib.suppress(Exception):
                await close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("%s UI stopped", config.role)
    return 0


async def _logged(coro: Coroutine[Any, Any, None]) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:  # a background part failing must not take the screen down with it
        log.exception("background task failed")
