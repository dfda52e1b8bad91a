"""``open_card_reader(config)``: the one place where a config picks the card reader implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from drivers.smartcard.config import CardReaderConfig, PcscConfig, SimConfig
from drivers.smartcard.interface import CardReader


@asynccontextmanager
async def open_card_reader(config: CardReaderConfig) -> AsyncIterator[CardReader]:
    """``async with open_card_reader(cfg) as reader:`` — started on entry, threads stopped on exit."""
    if isinstance(config, PcscConfig):
        from drivers.smartcard.pcsc import PcscCardReader  # pyscard only where the real driver is used

        async with PcscCardReader(config) as pcsc:
            yield pcsc
    elif isinstance(config, SimConfig):
        from drivers.smartcard.sim import SimCardReader

        sim = SimCardReader(config).start()
        try:
            yield sim
        finally:
            await sim.aclose()
    else:  # pragma: no cover - the config union is closed
        raise TypeError(f"unknown card reader config {type(config).__name__}")
