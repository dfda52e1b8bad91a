"""Frames as they arrive on a byte link, within a deadline: the wait every request/response driver does.

A frame whose bytes stop for ``inter_byte_timeout`` is torn, even when the overall deadline is still
ahead: the parser's ``end_of_data`` then raises its own "truncated" error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol, TypeVar

from drivers.byte_link import ByteLink

F_co = TypeVar("F_co", covariant=True)


class FrameParser(Protocol[F_co]):
    """A sans-IO frame parser (``drivers.stx_frame.StxParser``, ``drivers.idcard.frame.ResponseParser``)."""

    @property
    def pending(self) -> bool:
        """A frame has begun and is not complete yet."""
        ...

    def receive_data(self, data: bytes) -> None: ...

    def next_frame(self) -> F_co | None: ...

    def end_of_data(self) -> None: ...


def frames_within(
    link: ByteLink, parser: FrameParser[F_co], *, timeout: float, inter_byte_timeout: float
) -> Iterator[F_co]:
    """Each frame ``parser`` finds in what ``link`` delivers, until ``timeout`` seconds have passed."""
    now = time.monotonic()
    deadline = now + timeout
    last_byte = now
    while True:
        limit = min(deadline, last_byte + inter_byte_timeout) if parser.pending else deadline
        wait = limit - time.monotonic()
        if wait <= 0:
            parser.end_of_data()
            return
        data = link.read(wait)
        if not data:
            continue
        last_byte = time.monotonic()
        parser.receive_data(data)
        while (frame := parser.next_frame()) is not None:
            yield frame
