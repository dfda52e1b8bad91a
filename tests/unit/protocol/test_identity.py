from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hall_protocol.identity import id_check_digit, is_valid_id_number, mask_id_number, mask_name, mask_phone


def test_known_id_number_check_digit() -> None:
    # the standard's worked example: 11010519491231002X
    assert id_check_digit("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("110105194912310021")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_exactly_one_check_character_is_valid(first17: str) -> None:
    valid = [c for c in "0123456789X" if is_valid_id_number(first17 + c)]
    plausible_date = 1 <= int(first17[10:12]) <= 12 and 1 <= int(first17[12:14]) <= 31
    assert valid == ([id_check_digit(first17)] if plausible_date else [])


def test_masks_keep_only_what_is_needed() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
