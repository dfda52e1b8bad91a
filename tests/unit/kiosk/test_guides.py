from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_protocol.config_files import ConfigError
from kiosk.guide import Guide, GuideAnswerError, GuideSession, checklist_for, load_guide_file, load_guides

from .conftest import DEMO


def test_required_guides_exist(guides: dict[str, Guide]) -> None:
    assert {"HJ-BIRTH", "GJJ-DRAW", "QY-START", "SB-RETIRE"} <= set(guides)


def ids(guide: Guide, answers: list[str]) -> list[str]:
    return list(checklist_for(guide, answers).material_ids)


# GJJ-DRAW: one checklist per reason ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["buy", "new", "cash", "no"], ["id_card", "bank_card", "purchase_contract", "purchase_invoice"]),
        (["buy", "resale", "commercial", "yes"],
         ["id_card", "bank_card", "property_cert", "deed_tax", "loan_contract", "spouse_id", "marriage_cert"]),
        (["buy", "new", "fund_loan", "no"], ["id_card", "bank_card", "purchase_contract", "purchase_invoice"]),
        (["rent", "none", "filed"], ["id_card", "bank_card", "lease_filing"]),
        (["rent", "none", "not_filed"], ["id_card", "bank_card", "no_home_pledge"]),
        (["rent", "own"], ["id_card", "bank_card"]),
        (["retire"], ["id_card", "bank_card", "retire_proof"]),
        (["leave", "job"], ["id_card", "bank_card", "termination_proof"]),
        (["leave", "hukou"], ["id_card", "bank_card", "hukou_moved"]),
        (["repay"], ["id_card", "bank_card", "loan_contract", "repay_statement"]),
    ],
)
def test_fund_withdrawal_checklists(guides: dict[str, Guide], answers: list[str], expected: list[str]) -> None:
    c = checklist_for(guides["GJJ-DRAW"], answers)
    assert c.complete
    assert list(c.material_ids) == expected


def test_fund_loan_and_owner_notes(guides: dict[str, Guide]) -> None:
    c = checklist_for(guides["GJJ-DRAW"], ["buy", "new", "fund_loan", "no"])
    assert any("无需提供借款合同" in n.zh for n in c.notes)
    c = checklist_for(guides["GJJ-DRAW"], ["rent", "own"])
    assert any("不能办理租房提取" in n.zh for n in c.notes)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["yes", "father", "mainland", "no", "no", "parent"],
         ["birth_cert", "parent_ids", "marriage_cert", "father_hukou"]),
        (["no", "mother", "mainland", "yes", "yes", "parent"],
         ["birth_cert", "parent_ids", "unmarried_statement", "mother_hukou", "bank_card", "photo"]),
        # born abroad: the foreign certificate replaces the medical birth certificate
        (["yes", "father", "abroad", "no", "no", "proxy"],
         ["parent_ids", "marriage_cert", "father_hukou", "abroad_cert", "travel_doc", "proxy_letter", "proxy_id"]),
    ],
)
def test_birth_checklists(guides: dict[str, Guide], answers: list[str], expected: list[str]) -> None:
    assert ids(guides["HJ-BIRTH"], answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["llc", "rented", "done", "yes", "yes", "yes"],
         ["legal_rep_id", "articles", "shareholder_ids", "lease", "landlord_title", "tax_officer_id", "staff_list"]),
        # a sole proprietorship has an investor, not a legal representative, and no articles
        (["sole", "own", "not_yet", "no", "no", "no"], ["investor_id", "property_cert", "name_options"]),
        (["partnership", "incubator", "done", "no", "no", "no"],
         ["legal_rep_id", "partnership_agreement", "partner_ids", "incubator_proof"]),
    ],
)
def test_business_start_checklists(guides: dict[str, Guide], answers: list[str], expected: list[str]) -> None:
    assert ids(guides["QY-START"], answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["normal", "self", "no", "no"], ["id_card", "hukou", "staff_file"]),
        (["special", "employer", "yes", "yes"],
         ["id_card", "hukou", "staff_file", "special_approval", "employer_letter", "handler_id", "transfer_proof",
          "bank_card"]),
        (["illness", "proxy", "no", "no"],
         ["id_card", "hukou", "staff_file", "disability_assessment", "proxy_letter", "proxy_id"]),
        (["flexible", "self", "no", "yes"], ["id_card", "hukou", "personal_file", "bank_card"]),
    ],
)
def test_retirement_checklists(guides: dict[str, Guide], answers: list[str], expected: list[str]) -> None:
    assert ids(guides["SB-RETIRE"], answers) == expected


def test_convenience_store_prepacked_needs_only_a_filing(guides: dict[str, Guide]) -> None:
    c = checklist_for(guides["PKG-CONVENIENCE"], ["have", "prepacked", "no"])
    assert "prepack_filing" in c.material_ids
    assert "licence_form" not in c.material_ids


# walking --------------------------------------------------------------------------------------------

def test_back_navigation_restores_the_question_and_checklist(guides: dict[str, Guide]) -> None:
    s = GuideSession(guides["GJJ-DRAW"])
    assert s.current is not None
    assert s.current.id == "reason"
    assert not s.can_go_back
    s.answer("buy")
    s.answer("resale")
    assert s.current is not None
    assert s.current.id == "buy_loan"
    assert "property_cert" in s.checklist().material_ids
    assert not s.checklist().complete
    assert s.back() is not None
    assert s.current.id == "buy_kind"
    assert "property_cert" not in s.checklist().material_ids
    s.answer("new")
    assert "purchase_contract" in s.checklist().material_ids
    s.back()
    s.back()
    assert s.current.id == "reason"
    assert s.depth == 0
    assert s.back() is not None
    assert s.current.id == "reason"


def test_wrong_answers_are_refused(guides: dict[str, Guide]) -> None:
    s = GuideSession(guides["GJJ-DRAW"])
    with pytest.raises(GuideAnswerError, match="question 'reason': no option 'lottery'"):
        s.answer("lottery")
    s.answer("retire")
    assert s.done
    with pytest.raises(GuideAnswerError, match="finished"):
        s.answer("buy")
    with pytest.raises(GuideAnswerError):
        GuideSession(guides["GJJ-DRAW"], ["buy", "nope"])


def test_checklist_text_for_the_phone(guides: dict[str, Guide]) -> None:
    text = checklist_for(guides["GJJ-DRAW"], ["retire"]).to_text("zh")
    assert text.splitlines()[0] == "住房公积金提取"
    assert "1. 本人居民身份证原件" in text
    assert "退休证或退休审批表" in text
    en = checklist_for(guides["GJJ-DRAW"], ["retire"]).to_text("en")
    assert "Housing provident fund withdrawal" in en
    assert "身份证" not in en


@st.composite
def walks(draw: st.DrawFn) -> tuple[str, list[int]]:
    guide_id = draw(st.sampled_from(["HJ-BIRTH", "GJJ-DRAW", "QY-START", "SB-RETIRE", "PKG-RESTAURANT",
                                     "PKG-CONVENIENCE"]))
    return guide_id, draw(st.lists(st.integers(min_value=0, max_value=10), max_size=30))


@settings(max_examples=300, deadline=None)
@given(walks())
def test_any_walk_with_backs_ends_in_the_same_checklist_as_its_answers(
    guides: dict[str, Guide], walk: tuple[str, list[int]]
) -> None:
    guide_id, moves = walk
    s = GuideSession(guides[guide_id])
    for m in moves:
        q = s.current
        if q is None:
            break
        if m == 10:
            s.back()
        else:
            s.answer(q.options[m % len(q.options)].id)
    while s.current is not None:  # finish with the first option: every path terminates
        s.answer(s.current.options[0].id)
    replay = GuideSession(guides[guide_id], [o for _, o in s.answers])
    assert replay.checklist() == s.checklist()
    assert s.checklist().items  # never a blank checklist
    assert len(s.answers) <= len(guides[guide_id].questions)


# validation errors name the file and the node ------------------------------------------------------

GOOD = """
id = "T"
name_zh = "测试"
name_en = "Test"
start = "q1"
base = ["a"]

[materials]
a = { zh = "甲", en = "A" }
b = { zh = "乙", en = "B" }

[[questions]]
id = "q1"
text_zh = "问一"
text_en = "Q1"

  [[questions.options]]
  id = "x"
  label_zh = "是"
  label_en = "Yes"
  add = ["b"]
  next = "q2"

  [[questions.options]]
  id = "y"
  label_zh = "否"
  label_en = "No"

[[questions]]
id = "q2"
text_zh = "问二"
text_en = "Q2"

  [[questions.options]]
  id = "z"
  label_zh = "好"
  label_en = "OK"
"""


def write(tmp_path: Path, text: str, name: str = "T.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems(tmp_path: Path, text: str, name: str = "T.toml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_guide_file(write(tmp_path, text, name))
    for p in info.value.problems:
        assert p.file.endswith(name)
    return [str(p) for p in info.value.problems]


def test_good_guide_loads(tmp_path: Path) -> None:
    g = load_guide_file(write(tmp_path, GOOD))
    assert list(checklist_for(g, ["x", "z"]).material_ids) == ["a", "b"]


def test_dangling_next(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD.replace('next = "q2"', 'next = "q9"'))
    assert "T.toml" in msg
    assert "question 'q1', option 'x'" in msg
    assert "'q9'" in msg
    assert "dangle" in msg


def test_unknown_material(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD.replace('add = ["b"]', 'add = ["c"]'))
    assert "option 'x'" in msg
    assert "add[0]" in msg
    assert "no material 'c'" in msg


def test_cycle_is_named(tmp_path: Path) -> None:
    text = GOOD.replace('  id = "z"\n', '  id = "z"\n  next = "q1"\n')
    (msg,) = problems(tmp_path, text)
    assert "cycle: q1 → q2 → q1" in msg
    assert "option 'z'" in msg


def test_unreachable_question(tmp_path: Path) -> None:
    text = GOOD + '\n[[questions]]\nid = "lost"\ntext_zh = "孤"\ntext_en = "L"\n  [[questions.options]]\n' \
                  '  id = "o"\n  label_zh = "o"\n  label_en = "o"\n'
    (msg,) = problems(tmp_path, text)
    assert "'lost'" in msg
    assert "cannot be reached" in msg


def test_empty_checklist_path(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD.replace('base = ["a"]', "base = []"))
    assert "empty checklist" in msg
    assert "q1=y" in msg


def test_missing_start_and_duplicate_ids(tmp_path: Path) -> None:
    msgs = problems(tmp_path, GOOD.replace('start = "q1"', 'start = "q0"').replace('id = "y"', 'id = "x"'))
    assert any("start" in m and "'q0'" in m for m in msgs)
    assert any("option 'x' appears twice" in m for m in msgs)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    (msg,) = problems(tmp_path, GOOD, name="OTHER.toml")
    assert "OTHER.toml" in msg
    assert "file name" in msg


def test_question_without_options_is_refused(tmp_path: Path) -> None:
    text = GOOD[: GOOD.index('  [[questions.options]]\n  id = "z"')]
    msgs = problems(tmp_path, text)
    assert any("questions[1]" in m and "`options`" in m for m in msgs)


def test_load_guides_reports_every_broken_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('next = "q2"', 'next = "q9"'))
    write(tmp_path, GOOD.replace('id = "T"', 'id = "U"').replace('add = ["b"]', 'add = ["zz"]'), "U.toml")
    with pytest.raises(ConfigError) as info:
        load_guides(tmp_path)
    assert {Path(p.file).name for p in info.value.problems} == {"T.toml", "U.toml"}


def test_every_demo_guide_file_validates() -> None:
    for path in sorted((DEMO / "guides").glob("*.toml")):
        assert load_guide_file(path).id == path.stem
