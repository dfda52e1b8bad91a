"""``python -m kiosk``: run a device UI (kiosk, hall screen, window display, evaluator pad or caller keypad).

    python -m kiosk --config /etc/onevisit/kiosk.toml [--role hall-screen] [--window-id W1]
    python -m kiosk --agent-socket /run/onevisit/agent.sock --configs configs/demo --role kiosk

Without ``--config``, the kiosk.toml in ``--configs`` (when there is one) supplies devices, window and speech
settings; the command line's socket and role win. SIGTERM closes the window and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from hall_protocol.config_files import ConfigError
from hall_runtime.systemd_notify import SystemdNotifier, Watchdog, watchdog_interval
from kiosk.config import ROLES, KioskConfig, check_role, load_kiosk_config

if TYPE_CHECKING:
    from kiosk.apps.base import OneVisitApp

log = logging.getLogger("kiosk")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kiosk", description="Run a OneVisit device UI.")
    p.add_argument("--config", help="kiosk.toml")
    p.add_argument("--configs", help="configuration folder with hall.toml, catalog.toml, guides/ (and kiosk.toml)")
    p.add_argument("--agent-socket", help="the edge agent's local socket")
    p.add_argument("--role", choices=ROLES, help="override the configured role")
    p.add_argument("--window-id", help="window display / evaluator / caller keypad: the window it stands at")
    p.add_argument("--device-id", help="override the configured device id")
    p.add_argument("--width", type=int, help="window width in pixels")
    p.add_argument("--height", type=int, help="window height in pixels")
    p.add_argument("--scripted", action="store_true", help="not supported by the UI; see `onevisit demo --headless`")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def resolve_config(args: argparse.Namespace) -> tuple[KioskConfig, Path]:
    """The effective configuration and the folder its relative paths are resolved against."""
    if args.config:
        path = Path(args.config)
        config = load_kiosk_config(path)
        base = path.resolve().parent
    elif args.configs:
        folder = Path(args.configs).resolve()
        file = folder / "kiosk.toml"
        config = load_kiosk_config(file) if file.is_file() else KioskConfig(device_id=f"{args.role or 'kiosk'}-ui")
        config = msgspec.structs.replace(config, configs_dir=str(folder))
        base = folder
    else:
        raise SystemExit("give --config kiosk.toml, or --configs FOLDER (with --agent-socket)")
    changes: dict[str, object] = {}
    if args.agent_socket:
        changes["agent_socket"] = args.agent_socket
    if args.role:
        changes["role"] = args.role
        if not args.device_id and not args.config:
            changes["device_id"] = f"{args.role}-ui"
    if args.window_id:
        changes["window_id"] = args.window_id
    if args.device_id:
        changes["device_id"] = args.device_id
    if args.width or args.height:
        changes["window"] = msgspec.structs.replace(config.window, width=args.width or config.window.width,
                                                    height=args.height or config.window.height)
    if changes:
        config = msgspec.structs.replace(config, **changes)
    check_role(config.role, config.window_id)
    return config, base


async def notify_systemd(app: OneVisitApp) -> None:
    """Under systemd (``Type=notify``): READY=1 once the first frame is on the screen, then WATCHDOG=1 for as
    long as Kivy's clock keeps ticking, so a frozen UI is restarted. Outside systemd it returns at once."""
    notifier = SystemdNotifier.from_env()
    if not notifier.enabled:
        return
    from kivy.clock import Clock
    from kivy.core.window import Window

    beat = time.monotonic()
    shown = asyncio.Event()

    def tick(_dt: float) -> None:
        nonlocal beat
        beat = time.monotonic()

    def flipped(*_args: object) -> None:
        shown.set()

    ticking = Clock.schedule_interval(tick, 1.0)
    Window.bind(on_flip=flipped)
    try:
        if getattr(app, "first_frame_s", None) is None:
            await shown.wait()
        Window.unbind(on_flip=flipped)
        notifier.ready(f"{type(app).__name__} shows its first frame")
        stale_after = max(5.0, (watchdog_interval() or 0.0) / 2)
        watchdog = Watchdog.from_env(notifier, lambda: time.monotonic() - beat < stale_after)
        if watchdog is not None:
            await watchdog.run()
    finally:
        ticking.cancel()
        Window.unbind(on_flip=flipped)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.scripted:
        print("--scripted is not a UI mode; run `onevisit demo --headless` for scripted citizens", file=sys.stderr)
        return 2
    try:
        config, base = resolve_config(args)
    except ConfigError as err:
        for problem in err.problems:
            print(f"配置错误 / config error: {problem}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"配置错误 / config error: {err}", file=sys.stderr)
        return 2
    if config.role == "window-terminal":  # the caller keypad has no screen: no Kivy
        from kiosk.caller_terminal import run_caller_terminal

        return asyncio.run(run_caller_terminal(config, base))
    from kiosk.apps.env import prepare_kivy

    prepare_kivy(config.window)
    from kiosk.apps.runtime import run

    return asyncio.run(run(config, base, started_at=started, extra=notify_systemd))


if __name__ == "__main__":
    sys.exit(main())
