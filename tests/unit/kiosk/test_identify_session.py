from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_protocol.identity import id_check_digit, is_valid_id_number
from kiosk.i18n import Text
from kiosk.viewmodels.identify import EidInvalid, EidUnavailable, IdentifyMethod, IdentifyViewModel, Keypad
from kiosk.viewmodels.idle import IdlePhase, IdleTimer
from kiosk.viewmodels.session import Identity, IdSource, Session

ZHANG = "210102196503120026"  # fictional, valid check digit


# keypad -----------------------------------------------------------------------------------------------

keys = st.lists(st.sampled_from(["0", "1", "5", "9", "X", "x", "back", "clear", "A", "*"]), max_size=60)


@given(keys)
def test_keypad_never_holds_an_impossible_entry(presses: list[str]) -> None:
    pad = Keypad()
    for k in presses:
        if k == "back":
            pad.backspace()
        elif k == "clear":
            pad.clear()
        else:
            pad.press(k)
        v = pad.value
        assert len(v) <= 18
        assert all(c.isdigit() for c in v[:17])  # X only ever as the 18th character
        assert pad.display.replace(" ", "") == v
    assert pad.valid == (len(pad.value) == 18 and is_valid_id_number(pad.value))


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_keypad_accepts_exactly_the_numbers_whose_check_digit_is_right(first17: str) -> None:
    good = id_check_digit(first17)
    for last in "0123456789X":
        pad = Keypad()
        for c in first17 + last:
            pad.press(c)
        birth_ok = 1 <= int(first17[10:12]) <= 12 and 1 <= int(first17[12:14]) <= 31
        assert pad.valid == (last == good and birth_ok)


def test_keypad_refuses_x_early_and_a_19th_key() -> None:
    pad = Keypad()
    assert not pad.key_enabled("X")
    assert not pad.press("X")
    for c in ZHANG:
        assert pad.press(c)
    assert not pad.press("1")
    assert pad.value == ZHANG


# identify view-model ------------------------------------------------------------------------------------

def test_manual_entry_with_check_digit_and_masked_greeting() -> None:
    session = Session()
    vm = IdentifyViewModel(session)
    vm.choose(IdentifyMethod.MANUAL)
    assert vm.prompt == Text("identify.prompt.manual")
    assert vm.keypad_count == Text("identify.prompt.manual"), "before a key: what to type"
    for c in ZHANG[:-1]:
        vm.press(c)
    assert not vm.submit()
    assert vm.error == Text("identify.error.incomplete")
    vm.press("9")  # wrong check digit
    assert not vm.submit()
    assert vm.error == Text("identify.error.check_digit")
    assert session.identity is None
    vm.backspace()
    vm.press(ZHANG[-1])
    assert vm.keypad_count == Text("identify.keypad.count", count=18)
    assert vm.submit()
    assert session.identity is not None
    assert session.identity.source is IdSource.MANUAL
    assert vm.greeting == Text("identify.greeting_anonymous")  # no name when typed
    assert vm.keypad.value == ""  # the typed number does not stay on the keypad


def test_back_from_a_way_of_identifying_leads_to_the_choice_of_ways() -> None:
    vm = IdentifyViewModel(Session())
    assert not vm.back(), "nothing chosen: back leaves the screen"
    vm.choose(IdentifyMethod.MANUAL)
    for c in ZHANG[:6]:
        vm.press(c)
    assert vm.back()
    assert vm.method is None
    assert vm.keypad.value == "", "the digits typed so far do not stay"
    assert vm.prompt == vm.title


def test_card_greeting_shows_masked_name_only() -> None:
    session = Session()
    vm = IdentifyViewModel(session)
    seen: list[str] = []
    vm.changed.connect(seen.append)
    assert vm.on_card(ZHANG, "张三", IdSource.ID_CARD)
    assert vm.greeting == Text("identify.greeting", name="张*")
    assert vm.greeting.render("zh") == "张*，您好！"
    assert "greeting" in seen
    assert not vm.on_card("210102196503120027", "李四", IdSource.SSC)  # misread: check digit wrong
    assert vm.error == Text("identify.error.card_read")
    assert session.identity is not None
    assert session.identity.name == "张三"


class FakeVerifier:
    def __init__(self) -> None:
        self.fail: Exception | None = None

    async def verify(self, payload: str) -> Identity:
        if self.fail is not None:
            raise self.fail
        return Identity(id_number=ZHANG, name="张三", source=IdSource.ID_CARD)


async def test_eid_qr_paths() -> None:
    verifier = FakeVerifier()
    vm = IdentifyViewModel(Session(), verifier)
    verifier.fail = EidInvalid("expired")
    assert not await vm.on_qr("junk")
    assert vm.error == Text("identify.error.qr_invalid")
    verifier.fail = EidUnavailable("down")
    assert not await vm.on_qr("x")
    assert vm.error == Text("identify.error.verifier_unavailable")
    assert not vm.busy
    verifier.fail = None
    assert await vm.on_qr("ctid:ok")
    assert vm.session.identity is not None
    assert vm.session.identity.source is IdSource.EID_QR
    assert not await IdentifyViewModel(Session()).on_qr("x")  # no verifier configured


def test_methods_can_be_disabled_when_a_device_fails() -> None:
    vm = IdentifyViewModel(Session())
    vm.set_available(IdentifyMethod.ID_CARD, False)
    enabled = {m: on for m, _, on in vm.methods}
    assert not enabled[IdentifyMethod.ID_CARD]
    assert enabled[IdentifyMethod.MANUAL]


# identity and session -----------------------------------------------------------------------------------

def test_identity_repr_and_hash_hide_personal_data() -> None:
    ident = Identity(id_number=ZHANG, name="张三", source=IdSource.ID_CARD)
    for text in (repr(ident), str(ident), f"{ident}"):
        assert ZHANG not in text
        assert "张三" not in text
        assert "张*" in text
        assert "210***********0026" in text


def test_wipe_clears_everything_and_reports_without_personal_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    session = Session(now=100.0)
    old_id = session.session_id
    session.set_identity(Identity(id_number=ZHANG, name="张三", source=IdSource.ID_CARD))
    session.set_photo(b"\xff\xd8 photo bytes")
    session.set_input("phone", "13812345678")
    temp = tmp_path / "scan.png"
    temp.write_bytes(b"x")
    session.add_temp_file(temp)
    session.add_temp_file(tmp_path / "already-gone.pdf")
    session.add_ticket("T-1")
    record = session.wipe("idle", now=160.0)
    assert session.empty
    assert session.identity is None
    assert session.photo is None
    assert session.inputs == {}
    assert not temp.exists()
    assert record.session_id == old_id
    assert session.session_id != old_id
    assert record.had_identity
    assert record.identity_source == "id-card"
    assert record.inputs_cleared == 1
    assert record.photo_cleared
    assert record.temp_files_removed == 2
    assert (record.started_at, record.wiped_at) == (100.0, 160.0)
    for text in (repr(record), caplog.text):
        assert ZHANG not in text
        assert "张三" not in text
        assert "13812345678" not in text
    assert "wiped (idle)" in caplog.text


# idle timer ---------------------------------------------------------------------------------------------

def test_idle_timer_warns_then_expires() -> None:
    timer = IdleTimer(timeout_s=90, warning_s=30)
    assert timer.status(0).phase is IdlePhase.INACTIVE
    timer.start(1000)
    assert timer.status(1059).phase is IdlePhase.ACTIVE
    warn = timer.status(1060)
    assert warn.phase is IdlePhase.WARNING
    assert warn.seconds_left == 30
    assert warn.message == Text("idle.warning", seconds=30)
    assert timer.status(1075.5).seconds_left == 15
    timer.touch(1075.5)  # "continue"
    assert timer.status(1100).phase is IdlePhase.ACTIVE
    assert timer.status(1165.5).phase is IdlePhase.EXPIRED
    timer.touch(1000)  # a late event cannot move the clock back
    assert timer.status(1165.5).phase is IdlePhase.EXPIRED


@given(st.floats(min_value=20, max_value=120), st.floats(min_value=1, max_value=600))
def test_the_warning_always_comes_at_least_20_s_before_reset(warning: float, extra: float) -> None:
    timer = IdleTimer(timeout_s=warning + extra, warning_s=warning)
    timer.start(0)
    t = 0.0
    first_warning = None
    while t <= warning + extra + 1:
        s = timer.status(t)
        if s.phase is IdlePhase.WARNING and first_warning is None:
            first_warning = t
        if s.phase is IdlePhase.EXPIRED:
            assert first_warning is not None
            assert t - first_warning >= 20 - 0.5
            break
        t += 0.5


def test_idle_timer_refuses_a_short_warning() -> None:
    with pytest.raises(ValueError, match="at least 20"):
        IdleTimer(timeout_s=60, warning_s=10)
    with pytest.raises(ValueError, match="longer"):
        IdleTimer(timeout_s=25, warning_s=30)
