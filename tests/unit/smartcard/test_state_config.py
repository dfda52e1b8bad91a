"""Reader snapshots → events, health rules, and the strict driver config."""

from __future__ import annotations

import pytest

from drivers.health import HealthState
from drivers.smartcard.config import CardReaderConfig, PcscConfig, SimConfig
from drivers.smartcard.events import CardInserted, CardRemoved, ReaderAdded, ReaderRemoved
from drivers.smartcard.state import ReaderTracker, Slot, assess_health
from hall_protocol.config_files import ConfigError, ConfigStruct, convert

A = b"\x3b\x00"
B = b"\x3b\x01\x42"


def test_tracker_sequence() -> None:
    t = ReaderTracker()
    assert t.update({"r0": Slot()}) == [ReaderAdded("r0")]
    assert t.update({"r0": Slot(atr=A)}) == [CardInserted("r0", A)]
    assert t.update({"r0": Slot(atr=A)}) == []
    assert t.update({"r0": Slot(atr=B)}) == [CardRemoved("r0"), CardInserted("r0", B)]
    assert t.replay() == [ReaderAdded("r0"), CardInserted("r0", B)]
    assert t.update({"r0": Slot(atr=B), "r1": Slot(atr=A)}) == [ReaderAdded("r1"), CardInserted("r1", A)]
    assert t.update({}) == [CardRemoved("r0"), ReaderRemoved("r0"), CardRemoved("r1"), ReaderRemoved("r1")]


def test_mute_card_is_not_an_inserted_card() -> None:
    t = ReaderTracker()
    assert t.update({"r0": Slot(mute=True)}) == [ReaderAdded("r0")]


@pytest.mark.parametrize(("service", "slots", "state", "reasons"), [
    (False, {"r": Slot(atr=A)}, HealthState.FAULT, ("pcscd-unavailable",)),
    (True, {}, HealthState.ABSENT, ("reader-absent",)),
    (True, {"r": Slot(mute=True)}, HealthState.DEGRADED, ("card-mute",)),
    (True, {"r": Slot()}, HealthState.OK, ()),
    (True, {"r": Slot(atr=A)}, HealthState.OK, ()),
])
def test_health_rules(service: bool, slots: dict[str, Slot], state: HealthState, reasons: tuple[str, ...]) -> None:
    health = assess_health(service_up=service, slots=slots)
    assert health.state is state
    assert health.reasons == reasons


class Kiosk(ConfigStruct, frozen=True):
    """How a device config embeds the reader section."""

    card_reader: CardReaderConfig


def load(raw: dict[str, object]) -> CardReaderConfig:
    return convert({"card_reader": raw}, Kiosk, source="kiosk.toml").card_reader


def test_config_picks_driver_by_tag() -> None:
    assert load({"driver": "pcsc", "reader_filter": "ACS"}) == PcscConfig(reader_filter="ACS")
    assert load({"driver": "sim", "demo_card": True}) == SimConfig(demo_card=True)


@pytest.mark.parametrize(("raw", "field"), [
    ({"driver": "pcsc", "pol_interval_s": 1}, "pol_interval_s"),
    ({"driver": "usb"}, "driver"),
    ({"driver": "pcsc", "poll_interval_s": "fast"}, "poll_interval_s"),
])
def test_config_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(raw)
    assert info.value.problems[0].field == f"card_reader.{field}"
    assert info.value.problems[0].file == "kiosk.toml"


@pytest.mark.parametrize("raw", [
    {"driver": "pcsc", "poll_interval_s": 0},
    {"driver": "pcsc", "reconnect_initial_s": 2, "reconnect_max_s": 1},
    {"driver": "sim", "reader_name": ""},
    {"driver": "sim", "apdu_delay_s": -1},
])
def test_config_cross_field_rules(raw: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load(raw)
