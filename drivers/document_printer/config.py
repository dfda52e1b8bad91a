"""Document printer configuration, chosen by the ``driver`` field."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hall_protocol.config_files import ConfigStruct


class CupsConfig(ConfigStruct, frozen=True, tag_field="driver", tag="cups"):
    queue: str  # the CUPS queue name
    host: str = "127.0.0.1"  # cupsd; a kiosk runs its own, so loopback
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 631
    job_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 120.0
    poll_interval_s: Annotated[float, msgspec.Meta(gt=0, le=10)] = 0.25
    cancel_on_failure: bool = True  # a job given up on must not print later for the next citizen


class DocumentSimConfig(ConfigStruct, frozen=True, tag_field="driver", tag="sim"):
    sheets: Annotated[int, msgspec.Meta(ge=0)] = 500
    low_at: Annotated[int, msgspec.Meta(ge=0)] = 50
    seconds_per_page: Annotated[float, msgspec.Meta(ge=0, le=60)] = 0.0
    job_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 120.0


DocumentPrinterConfig = CupsConfig | DocumentSimConfig
