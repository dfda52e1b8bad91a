from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import kiosk
from hall_protocol.errors import ErrorCode
from kiosk.i18n import (
    LANGS,
    MESSAGES,
    REFUSAL_FALLBACK,
    REFUSALS,
    Asked,
    Bilingual,
    MissingMessage,
    Text,
    placeholders,
    refusal,
    t,
)

KIOSK = Path(kiosk.__file__).parent
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
NAMESPACES = {k.split(".")[0] for k in MESSAGES}


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == set(LANGS), key
        for lang in LANGS:
            assert entry[lang].strip(), (key, lang)
        assert placeholders(entry["zh"]) == placeholders(entry["en"]), key


def test_chinese_is_chinese_and_english_is_not() -> None:
    for key, entry in MESSAGES.items():
        if key in {"common.lang_switch", "finder.item.department"}:
            continue  # the language switch shows the other language's name; a bare placeholder
        assert re.search(r"[\u4e00-\u9fff]", entry["zh"]), key
        assert not re.search(r"[\u4e00-\u9fff]", entry["en"]), key


def _sources() -> list[Path]:
    return sorted((KIOSK / "viewmodels").glob("*.py"))


def _screens() -> list[Path]:
    return sorted((KIOSK / "apps").rglob("*.py"))


def test_every_key_the_screens_use_is_in_the_catalog() -> None:
    used: set[str] = set()
    for path in _screens():  # a widget's ov_id looks like a key too: only what Text() and t() are given counts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"Text", "t"} and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                used.add(node.args[0].value)
    assert len(used) > 30
    assert used <= set(MESSAGES), used - set(MESSAGES)


def test_every_key_the_view_models_use_is_in_the_catalog() -> None:
    used: set[str] = set()
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Text":
                first = node.args[0]
                # a key built at run time would escape this scan: keys are literals, here or in a table
                assert not isinstance(first, ast.JoinedStr | ast.BinOp | ast.Call), (
                    f"{path.name}:{node.lineno}: Text() needs a literal key")
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value)
                    and node.value.split(".")[0] in NAMESPACES):
                used.add(node.value)
                assert node.value in MESSAGES, f"{path.name}:{node.lineno}: {node.value!r} is not a catalog key"
    assert len(used) > 100  # the scan really saw the view-models


def test_every_key_the_kv_layouts_use_is_in_the_catalog() -> None:
    used = {key for path in (KIOSK / "apps").rglob("*.kv")
            for key in re.findall(r"app\.tr\('([^']+)'", path.read_text(encoding="utf-8"))}
    assert "common.speak" in used
    assert used <= set(MESSAGES), used - set(MESSAGES)


def test_no_device_ui_shows_wording_from_elsewhere() -> None:
    # a refusal is worded by its code, a device problem by its exception class or health reason codes:
    # never by a driver's or a reply's own sentence
    for path in KIOSK.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "message_zh" not in source, path
        assert "message_en" not in source, path


def test_every_refusal_has_a_sentence_for_every_code_in_both_languages() -> None:
    for asked in Asked:
        assert REFUSAL_FALLBACK[asked] in MESSAGES
        for code in ErrorCode:
            text = refusal(asked, code, service=Bilingual("社保卡申领", "Social security card"))
            assert text.key in MESSAGES
            assert text.render("zh")
            assert text.render("en")
            assert text.key == REFUSALS[asked].get(code, REFUSAL_FALLBACK[asked])
    assert refusal(Asked.TICKET, ErrorCode.TIMEOUT) == refusal(Asked.TICKET, ErrorCode.UNAVAILABLE)
    assert refusal(Asked.TICKET, ErrorCode.MALFORMED).key == "ticket.error.other"


def test_the_view_models_and_screens_hold_no_finished_chinese_strings() -> None:
    # every citizen-facing sentence goes through the catalog, so English is always available
    for path in _sources() + _screens():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr)}
        # an App's window title is for the operating system; a device shows its screens full-screen
        window_titles = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
                         and [getattr(target, "id", None) for target in n.targets] == ["title"]}
        for node in ast.walk(tree):
            # (a lone character is a code point bound, such as the CJK range in ``keep_together``)
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 1
                    and id(node) not in docstrings | window_titles):
                assert not re.search(r"[\u4e00-\u9fff]", node.value), f"{path.name}:{node.lineno}: {node.value!r}"


def test_render_with_nested_params() -> None:
    service = Bilingual("住房公积金提取", "Housing provident fund withdrawal")
    text = Text("ticket.error.cap_reached", service=service)
    assert text.render("zh").startswith("今天“住房公积金提取”的号已经取完了")
    assert "Housing provident fund withdrawal" in text.render("en")
    assert t("ticket.position.ahead", "en", ahead=3) == "3 ahead of you"
    assert Text("ticket.wait.soon") == Text("ticket.wait.soon")


def test_missing_key_and_missing_english_data() -> None:
    with pytest.raises(MissingMessage):
        t("no.such.key")
    assert Bilingual("只有中文").render("en") == "只有中文"
