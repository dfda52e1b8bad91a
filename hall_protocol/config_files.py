"""Strict loading of TOML configuration into typed structs, with errors that name file, field and value."""

from __future__ import annotations

import re
import reprlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from hall_protocol.errors import OneVisitError

T = TypeVar("T")
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_SHOWN = reprlib.Repr()  # a bad value in an error message: bounded, however large or deep it is
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist, _SHOWN.maxdict = 4, 200, 200, 20, 20


class ConfigStruct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Base for config sections: an unknown key (a typo) is an error, never silently ignored."""


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    field: str
    value: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message} (value: {self.value})"


class ConfigError(OneVisitError):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _lookup(data: Any, path: str) -> Any:
    """Follow a msgspec path like ``.services[2].prefix`` into the raw TOML data."""
    cur = data
    for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path):
        try:
            cur = cur[name] if name else cur[int(index)]
        except (KeyError, IndexError, TypeError):
            return "<missing>"
    return cur


def _line_of(text: str, path: str) -> int | None:
    """Best effort: the line where the last key of ``path`` is written."""
    keys = re.findall(r"\.([^.\[\]]+)", path)
    if not keys:
        return None
    key = keys[-1]
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line) or re.match(rf"\s*\[\[?[^\]]*\b{re.escape(key)}\]", line):
            return n
    return None


def load_toml(path: str | Path, into: type[T]) -> T:
    """Load ``path`` into ``into``; raise ConfigError with every problem found."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([ConfigProblem(str(p), "", "", f"cannot read: {err.strerror}")]) from err
    except UnicodeDecodeError as err:
        raise ConfigError([ConfigProblem(str(p), "", "", f"not UTF-8 text (byte {err.start})")]) from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"at line (\d+)", str(err))
        line = int(m.group(1)) if m else None
        raise ConfigError([ConfigProblem(str(p), "", "", f"not valid TOML: {err}", line)]) from err
    except RecursionError as err:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError([ConfigProblem(str(p), "", "", "not valid TOML: nested too deeply")]) from err
    return convert(raw, into, source=str(p), text=text)


def convert(raw: Any, into: type[T], *, source: str = "<config>", text: str = "") -> T:
    try:
        return msgspec.convert(raw, into, strict=True)
    except msgspec.ValidationError as err:
        msg = str(err)
        m = _AT.search(msg)
        field = m.group("path") if m else ""
        message = _AT.sub("", msg)
        value = _lookup(raw, field)
        unknown = re.match(r"Object contains unknown field `([^`]+)`", message)
        if unknown:
            field = f"{field}.{unknown.group(1)}"
            value = _lookup(raw, field)
            message = f"unknown key `{unknown.group(1)}` (a typo?)"
        problem = ConfigProblem(source, field.lstrip("."), _SHOWN.repr(value), message, _line_of(text, field))
        raise ConfigError([problem]) from err
    except ValueError as err:  # raised by __post_init__ cross-field rules
        raise ConfigError([ConfigProblem(source, "", "", str(err))]) from err
    except RecursionError as err:
        raise ConfigError([ConfigProblem(source, "", "", "nested too deeply")]) from err
