"""Base class for every wire message, and the one encode/decode pair everybody uses."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from hall_protocol.errors import ErrorCode, ProtocolError

SCHEMA_VERSION = 1
"""Bumped when a message changes incompatibly. Additive fields keep the version."""


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """A versioned wire message. Unknown fields are ignored so that newer senders stay readable."""

    v: int = SCHEMA_VERSION


T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def encode(msg: msgspec.Struct) -> bytes:
    return _encoder.encode(msg)


def decode(data: bytes | str, into: Any) -> Any:
    """Decode ``data`` into ``into`` (a Message class or a Union of them).

    Raises ProtocolError naming the field that was wrong. Never raises anything else for bad input.
    """
    decoder = _decoders.get(into)
    if decoder is None:
        decoder = _decoders[into] = msgspec.json.Decoder(into)
    try:
        msg = decoder.decode(data)
    except msgspec.ValidationError as err:
        text = str(err)
        m = _AT.search(text)
        field = m.group("path").lstrip(".") if m else None
        message = _AT.sub("", text)
        code = ErrorCode.UNKNOWN_TYPE if "Invalid value" in message and field == "type" else ErrorCode.MALFORMED
        raise ProtocolError(code, message, field or None) from err
    except msgspec.DecodeError as err:
        raise ProtocolError(ErrorCode.MALFORMED, f"not valid JSON: {err}") from err
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
