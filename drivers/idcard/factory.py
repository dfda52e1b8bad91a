"""``open_id_reader(config)``: the one place where configuration picks a reader implementation."""

from __future__ import annotations

from functools import partial

from drivers.byte_link import SerialLink
from drivers.idcard.config import Ga467SerialConfig, IdReaderConfig, IdReaderSimConfig
from drivers.idcard.driver import Ga467Reader, Timing
from drivers.idcard.emulator import Ga467Emulator, sample_card
from drivers.idcard.interface import IdReader
from drivers.idcard.sim import IdReaderSim


def open_id_reader(config: IdReaderConfig) -> IdReader:
    """Builds the reader; the port is opened at first use, so a missing reader shows in ``health()``."""
    timing = Timing(config.response_timeout_s, config.read_timeout_s, config.inter_byte_timeout_s)
    if isinstance(config, Ga467SerialConfig):
        return Ga467Reader(
            partial(SerialLink, config.port, config.baudrate),
            timing=timing,
            with_fingerprint=config.with_fingerprint,
            retries=config.retries,
            name=f"id-reader {config.port}",
        )
    assert isinstance(config, IdReaderSimConfig)
    emulator = Ga467Emulator(
        card=sample_card() if config.card_present else None, delay_s=config.response_delay_s
    )
    return IdReaderSim(emulator, timing=timing, with_fingerprint=config.with_fingerprint)
