"""Enrolment: the one-time code format and the bodies of the enrolment HTTP API.

The code a technician types carries two things: a secret that lets the controller find the device slot
(single use, short-lived), and a pin of the hall CA's public key, so the device can check that the
controller it talks to is the hall's before it sends anything. Both halves are Crockford base32, so
``O``/``0`` and ``I``/``L``/``1`` typed either way mean the same.

Code layout (28 symbols, shown in groups of four)::

    SSSS-SSSS-SSSS-PPPP-PPPP-PPPP-PPPP
    secret: 12 symbols = 60 random bits     pin: 16 symbols = the first 80 bits of SHA-256(CA SubjectPublicKeyInfo)

API (HTTPS, served by the controller; see ``hall_controller/http_api.py``):

- ``GET  /api/v1/ca`` → :class:`CaInfo`
- ``POST /api/v1/enroll/claim`` :class:`ClaimRequest` → :class:`ClaimReply`
- ``POST /api/v1/enroll`` :class:`EnrollRequest` → :class:`EnrollReply`
- ``GET  /api/v1/devices`` → :class:`DeviceList`; ``POST /api/v1/devices`` :class:`CreateDevice` →
  :class:`IssuedCode`; ``POST /api/v1/devices/{id}/code`` → :class:`IssuedCode`;
  ``POST /api/v1/devices/{id}/retire`` → :class:`DeviceInfo`
- any refusal → :class:`ApiErrorBody` with a fitting HTTP status
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hall_protocol.devices import Role
from hall_protocol.errors import ErrorCode, OneVisitError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
SECRET_SYMBOLS = 12
PIN_SYMBOLS = 16
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CodeFormatError(OneVisitError):
    """A code or enrolment link that cannot be parsed. ``message_zh`` is for the technician."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


def _b32(data: bytes, symbols: int) -> str:
    value = int.from_bytes(data, "big")
    bits = len(data) * 8
    value >>= bits - symbols * 5
    return "".join(ALPHABET[(value >> (5 * (symbols - 1 - i))) & 31] for i in range(symbols))


def spki_pin(public_key_der: bytes) -> str:
    """The code's pin of a CA public key (DER SubjectPublicKeyInfo): 16 base32 symbols, 80 bits."""
    return _b32(hashlib.sha256(public_key_der).digest(), PIN_SYMBOLS)


def cert_pin(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return spki_pin(spki)


def new_secret() -> str:
    """A fresh code secret: 60 bits from the OS CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(SECRET_SYMBOLS))


def group(text: str) -> str:
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


@dataclass(frozen=True, slots=True)
class EnrollmentCode:
    secret: str
    pin: str

    def __str__(self) -> str:
        return group(self.secret + self.pin)

    @classmethod
    def parse(cls, text: str) -> EnrollmentCode:
        """Accept the code as typed: any case, with or without dashes and spaces, O for 0, I/L for 1."""
        clean = "".join(ch for ch in text.upper() if ch not in "- \t").translate(_TYPO)
        if len(clean) != SECRET_SYMBOLS + PIN_SYMBOLS or any(ch not in ALPHABET for ch in clean):
            raise CodeFormatError(
                f"the one-time code must be {SECRET_SYMBOLS + PIN_SYMBOLS} characters of 0-9 and A-Z "
                "(groups of four, as shown on the console)",
                "一次性授权码格式不正确：应为控制台上显示的 28 位字母数字（每 4 位一组），请核对后重新输入。",
            )
        return cls(clean[:SECRET_SYMBOLS], clean[SECRET_SYMBOLS:])

    def matches_ca(self, ca: x509.Certificate) -> bool:
        return hmac.compare_digest(cert_pin(ca), self.pin)


def enroll_link(controller_url: str, code: str) -> str:
    """What the code's QR carries: ``https://host:port/enroll?code=...``."""
    return f"{controller_url.rstrip('/')}/enroll?code={code}"


def parse_enroll_link(text: str) -> tuple[str, str]:
    """The QR's link → (controller URL, code)."""
    parts = urlsplit(text.strip())
    codes = parse_qs(parts.query).get("code", [])
    if parts.scheme != "https" or not parts.netloc or parts.path.rstrip("/") != "/enroll" or len(codes) != 1:
        raise CodeFormatError("not a OneVisit enrolment link", "二维码不是 OneVisit 设备接入码。")
    return f"https://{parts.netloc}", codes[0]


# HTTP bodies ------------------------------------------------------------------------------------

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Pem = Annotated[str, msgspec.Meta(min_length=1, max_length=16_384)]
Setting = str | int | float | bool | list[str | int | float | bool]
AgentTable = dict[str, Setting | dict[str, Setting]]
"""An ``agent.toml`` as data: settings and tables of settings. Two levels and no ``Any``, so decoding one never
recurses deeper than that, whatever the bytes."""


class Body(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every enrolment body: unknown fields are refused (nobody else speaks this API)."""


class CaInfo(Body, frozen=True):
    ca_pem: Pem
    hall: Text


class ClaimRequest(Body, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ClaimReply(Body, frozen=True):
    device_id: Text
    role: Role
    zone: Text
    hall: Text


class EnrollRequest(Body, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    csr_pem: Pem


class BrokerAddress(Body, frozen=True):
    host: Text
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)]


class EnrollReply(Body, frozen=True):
    device_id: Text
    cert_pem: Pem
    ca_pem: Pem
    broker: BrokerAddress
    username: Text
    password: Text
    agent_config: AgentTable
    """The device's ``agent.toml`` as a table (the agent validates it strictly when it loads the file)."""
    checkin_key: Annotated[str, msgspec.Meta(pattern=r"^([0-9a-f]{64})?$")] = ""
    """For a kiosk: the hall's check-in key (hex), which its agent keys ID look-ups with
    (``hall_protocol.appointments.id_lookup``); stored beside the broker password, never in the config."""


class CreateDevice(Body, frozen=True):
    role: Role
    zone: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    window: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    """Required for a window terminal, window display or evaluator: the window it stands at."""


class DeviceInfo(Body, frozen=True):
    device_id: str
    role: Role
    zone: str
    name: str
    state: str
    ready: bool
    created_at: float
    provisioned_at: float | None = None
    retired_at: float | None = None
    last_seen_at: float | None = None
    cert_serial: str = ""
    cert_not_after: float | None = None
    selftest_ok: bool | None = None
    selftest_at: float | None = None
    selftest_summary: str = ""
    code_expires_at: float | None = None
    window: str | None = None


class DeviceList(Body, frozen=True):
    devices: tuple[DeviceInfo, ...]


class IssuedCode(Body, frozen=True):
    device: DeviceInfo
    code: str
    expires_at: float
    link: str
    qr_png: str = ""
    """The link as a QR image (``data:image/png;base64,...``), for a page to show."""


class ApiError(Body, frozen=True):
    code: ErrorCode
    message: str
    message_zh: str = ""


class ApiErrorBody(Body, frozen=True):
    error: ApiError
