"""The one interface every notification gateway has, and the errors it may raise.

A gateway sends one message and says how it went: a provider id, or a :class:`DeliveryError` that says
whether trying again can help (a timeout, a 5xx, a rate limit) and, for a rate limit, when.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import httpx
import msgspec

from hall_controller.notify.messages import Notice
from hall_protocol.errors import OneVisitError

RETRY_AFTER_CAP_S = 300.0


class Channel(StrEnum):
    SMS = "sms"  # addressed by phone number
    WECHAT = "wechat"  # addressed by the citizen's openid in the hall's mini program


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str  # unique; sent to the platform as its idempotency key where it takes one
    to: str  # the phone number or openid, in clear: only ever in memory, never logged
    notice: Notice


class DeliveryError(OneVisitError):
    """The gateway did not take the message. ``reason`` is short and free of personal data (for the log and
    the delivery record); ``retryable`` says whether the same message may succeed later."""

    def __init__(self, reason: str, *, retryable: bool, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class Gateway(Protocol):
    name: str
    channel: Channel

    async def send(self, message: Outgoing) -> str:
        """Hand ``message`` to the platform; the platform's message id ("" when it gives none)."""
        ...

    async def aclose(self) -> None: ...


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the delta form; a date is treated as absent), capped."""
    value = response.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), RETRY_AFTER_CAP_S)
    except ValueError:
        return None


def error_for_status(response: httpx.Response) -> DeliveryError:
    """A refusal by HTTP status: 429 and 5xx may pass later, any other status will not."""
    status = response.status_code
    if status == 429:
        return DeliveryError("rate-limited (429)", retryable=True, retry_after_s=retry_after(response))
    if status >= 500:
        return DeliveryError(f"platform error ({status})", retryable=True, retry_after_s=retry_after(response))
    return DeliveryError(f"refused ({status})", retryable=False)


def error_for_transport(err: httpx.HTTPError) -> DeliveryError:
    """A request that never got an answer: worth another try."""
    if isinstance(err, httpx.TimeoutException):
        return DeliveryError("timeout", retryable=True)
    return DeliveryError(f"unreachable ({type(err).__name__})", retryable=True)
