"""``python -m edge_agent --config agent.toml``: runs until SIGTERM (systemd stop), then stops cleanly."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from edge_agent.app import Agent
from edge_agent.config import load_agent_config
from hall_protocol.config_files import ConfigError


async def serve(agent: Agent) -> None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await agent.run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge_agent", description="Run one device's edge agent.")
    parser.add_argument("--config", required=True, help="agent.toml")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    try:
        config = load_agent_config(args.config)
    except ConfigError as err:
        print(f"configuration error:\n{err}", file=sys.stderr)
        return 2
    asyncio.run(serve(Agent(config, config_path=args.config)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
