"""Hypothesis strategies for hostile input: arbitrary bytes, JSON of any shape, and valid messages mutated."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import msgspec
from hypothesis import strategies as st

import hall_protocol
from hall_protocol.codec import Message

for _module in pkgutil.iter_modules(hall_protocol.__path__):
    importlib.import_module(f"hall_protocol.{_module.name}")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


MESSAGES: list[type[Message]] = sorted(_subclasses(Message), key=lambda c: c.__name__)
"""Every wire message of hall_protocol."""
TAGS = [str(m.__struct_config__.tag) for m in MESSAGES]


def field_names(cls: type[Any]) -> list[str]:
    return [f.encode_name for f in msgspec.structs.fields(cls)]


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)


def shaped_like(cls: type[Any]) -> st.SearchStrategy[bytes]:
    """A JSON object with ``cls``'s field names (and often its tag or another), holding values of any type."""
    names = field_names(cls) or ["x"]
    return st.builds(
        lambda fields, type_, v: msgspec.json.encode({**fields, **({"type": type_} if type_ else {}),
                                                      **({"v": v} if v is not None else {})}),
        st.dictionaries(st.sampled_from(names), json_values, max_size=len(names)),
        st.one_of(st.none(), st.sampled_from(TAGS), st.text(max_size=10)),
        st.one_of(st.none(), st.integers(-10, 10), json_values),
    )


def _encoded(message: Any) -> bytes | None:
    try:
        return msgspec.json.encode(message)
    except TypeError:  # a default factory hypothesis passed through as a value
        return None


def valid(cls: type[Any]) -> st.SearchStrategy[bytes]:
    """``cls`` instances as hypothesis builds them from the type hints, encoded (not always valid: the
    hints do not carry every bound)."""
    return st.from_type(cls).map(_encoded).filter(lambda b: b is not None)  # type: ignore[arg-type]


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """``base`` with a few bytes replaced, inserted, deleted or the tail cut off."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        if action == "replace" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
                [b"[", b"{", b"]", b"}", b'"', b"\\", b",", b":", b"\x00", b"\xff", b'"\\ud800"']))
        elif action == "delete":
            del data[where:where + draw(st.integers(1, 8))]
        else:
            del data[where:]
    return bytes(data)


def hostile(cls: type[Any]) -> st.SearchStrategy[bytes]:
    """Every kind of input for a decoder of ``cls``: noise, JSON of the wrong shape, valid and broken messages."""
    return st.one_of(st.binary(max_size=300), shaped_like(cls), valid(cls), mutated(valid(cls)),
                     mutated(shaped_like(cls)))


def nested(depth: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    return opener * depth + closer * depth


DEEP = {
    "2KB-of-arrays": nested(1024),  # what crashed the controller: past a recursive parser's stack
    "objects": nested(700, b'{"a":', b"}").replace(b"}", b"1}", 1),
    "never-closed": b"[" * 2048,
    "in-a-known-field": b'{"type":"ticket.issue","request_id":"r","service":"S","steps":' + nested(1000) + b"}",
    "in-an-unknown-field": b'{"type":"device.state","device_id":"k","role":"kiosk","online":true,"x":'
                           + nested(1500) + b"}",
}
"""Deeply nested JSON, each refused before any parser recurses."""
