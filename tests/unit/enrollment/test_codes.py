from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_controller.enrollment.registry import hash_secret
from hall_protocol.enrolment import (
    ALPHABET,
    PIN_SYMBOLS,
    SECRET_SYMBOLS,
    CodeFormatError,
    EnrollmentCode,
    new_secret,
    spki_pin,
)

symbols = st.text(alphabet=ALPHABET, min_size=SECRET_SYMBOLS + PIN_SYMBOLS, max_size=SECRET_SYMBOLS + PIN_SYMBOLS)


def test_a_secret_has_at_least_40_bits_and_codes_differ() -> None:
    assert SECRET_SYMBOLS * 5 >= 40
    secrets = {new_secret() for _ in range(1000)}
    assert len(secrets) == 1000
    assert all(len(s) == SECRET_SYMBOLS and set(s) <= set(ALPHABET) for s in secrets)


def test_shown_in_groups_of_four() -> None:
    code = EnrollmentCode("0123456789AB", "CDEFGHJKMNPQRSTV")
    assert str(code) == "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV"


@given(symbols)
def test_format_and_parse_round_trip(text: str) -> None:
    code = EnrollmentCode(text[:SECRET_SYMBOLS], text[SECRET_SYMBOLS:])
    assert EnrollmentCode.parse(str(code)) == code
    assert EnrollmentCode.parse(str(code).lower().replace("-", " ")) == code


def test_typed_o_i_l_mean_zero_and_one() -> None:
    assert EnrollmentCode.parse("OOOO-IIII-LLLL-oooo-iiii-llll-0000") == EnrollmentCode(
        "000011111111", "0000111111110000"
    )


@given(st.text(max_size=60))
def test_anything_else_is_a_typed_error(text: str) -> None:
    error: CodeFormatError | None = None
    try:
        EnrollmentCode.parse(text)
    except CodeFormatError as err:
        error = err
    if error is not None:
        assert error.message_zh
        assert error.message_en


@pytest.mark.parametrize("bad", ["", "ABCD", "0123-4567-89AB-CDEF-GHJK-MNPQ-RST", "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTU",
                                 "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV-W", "0123-4567-89AB-CDEF-GHJK-MNPQ-RST!"])
def test_wrong_length_or_letters_are_refused(bad: str) -> None:
    with pytest.raises(CodeFormatError):
        EnrollmentCode.parse(bad)


def test_hash_is_stable_and_hides_the_secret() -> None:
    assert hash_secret("0123456789AB") == hash_secret("0123456789AB")
    assert hash_secret("0123456789AB") != hash_secret("0123456789AC")
    assert "0123456789AB" not in hash_secret("0123456789AB")


def test_pin_is_80_bits_of_the_key_hash() -> None:
    assert len(spki_pin(b"key-a")) == PIN_SYMBOLS
    assert spki_pin(b"key-a") != spki_pin(b"key-b")
