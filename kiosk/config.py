"""``kiosk.toml``: one device UI — its role, its agent, its screens' settings and its peripherals.

Relative paths (``configs_dir``) are resolved against the folder of the kiosk.toml that names them, so a
configuration folder can be moved as a whole. Every ``[devices.*]`` table is a driver's own config union,
chosen by its ``driver`` field (``sim`` for the simulators).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import msgspec

from drivers.camera.config import CameraConfig
from drivers.document_printer.config import DocumentPrinterConfig
from drivers.idcard.config import IdReaderConfig
from drivers.keypad.config import KeypadConfig
from drivers.led_display.config import LedDisplayConfig
from drivers.receipt_printer.config import ReceiptPrinterConfig
from drivers.smartcard.config import CardReaderConfig
from hall_protocol.config_files import ConfigError, ConfigProblem, ConfigStruct, load_toml
from hall_protocol.local import DEFAULT_SOCKET
from kiosk.i18n import Lang
from kiosk.viewmodels.idle import MIN_WARNING_S

Role = Literal["kiosk", "hall-screen", "window-display", "evaluator", "window-terminal"]
ROLES: tuple[Role, ...] = ("kiosk", "hall-screen", "window-display", "evaluator", "window-terminal")
Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600, description="seconds")]


class IdleConfig(ConfigStruct, frozen=True):
    """Session reset: after ``timeout_s`` without a touch; a countdown shows for the last ``warning_s``."""

    timeout_s: Seconds = 120.0
    warning_s: Seconds = 30.0

    def __post_init__(self) -> None:
        if self.warning_s < MIN_WARNING_S:
            raise ValueError(f"idle.warning_s must be at least {MIN_WARNING_S:.0f} s (value: {self.warning_s})")
        if self.timeout_s <= self.warning_s:
            raise ValueError(f"idle.timeout_s ({self.timeout_s}) must be longer than idle.warning_s "
                             f"({self.warning_s})")


class SpeechConfig(ConfigStruct, frozen=True):
    """Read-aloud with espeak-ng. ``player``: "auto" finds aplay/paplay/pw-play; "none" only renders."""

    enabled: bool = True
    voice_zh: str = "cmn"
    voice_en: str = "en"
    volume: Annotated[int, msgspec.Meta(ge=0, le=100)] = 70  # percent; the screen's +/- buttons change it
    words_per_minute: Annotated[int, msgspec.Meta(ge=80, le=450)] = 150
    player: Literal["auto", "aplay", "paplay", "pw-play", "none"] = "auto"


class AnnounceConfig(ConfigStruct, frozen=True):
    """A hall screen says each call aloud, for visitors who cannot read it: a chime, then the number and the
    window in ``languages`` (through ``[speech]``). Off by default: a hall chooses which screens speak."""

    chime: bool = False
    speak: bool = False
    languages: Annotated[tuple[Lang, ...], msgspec.Meta(min_length=1, max_length=2)] = ("zh",)

    @property
    def enabled(self) -> bool:
        return self.chime or self.speak


class WindowConfig(ConfigStruct, frozen=True):
    """The UI window. A kiosk is a portrait touch screen; a desktop demo can use a smaller window."""

    width: Annotated[int, msgspec.Meta(ge=320, le=7680)] = 1080
    height: Annotated[int, msgspec.Meta(ge=320, le=7680)] = 1920
    fullscreen: bool = False
    show_cursor: bool = True
    # pixels per dp; 0: a portrait screen is 540 dp across, a landscape one 960×540 dp (board_layout)
    density: Annotated[float, msgspec.Meta(ge=0, le=8)] = 0.0


DevicePosition = Literal["below-left", "below-centre", "below-right", "right-side"]


class KioskModelConfig(ConfigStruct, frozen=True):
    """Where this kiosk model has its readers, relative to the screen: the screens draw it for the citizen."""

    scanner: DevicePosition = "below-right"  # the QR code window (appointment codes, e-ID, ticket codes)
    card_reader: DevicePosition = "below-left"  # the ID / social security card reader


class DevicesConfig(ConfigStruct, frozen=True):
    """The peripherals this UI drives; leave a table out when the device has none."""

    id_reader: IdReaderConfig | None = None
    card_reader: CardReaderConfig | None = None
    receipt_printer: ReceiptPrinterConfig | None = None
    document_printer: DocumentPrinterConfig | None = None
    camera: CameraConfig | None = None
    led_display: LedDisplayConfig | None = None
    keypad: KeypadConfig | None = None

    def configured(self) -> dict[str, object]:
        """name → config of every device present in the file, in a stable order."""
        return {name: cfg for name in self.__struct_fields__ if (cfg := getattr(self, name)) is not None}


class KioskConfig(ConfigStruct, frozen=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    role: Role = "kiosk"
    agent_socket: str = DEFAULT_SOCKET
    configs_dir: str = "."  # the hall.toml, catalog.toml and guides/ the screens show
    language: Lang = "zh"
    zone: str | None = None  # hall screen: the zone whose display state it shows (None: every zone)
    window_id: str | None = None  # window display, evaluator and caller keypad: the window they stand at
    eid_verifier: Literal["none", "sim"] = "none"  # "sim": the simulated identity service (demo only)
    document_service: Literal["none", "sim"] = "sim"  # self-service printing / progress backend
    idle: IdleConfig = msgspec.field(default_factory=IdleConfig)
    speech: SpeechConfig = msgspec.field(default_factory=SpeechConfig)
    announce: AnnounceConfig = msgspec.field(default_factory=AnnounceConfig)  # hall screen: calls said aloud
    window: WindowConfig = msgspec.field(default_factory=WindowConfig)
    devices: DevicesConfig = msgspec.field(default_factory=DevicesConfig)
    model: KioskModelConfig = msgspec.field(default_factory=KioskModelConfig)

    def __post_init__(self) -> None:
        check_role(self.role, self.window_id)

    def configs_path(self, base: Path) -> Path:
        p = Path(self.configs_dir)
        return p if p.is_absolute() else base / p


def check_role(role: str, window_id: str | None) -> None:
    if role in ("window-display", "evaluator", "window-terminal") and not window_id:
        raise ValueError(f"role {role!r} needs window_id (the window this device stands at)")


def load_kiosk_config(path: str | Path) -> KioskConfig:
    """Load and check a kiosk.toml; ConfigError names the file, the field and the bad value."""
    p = Path(path)
    config = load_toml(p, KioskConfig)
    configs = config.configs_path(p.resolve().parent)
    if not (configs / "hall.toml").is_file():
        raise ConfigError([ConfigProblem(str(p), "configs_dir", repr(config.configs_dir),
                                         f"no hall.toml in {configs}")])
    return config
