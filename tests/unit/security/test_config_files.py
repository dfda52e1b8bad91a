"""Config files: any file content in → a typed config or a ConfigError naming the file, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hall_protocol.config_files import ConfigError, ConfigStruct, load_toml
from hall_protocol.hall_config import HallConfig

ROOT = Path(__file__).resolve().parents[3]
DEMO = (ROOT / "configs/demo/hall.toml").read_text(encoding="utf-8")


class Inner(ConfigStruct, frozen=True):
    name: str = ""
    sizes: tuple[int, ...] = ()


class Small(ConfigStruct, frozen=True):
    title: str = ""
    count: int = 0
    inner: Inner = Inner()
    items: tuple[Inner, ...] = ()


keys = st.sampled_from(["title", "count", "inner", "items", "name", "sizes", "x", "hall", "services", "id"])
values = st.sampled_from(['"text"', "1", "-5", "1.5", "true", "[]", "[1, 2]", '["a"]', "{}", "{ name = 1 }",
                          "1979-05-27", '"""multi\nline"""', "inf", "nan", "'lit'", "[[1], [2]]"])
toml_like = st.lists(
    st.one_of(
        st.builds(lambda k, v: f"{k} = {v}", keys, values),
        st.builds(lambda k: f"[{k}]", keys),
        st.builds(lambda k: f"[[{k}]]", keys),
        st.builds(lambda a, b: f"[{a}.{b}]", keys, keys),
        st.text(max_size=20),
    ),
    max_size=12,
).map("\n".join)


def mutated_demo() -> st.SearchStrategy[str]:
    lines = DEMO.splitlines()
    return st.builds(
        lambda cut, junk: "\n".join([*lines[:cut], junk, *lines[cut:]]),
        st.integers(0, len(lines)), st.text(max_size=30) | st.builds(lambda k, v: f"{k} = {v}", keys, values))


def load(data: bytes, into: type) -> object:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hall.toml"
        path.write_bytes(data)
        try:
            return load_toml(path, into)
        except ConfigError as err:
            error = err
        assert error.problems
        assert all(p.file == str(path) for p in error.problems)
        return error


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), toml_like, mutated_demo()), st.sampled_from([Small, HallConfig]))
def test_any_text_gives_a_config_or_a_config_error(text: str, into: type) -> None:
    load(text.encode("utf-8", "surrogatepass"), into)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_config_or_a_config_error(data: bytes) -> None:
    load(data, Small)


@pytest.mark.parametrize("text", [
    "x = " + "[" * 2000 + "]" * 2000,
    "x = " + "{ a = " * 2000 + "1" + " }" * 2000,
    "[" + ".".join(["a"] * 5000) + "]",
    "inner = " + "[" * 500 + "]" * 500,
])
def test_deep_nesting_is_a_config_error(text: str) -> None:
    assert isinstance(load(text.encode(), Small), ConfigError)


def test_bytes_that_are_not_utf8_are_a_config_error() -> None:
    err = load(b'title = "\xff\xfe"\n', Small)
    assert isinstance(err, ConfigError)
    assert "UTF-8" in str(err)


def test_the_demo_config_still_loads() -> None:
    assert isinstance(load(DEMO.encode(), HallConfig), HallConfig)
