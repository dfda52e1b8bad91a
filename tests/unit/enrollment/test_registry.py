from __future__ import annotations

from pathlib import Path

import pytest

from hall_controller.enrollment.errors import CodeExpired, CodeInvalid, CodeUsed, IllegalTransition, SlotNotFound
from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_controller.enrollment.registry import DeviceRegistry, hash_secret
from hall_protocol.devices import Role

T0 = 1_750_000_000.0


@pytest.fixture
def reg(tmp_path: Path) -> DeviceRegistry:
    return DeviceRegistry(tmp_path / "hall.db")


def test_slot_ids_per_role_and_zone(reg: DeviceRegistry) -> None:
    ids = [reg.create_slot(Role.KIOSK, "A", "k", T0).device_id for _ in range(3)]
    assert ids == ["kiosk-A-01", "kiosk-A-02", "kiosk-A-03"]
    assert reg.create_slot(Role.KIOSK, "B", "k", T0).device_id == "kiosk-B-01"
    assert reg.create_slot(Role.WINDOW_TERMINAL, "A", "t", T0, "W1").device_id == "term-A-01"
    rec = reg.get("kiosk-A-02")
    assert rec.status is DeviceStatus.PENDING
    assert rec.role is Role.KIOSK
    assert rec.created_at == T0


@pytest.mark.parametrize(("zone", "name"), [("A/B", "x"), ("A+", "x"), ("", "x"), ("A", ""), ("A", "x" * 101)])
def test_bad_slot_input(reg: DeviceRegistry, zone: str, name: str) -> None:
    with pytest.raises(ValueError):
        reg.create_slot(Role.KIOSK, zone, name, T0)


def test_code_single_use_and_expiry(reg: DeviceRegistry) -> None:
    d = reg.create_slot(Role.KIOSK, "A", "k", T0).device_id
    h = hash_secret("SECRET000001")
    assert reg.add_code(d, h, T0, 900) == T0 + 900
    assert reg.check_code(h, T0 + 899).device_id == d
    assert reg.get(d, T0 + 10).code_expires_at == T0 + 900
    with pytest.raises(CodeExpired):
        reg.check_code(h, T0 + 900)
    assert reg.consume_code(h, T0 + 1).device_id == d
    with pytest.raises(CodeUsed):
        reg.consume_code(h, T0 + 2)
    with pytest.raises(CodeUsed):
        reg.check_code(h, T0 + 2)
    with pytest.raises(CodeInvalid):
        reg.check_code(hash_secret("SECRET000002"), T0)


def test_a_released_code_can_be_used_again(reg: DeviceRegistry) -> None:
    d = reg.create_slot(Role.KIOSK, "A", "k", T0).device_id
    h = hash_secret("S1")
    reg.add_code(d, h, T0, 900)
    reg.consume_code(h, T0)
    reg.release_code(h)
    assert reg.consume_code(h, T0 + 1).device_id == d


def test_a_new_code_cancels_the_older_one(reg: DeviceRegistry) -> None:
    d = reg.create_slot(Role.KIOSK, "A", "k", T0).device_id
    reg.add_code(d, hash_secret("OLD"), T0, 900)
    reg.add_code(d, hash_secret("NEW"), T0 + 1, 900)
    with pytest.raises(CodeInvalid):
        reg.check_code(hash_secret("OLD"), T0 + 2)
    assert reg.check_code(hash_secret("NEW"), T0 + 2).device_id == d


def test_only_the_hash_is_stored(reg: DeviceRegistry) -> None:
    d = reg.create_slot(Role.KIOSK, "A", "k", T0).device_id
    reg.add_code(d, hash_secret("PLAINSECRET9"), T0, 900)
    for f in reg.path.parent.glob("hall.db*"):
        assert b"PLAINSECRET9" not in f.read_bytes()


def test_enrol_replace_retire_and_revocations(reg: DeviceRegistry) -> None:
    d = reg.create_slot(Role.KIOSK, "A", "k", T0).device_id
    assert reg.record_enrolment(d, "aa01", T0 + 365 * 86400, T0) is None
    assert reg.record_presence(d, True, T0 + 1).status is DeviceStatus.ONLINE
    reg.record_selftest(d, True, "ok", T0 + 2)
    assert reg.get(d).ready
    old = reg.record_enrolment(d, "bb02", T0 + 400 * 86400, T0 + 3)  # a replacement
    assert old is not None
    assert old.serial == "aa01"
    rec = reg.get(d)
    assert rec.status is DeviceStatus.PROVISIONED
    assert rec.cert_serial == "bb02"
    assert rec.selftest_ok is None
    revoked = reg.retire(d, T0 + 4)
    assert revoked is not None
    assert revoked.serial == "bb02"
    assert {r.serial for r in reg.revoked(T0 + 5)} == {"aa01", "bb02"}
    assert reg.revoked(T0 + 500 * 86400) == []  # expired certificates drop off the CRL
    rec = reg.get(d)
    assert rec.status is DeviceStatus.RETIRED
    assert rec.cert_serial == ""
    assert rec.retired_at == T0 + 4
    with pytest.raises(IllegalTransition):
        reg.retire(d, T0 + 6)
    with pytest.raises(IllegalTransition):
        reg.record_presence(d, True, T0 + 6)  # a late birth of a retired device changes nothing
    with pytest.raises(IllegalTransition):
        reg.record_selftest(d, True, "ok", T0 + 6)


def test_retire_cancels_outstanding_codes_and_a_retired_slot_can_be_replaced(reg: DeviceRegistry) -> None:
    d = reg.create_slot(Role.KIOSK, "A", "k", T0).device_id
    reg.add_code(d, hash_secret("C1"), T0, 900)
    reg.retire(d, T0 + 1)
    with pytest.raises(CodeInvalid):
        reg.check_code(hash_secret("C1"), T0 + 2)
    reg.add_code(d, hash_secret("C2"), T0 + 3, 900)
    assert reg.get(d).status is DeviceStatus.PENDING
    assert reg.check_code(hash_secret("C2"), T0 + 4).device_id == d


def test_unknown_device(reg: DeviceRegistry) -> None:
    with pytest.raises(SlotNotFound):
        reg.get("nope")
    with pytest.raises(SlotNotFound):
        reg.add_code("nope", "h", T0, 900)


def test_two_registries_on_one_file_see_the_same_devices(tmp_path: Path) -> None:
    a, b = DeviceRegistry(tmp_path / "hall.db"), DeviceRegistry(tmp_path / "hall.db")
    d = a.create_slot(Role.EVALUATOR, "C", "e", T0, "W3").device_id
    assert [r.device_id for r in b.devices()] == [d]
