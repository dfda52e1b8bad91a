"""Resident ID card reader (GA 467 SAM protocol over serial / USB-CDC): codec, driver, simulator, emulator."""

from drivers.idcard.config import Ga467SerialConfig, IdReaderConfig, IdReaderSimConfig
from drivers.idcard.driver import Ga467Reader, Timing
from drivers.idcard.emulator import CardImage, Ga467Emulator, SamState, sample_card
from drivers.idcard.factory import open_id_reader
from drivers.idcard.interface import IdReader
from drivers.idcard.record import IdentityRecord
from drivers.idcard.sim import IdReaderSim
from drivers.idcard.wlt import WltDecoder, decode_photo

__all__ = [
    "CardImage",
    "Ga467Emulator",
    "Ga467Reader",
    "Ga467SerialConfig",
    "IdReader",
    "IdReaderConfig",
    "IdReaderSim",
    "IdReaderSimConfig",
    "IdentityRecord",
    "SamState",
    "Timing",
    "WltDecoder",
    "decode_photo",
    "open_id_reader",
    "sample_card",
]
