from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hall_protocol.config_files import ConfigError
from hall_protocol.hall_config import HallConfig
from kiosk.catalog import Catalog, EntryKind, KioskScreen, ThemeKind, load_catalog, load_catalog_file

from .conftest import DEMO


def test_demo_catalog_covers_the_issue_themes(catalog: Catalog) -> None:
    names = {th.name.zh for th in catalog.themes}
    for wanted in ("出生", "入学", "就业/失业登记", "退休", "公积金提取", "开餐饮店", "开便利店", "企业开办"):
        assert wanted in names
    assert {th.kind for th in catalog.themes} == {ThemeKind.LIFE, ThemeKind.BUSINESS}


def test_every_hall_service_is_reachable_by_department(catalog: Catalog, hall: HallConfig) -> None:
    listed = {e.code for d in catalog.departments for e in d.entries}
    assert listed == {s.code for s in hall.services}


def test_packages_are_ordered_steps_of_hall_services(catalog: Catalog, hall: HallConfig) -> None:
    retire = catalog.package("PKG-RETIRE")
    assert retire.kind is EntryKind.PACKAGE
    assert retire.steps == ("SB-RETIRE", "GJJ-DRAW")
    assert retire.guide == "SB-RETIRE"
    assert "人力资源和社会保障局" in retire.department.zh
    assert "住房公积金管理中心" in retire.department.zh
    codes = {s.code for s in hall.services}
    for entry in catalog.entries:
        assert set(entry.steps) <= codes


def test_kiosk_capable_services_route_to_their_screen(catalog: Catalog) -> None:
    assert catalog.service("PRINT").kiosk_screen is KioskScreen.PRINT
    assert catalog.service("PROGRESS").kiosk_screen is KioskScreen.PROGRESS
    assert catalog.service("GJJ-DRAW").kiosk_screen is None


def test_load_catalog_file_finds_hall_and_guides_beside_it() -> None:
    assert load_catalog_file(DEMO / "catalog.toml").service("HJ-BIRTH").guide == "HJ-BIRTH"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "catalog.toml"
    p.write_text(text, encoding="utf-8")
    return p


MINIMAL = """
[[services]]
code = "PRINT"
kiosk_screen = "print"

[[services]]
code = "PROGRESS"
kiosk_screen = "progress"

[[themes]]
id = "t1"
kind = "life"
name_zh = "测试"
name_en = "Test"
services = ["SB-CARD"]

[[departments]]
id = "all"
name_zh = "全部"
name_en = "All"
services = ["SB-CARD", "SB-RETIRE", "GJJ-DRAW", "BDC-REG", "QY-START", "HJ-BIRTH", "SB-UNEMP", "YB-ENROL",
            "JY-ENROL", "SP-FOOD", "PRINT", "PROGRESS"]
"""


def test_minimal_catalog_loads(tmp_path: Path, hall: HallConfig) -> None:
    cat = load_catalog(_write(tmp_path, MINIMAL), hall)
    assert [e.code for e in cat.themes[0].entries] == ["SB-CARD"]


def test_unknown_service_names_file_field_and_line(tmp_path: Path, hall: HallConfig) -> None:
    path = _write(tmp_path, MINIMAL.replace('services = ["SB-CARD"]', 'services = ["SB-CARD", "SB-CRAD"]'))
    with pytest.raises(ConfigError) as info:
        load_catalog(path, hall)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.field == "themes[0].services[1] (theme t1)"
    assert problem.value == "'SB-CRAD'"
    assert "not a service of hall 'demo'" in problem.message
    assert problem.line == MINIMAL.splitlines().index('services = ["SB-CARD"]') + 1
    assert "SB-CRAD" in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path, hall: HallConfig) -> None:
    text = MINIMAL.replace('kiosk_screen = "print"\n', "").replace('"PROGRESS"]', '"PROGRESS", "NOPE"]')
    text += ('\n[[packages]]\nid = "P1"\nname_zh = "包"\nname_en = "P"\n'
             'steps = ["QY-START", "GONE"]\nguide = "NO-GUIDE"\n')
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, text), hall, guides={"HJ-BIRTH"})
    fields = {p.field for p in info.value.problems}
    assert "services[0].kiosk_screen" in fields  # PRINT is kiosk_capable but names no screen
    assert "packages[0].steps[1] (package P1)" in fields
    assert "packages[0].guide" in fields
    assert "departments[0].services[12] (department all)" in fields


def test_service_missing_from_departments_is_an_error(tmp_path: Path, hall: HallConfig) -> None:
    text = MINIMAL.replace('"SP-FOOD", ', "")
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, text), hall)
    assert any("'SP-FOOD'" in p.value and "no department" in p.message for p in info.value.problems)


def test_non_kiosk_service_cannot_claim_a_kiosk_screen(tmp_path: Path, hall: HallConfig) -> None:
    text = MINIMAL + '\n[[services]]\ncode = "GJJ-DRAW"\nkiosk_screen = "print"\n'
    with pytest.raises(ConfigError, match="not kiosk_capable"):
        load_catalog(_write(tmp_path, text), hall)


def test_duplicate_and_dangling_package_in_theme(tmp_path: Path, hall: HallConfig) -> None:
    text = MINIMAL.replace('services = ["SB-CARD"]', 'services = ["SB-CARD"]\npackages = ["PKG-X"]')
    text += text[text.index("[[themes]]"):text.index("[[departments]]")]
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, text), hall)
    messages = [str(p) for p in info.value.problems]
    assert any("themes[1]" in m and "appears twice" in m for m in messages)
    assert any("themes[0].packages[0]" in m and "'PKG-X'" in m for m in messages)


def test_typo_key_is_named(tmp_path: Path, hall: HallConfig) -> None:
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, MINIMAL.replace("icon", "x").replace('kind = "life"', 'knd = "life"')), hall)
    (problem,) = info.value.problems
    assert "knd" in problem.field
    assert "unknown key" in problem.message


def test_bad_theme_kind_is_named(tmp_path: Path, hall: HallConfig) -> None:
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, MINIMAL.replace('kind = "life"', 'kind = "leisure"')), hall)
    assert info.value.problems[0].field == "themes[0].kind"


def test_catalog_file_with_broken_guide_dir_fails(tmp_path: Path) -> None:
    shutil.copy(DEMO / "hall.toml", tmp_path / "hall.toml")
    shutil.copy(DEMO / "catalog.toml", tmp_path / "catalog.toml")
    (tmp_path / "guides").mkdir()
    with pytest.raises(ConfigError) as info:  # the catalog names guides that the folder lacks
        load_catalog_file(tmp_path / "catalog.toml")
    assert any(p.field.endswith(".guide") and "no guide file" in p.message for p in info.value.problems)


def test_shortcuts_name_services_or_packages_at_most_four_once_each(tmp_path: Path, hall: HallConfig,
                                                                    catalog: Catalog) -> None:
    assert [e.code for e in catalog.shortcuts] == ["SB-CARD", "GJJ-DRAW", "PRINT", "PROGRESS"]
    assert load_catalog(_write(tmp_path, MINIMAL), hall).shortcuts == ()
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, 'shortcuts = ["SB-CARD", "SB-CRAD", "SB-CARD"]\n' + MINIMAL), hall)
    assert sorted((p.field, p.value) for p in info.value.problems) == [
        ("shortcuts[1]", "'SB-CRAD'"), ("shortcuts[2]", "'SB-CARD'")]
    assert "neither a service of hall.toml nor a package" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_catalog(_write(tmp_path, 'shortcuts = ["SB-CARD", "GJJ-DRAW", "PRINT", "PROGRESS", "BDC-REG"]\n'
                            + MINIMAL), hall)
    assert info.value.problems[0].field == "shortcuts"
