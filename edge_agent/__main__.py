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
from edge_agent.config import AgentConfig, load_agent_config
from hall_protocol.config_files import ConfigError


async def serve(config: AgentConfig, config_path: str) -> None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    # SIGINT (Ctrl-C in a terminal) takes the same clean path as systemd's SIGTERM
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        agent = await Agent.open(config, config_path=config_path)
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
    asyncio.run(serve(config, args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
