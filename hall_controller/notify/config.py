"""``notify.toml``: which gateways send the silent-call messages, and the limits they are sent within.

Secrets (an SMS platform's token, the WeChat app secret) are never written in the file: each is read from a
file named here (0600), relative paths from ``$CREDENTIALS_DIRECTORY`` when systemd provides one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from hall_protocol.config_files import ConfigStruct, load_toml

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
WECHAT_FIELDS = {"number": "character_string1", "window": "thing2", "status": "phrase3", "time": "time4"}


class SmsHttpGateway(ConfigStruct, frozen=True, tag="sms-http", tag_field="driver"):
    """An HTTP SMS platform (a province's 政务短信平台, or a vendor's relay): one JSON POST per message."""

    url: Annotated[str, msgspec.Meta(pattern=r"^https?://", description="the platform's send endpoint")]
    token_file: str = ""
    """File holding the credential sent in ``auth_header`` (empty: no credential)."""
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    """Put before the token in the header ("" sends the token alone)."""
    sign_name: str = ""
    """短信签名 the platform registered for the hall, e.g. 示范区政务服务中心."""
    templates: dict[str, str] = msgspec.field(default_factory=dict)
    """Message kind (pre-alert, called, recalled, no-show, recycled) → the platform's template id."""
    timeout_s: Seconds = 5.0


class WeChatGateway(ConfigStruct, frozen=True, tag="wechat", tag_field="driver"):
    """WeChat subscribe messages (订阅消息) through the hall's mini program."""

    appid: str
    secret_file: str
    """File holding the mini program's AppSecret."""
    template_id: str
    """The subscribe-message template the citizen accepted."""
    fields: dict[str, str] = msgspec.field(default_factory=lambda: dict(WECHAT_FIELDS))
    """Our value (number, window, status, time) → the template's keyword key, as the template defines it."""
    page: str = ""
    """Mini-program page opened by tapping the message (the phone page's path is appended)."""
    api_base: Annotated[str, msgspec.Meta(pattern=r"^https?://")] = "https://api.weixin.qq.com"
    timeout_s: Seconds = 5.0


class SimulatorGateway(ConfigStruct, frozen=True, tag="simulator", tag_field="driver"):
    """Sends nothing: records each message (masked number, text) for the demo and tests."""

    channel: Literal["sms", "wechat"] = "sms"
    record_path: str = ""
    """Append each sent message as one JSON line here (the demo checks it); empty: memory only."""


GatewayConfig = SmsHttpGateway | WeChatGateway | SimulatorGateway


class Limits(ConfigStruct, frozen=True):
    per_second: Annotated[float, msgspec.Meta(gt=0, le=1000)] = 10.0
    """Messages per second to each gateway (the platform's quota); more wait their turn."""
    burst: Annotated[float, msgspec.Meta(ge=1, le=10000)] = 20.0
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    backoff_base_s: Seconds = 1.0
    backoff_cap_s: Seconds = 60.0
    expire_s: Annotated[float, msgspec.Meta(ge=10, le=86400)] = 600.0
    """A message not delivered within this long is dropped (a late "please go to window 1" misleads)."""
    queue_cap: Annotated[int, msgspec.Meta(ge=100, le=1_000_000)] = 10_000
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    """Messages in flight to each gateway at once."""


class NotifyConfig(ConfigStruct, frozen=True):
    gateways: tuple[GatewayConfig, ...] = ()
    limits: Limits = msgspec.field(default_factory=Limits)
    key_file: str = ""
    """Where the key that encrypts stored contact details lives (default: beside the database)."""


def load_notify_config(path: str | Path) -> NotifyConfig:
    return load_toml(path, NotifyConfig)


def secret_path(name: str) -> Path:
    """A secret file named in the config: relative names are looked up in ``$CREDENTIALS_DIRECTORY``."""
    p = Path(name)
    if not p.is_absolute() and (creds := os.environ.get("CREDENTIALS_DIRECTORY")):
        return Path(creds) / p
    return p


def read_secret(name: str) -> str:
    return secret_path(name).read_text(encoding="utf-8").strip() if name else ""
