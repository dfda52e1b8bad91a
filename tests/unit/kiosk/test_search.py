from __future__ import annotations

import pytest

from kiosk.catalog import Catalog
from kiosk.catalog.search import Term


def codes(catalog: Catalog, query: str) -> list[str]:
    return [h.entry.code for h in catalog.search(query)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("sbk", "SB-CARD"),  # pinyin initials of the keyword 社保卡
        ("社保卡", "SB-CARD"),
        ("社会保障卡申领", "SB-CARD"),  # exact name
        ("shebaoka", "SB-CARD"),  # full pinyin
        ("SHE BAO", "SB-CARD"),  # spaces and case do not matter
        ("gjj", "GJJ-DRAW"),
        ("gongjijin", "GJJ-DRAW"),
        ("zfgjjtq", "GJJ-DRAW"),  # initials of the whole name
        ("公积金", "GJJ-DRAW"),
        ("yyzz", "QY-START"),  # 营业执照
        ("kcyd", "PKG-RESTAURANT"),  # 开餐饮店一件事
        ("便利店", "PKG-CONVENIENCE"),
        ("bdc", "BDC-REG"),
        ("qy-start", "QY-START"),  # the service code
        ("provident", "GJJ-DRAW"),  # English
        ("ｓｂｋ", "SB-CARD"),  # full-width letters from a Chinese keyboard
    ],
)
def test_first_hit(catalog: Catalog, query: str, first: str) -> None:
    assert codes(catalog, query)[0] == first


def test_ranking_exact_name_beats_prefix_beats_substring(catalog: Catalog) -> None:
    hits = catalog.search("退休")
    assert [h.entry.code for h in hits][:2] == ["SB-RETIRE", "PKG-RETIRE"]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_name_match_outranks_mention_in_another_name(catalog: Catalog) -> None:
    # 出生一件事（户口、医保、社保卡） mentions 社保卡 but the card service itself comes first
    got = codes(catalog, "sbk")
    assert got.index("SB-CARD") < got.index("HJ-BIRTH")
    got = codes(catalog, "医保")
    assert got[0] == "YB-ENROL"
    assert "HJ-BIRTH" in got


def test_short_pinyin_does_not_match_mid_syllable(catalog: Catalog) -> None:
    # "ao" is inside "bao" but not the start of any syllable: no match by full pinyin
    assert all(h.matched != "社保卡" for h in catalog.search("ao"))


def test_nothing_found_and_empty_query(catalog: Catalog) -> None:
    assert catalog.search("zzzzqqq") == []
    assert catalog.search("   ") == []
    assert catalog.search("火星移民") == []


def test_limit_and_stable_order(catalog: Catalog) -> None:
    a = codes(catalog, "d")
    assert a == codes(catalog, "d")
    assert len(catalog.search("d", limit=3)) <= 3


def test_term_keeps_latin_words_whole() -> None:
    term = Term.of("SSC 补卡", 1.0)
    assert term.initials == "sscbk"
    assert term.syllables == ("ssc", "bu", "ka")


def test_index_is_built_once(catalog: Catalog) -> None:
    assert len(catalog.index) == len(catalog.entries)
