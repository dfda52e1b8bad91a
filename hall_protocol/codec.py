"""Base class for every wire message, and the one encode/decode pair everybody uses."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import msgspec

from hall_protocol.errors import ErrorCode, ProtocolError

SCHEMA_VERSION = 1
"""Bumped when a message changes incompatibly. Additive fields keep the version."""

MAX_PAYLOAD = 64 * 1024
"""No OneVisit message comes near this; anything larger is refused before it is parsed."""
MAX_DEPTH = 16
"""Deepest nesting of arrays and objects any message needs is 4; deeper input is refused unparsed, because a
recursive parser's stack is what a hostile payload aims at."""


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """A versioned wire message. Unknown fields are ignored so that newer senders stay readable."""

    v: Annotated[int, msgspec.Meta(ge=1)] = SCHEMA_VERSION


_SYNTAX = re.compile(rb'[\\"\[\]{}]')  # the only bytes that change the nesting or the string state


def nesting_depth(data: bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text, ignoring brackets inside strings.

    Only the bytes that matter are visited (a regex finds them), and with ``stop_above`` the scan ends as soon
    as the nesting passes it: a hostile payload costs a few bytes of scanning, not its whole length."""
    depth = deepest = 0
    in_string = False
    escape_at = -2  # where the last backslash inside a string was: the byte after it is escaped
    for match in _SYNTAX.finditer(data):
        at = match.start()
        byte = data[at]
        if in_string:
            if at == escape_at + 1:
                continue
            if byte == 0x5C:  # backslash
                escape_at = at
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def check_shape(data: bytes, max_size: int = MAX_PAYLOAD, max_depth: int = MAX_DEPTH) -> None:
    """Refuse input too large or too deep to parse safely (ProtocolError), before any parser sees it."""
    if len(data) > max_size:
        raise ProtocolError(ErrorCode.MALFORMED, f"message of {len(data)} bytes is over the {max_size}-byte limit")
    # Counting brackets is cheap and bounds the depth from above; only a message with many brackets is scanned.
    if data.count(b"[") + data.count(b"{") > max_depth and nesting_depth(data, max_depth) > max_depth:
        raise ProtocolError(ErrorCode.MALFORMED, f"message nested deeper than {max_depth} levels")


T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def encode(msg: msgspec.Struct) -> bytes:
    return _encoder.encode(msg)


def decode(data: bytes | str, into: Any) -> Any:
    """Decode ``data`` into ``into`` (a Message class or a Union of them).

    Total: any input gives the message or a ProtocolError naming what was wrong, never another exception.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    check_shape(raw)
    decoder = _decoders.get(into)
    if decoder is None:
        decoder = _decoders[into] = msgspec.json.Decoder(into)
    try:
        msg = decoder.decode(raw)
    except msgspec.ValidationError as err:
        text = str(err)
        m = _AT.search(text)
        field = m.group("path").lstrip(".") if m else None
        message = _AT.sub("", text)
        code = ErrorCode.UNKNOWN_TYPE if "Invalid value" in message and field == "type" else ErrorCode.MALFORMED
        raise ProtocolError(code, message, field or None) from err
    except msgspec.DecodeError as err:
        raise ProtocolError(ErrorCode.MALFORMED, f"not valid JSON: {err}") from err
    except RecursionError as err:  # check_shape should have caught it; the promise is "never a crash"
        raise ProtocolError(ErrorCode.MALFORMED, "message nested too deeply") from err
    version = getattr(msg, "v", SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"schema version {version} is newer than this build understands ({SCHEMA_VERSION})",
            "v",
        )
    return msg


def decode_as(data: bytes | str, into: type[T]) -> T:
    """Typed variant of :func:`decode` for a single Message class."""
    result: T = decode(data, into)
    return result
