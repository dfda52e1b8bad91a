"""What a card reader reports: readers coming and going, cards inserted and removed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderAdded:
    reader: str


@dataclass(frozen=True)
class ReaderRemoved:
    reader: str


@dataclass(frozen=True)
class CardInserted:
    reader: str
    atr: bytes  # raw answer-to-reset; parse with drivers.smartcard.atr.parse_atr


@dataclass(frozen=True)
class CardRemoved:
    reader: str


CardEvent = ReaderAdded | ReaderRemoved | CardInserted | CardRemoved
