"""Resident ID numbers (GB 11643-1999) and the masking rules for personal data.

Masking lives here because every process needs the same rule: screens, logs, printed tickets.
"""

from __future__ import annotations

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def id_check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """True when ``value`` is 18 characters with a correct check digit and a plausible birth date."""
    v = value.strip().upper()
    if not _SHAPE.match(v):
        return False
    month, day = int(v[10:12]), int(v[12:14])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    return id_check_digit(v[:17]) == v[17]


COMPOUND_SURNAMES: frozenset[str] = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "闻人", "澹台", "公冶", "太史", "申屠", "端木", "西门", "南宫",
    "百里", "呼延", "万俟", "单于", "赫连", "濮阳", "独孤", "东郭", "拓跋", "司空", "仲孙", "第五",
    "左丘", "梁丘", "鲜于", "闾丘", "亓官", "司寇", "子车", "颛孙", "壤驷", "公良", "漆雕", "乐正",
    "宰父", "谷梁", "段干", "东门", "公西", "巫马", "公羊", "羊舌", "微生", "夹谷", "即墨", "淳于",
    "东里",
})
"""复姓 kept whole when masking: 欧阳娜娜 shows as 欧阳**, not 欧***."""

_MASKED_NAME = re.compile(r"^([^*\s]{1,2})\*{1,7}$")


def _surname_length(name: str) -> int:
    return 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳** (a compound surname stays whole); Latin names keep the first letter:
    Alice → A****."""
    name = name.strip()
    if not name:
        return ""
    keep = _surname_length(name)
    return name[:keep] + "*" * (len(name) - keep) if len(name) > 1 else name + "*"


def is_masked_name(value: str) -> bool:
    """Whether ``value`` already has the shape ``mask_name`` gives: one character (or a compound surname)
    and then only asterisks. 王小* is not: it would show two of 王小明's three characters."""
    m = _MASKED_NAME.fullmatch(value)
    return m is not None and (len(m.group(1)) == 1 or m.group(1) in COMPOUND_SURNAMES)


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 4 characters: 110***********123X."""
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    v = value.strip()
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]
