from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hall_protocol.identity import (
    id_check_digit,
    is_masked_name,
    is_valid_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
)


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
    assert mask_name("欧阳娜娜") == "欧阳**"  # a compound surname (复姓) stays whole
    assert mask_name("司马光") == "司马*"
    assert mask_name("欧阳") == "欧*"  # two characters: a surname and a given name, not a compound surname
    assert mask_name("王小明") == "王**"
    assert mask_name("Alice") == "A****"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"


def test_masked_shape_allows_one_character_or_a_compound_surname() -> None:
    assert is_masked_name("张*")
    assert is_masked_name("欧阳**")
    assert not is_masked_name("王小*")  # two of 王小明's three characters
    assert not is_masked_name("张三")
    assert not is_masked_name("*")


@given(st.text(min_size=1, max_size=8).filter(lambda s: s.strip() and "*" not in s))
def test_a_masked_name_is_recognised_as_masked(name: str) -> None:
    assert is_masked_name(mask_name(name)) or any(c.isspace() for c in name.strip())
