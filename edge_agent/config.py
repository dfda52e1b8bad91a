"""The agent's configuration: who this device is, where the broker is, where its data lives."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from hall_protocol.config_files import ConfigStruct, load_toml
from hall_protocol.devices import Role
from hall_protocol.local import DEFAULT_SOCKET

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A-Z a-z 0-9 _ -")]


class BrokerConfig(ConfigStruct, frozen=True):
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8883
    tls: bool = True
    ca_file: str = ""
    """The hall CA certificate (PEM). Set by provisioning."""
    cert_file: str = ""
    key_file: str = ""
    username: str = ""
    password_file: str = ""
    """A file holding the broker password (0600); secrets never sit in the config itself."""


class AgentConfig(ConfigStruct, frozen=True):
    device_id: Id
    role: Role
    hall: Id
    zone: Id = "A"
    broker: BrokerConfig = msgspec.field(default_factory=BrokerConfig)
    socket_path: str = DEFAULT_SOCKET
    data_dir: str = "/var/lib/onevisit/agent"
    request_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    telemetry_interval_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 30.0
    lease_size: Annotated[int, msgspec.Meta(ge=0, le=500)] = 20
    """Offline ticket numbers to hold per service (0 disables offline ticketing)."""
    lease_services: tuple[str, ...] = ()
    outbox_max_mib: Annotated[float, msgspec.Meta(gt=0)] = 64.0
    outbox_max_age_h: Annotated[float, msgspec.Meta(gt=0)] = 72.0
    outbox_alarm_fraction: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.8
    """Telemetry raises ``outbox_alarm`` at this fraction of either cap, before anything is refused."""
    timezone: str = "Asia/Shanghai"
    """The hall's time zone: offline ticket blocks are valid on the hall's local day only."""
    lease_check_interval_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600)] = 30.0
    """How often, while connected, the agent tops its offline ticket blocks up."""
    reconnect_base_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.5
    reconnect_cap_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0
    """Reconnection delays: full-jitter exponential backoff from base, capped here."""
    drain_window: Annotated[int, msgspec.Meta(ge=1, le=256)] = 32
    """Backlog messages in flight at once after a reconnect; live requests are sent outside this window."""
    ui_command_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 30.0
    """How long a remote command forwarded to the UI may run (never past the command's own expiry)."""
    checkin_key_file: str = ""
    """A kiosk's copy of the hall's check-in key (0600, 64 hex digits; written by provisioning): check-in by
    ID card sends the keyed hash of the ID number, never the number. Without it that check-in is refused."""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from err
        if self.reconnect_cap_s < self.reconnect_base_s:
            raise ValueError(
                f"reconnect_cap_s ({self.reconnect_cap_s}) must be >= reconnect_base_s ({self.reconnect_base_s})"
            )

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_agent_config(path: str | Path) -> AgentConfig:
    return load_toml(path, AgentConfig)
