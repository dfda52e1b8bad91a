"""A device's identity on disk (key, certificate, hall CA, broker password) and the one-time code format.

The code a technician types carries two things: a secret that lets the controller find the device slot
(single use, short-lived), and a pin of the hall CA's public key, so the device can check that the
controller it talks to is the hall's before it sends anything. Both halves are Crockford base32, so
``O``/``0`` and ``I``/``L``/``1`` typed either way mean the same.

Code layout (28 symbols, shown in groups of four)::

    SSSS-SSSS-SSSS-PPPP-PPPP-PPPP-PPPP
    secret: 12 symbols = 60 random bits     pin: 16 symbols = the first 80 bits of SHA-256(CA SubjectPublicKeyInfo)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hall_protocol.errors import OneVisitError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
SECRET_SYMBOLS = 12
PIN_SYMBOLS = 16
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})

KEY_FILE = "device.key"
CERT_FILE = "device.crt"
CA_FILE = "hall-ca.crt"
PASSWORD_FILE = "broker.password"
CONFIG_FILE = "agent.toml"


class IdentityError(OneVisitError):
    """A code that cannot be parsed, or an identity that cannot be stored. ``message_zh`` is for people."""

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
            raise IdentityError(
                f"the one-time code must be {SECRET_SYMBOLS + PIN_SYMBOLS} characters of 0-9 and A-Z "
                "(groups of four, as shown on the console)",
                "一次性授权码格式不正确：应为控制台上显示的 28 位字母数字（每 4 位一组），请核对后重新输入。",
            )
        return cls(clean[:SECRET_SYMBOLS], clean[SECRET_SYMBOLS:])

    def matches_ca(self, ca: x509.Certificate) -> bool:
        return hmac.compare_digest(cert_pin(ca), self.pin)


def hash_secret(secret: str) -> str:
    """What the controller stores instead of the secret."""
    return hashlib.sha256(b"onevisit-enroll-v1:" + secret.encode()).hexdigest()


# -- keys and CSRs ---------------------------------------------------------------------------------


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def build_csr(key: ec.EllipticCurvePrivateKey, device_id: str) -> bytes:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# -- files -----------------------------------------------------------------------------------------


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 from the first byte, replacing any old file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True, slots=True)
class IdentityPaths:
    """Where one device keeps its identity; every file is 0600 (the agent runs as the file's owner)."""

    directory: Path

    @property
    def key(self) -> Path:
        return self.directory / KEY_FILE

    @property
    def cert(self) -> Path:
        return self.directory / CERT_FILE

    @property
    def ca(self) -> Path:
        return self.directory / CA_FILE

    @property
    def password(self) -> Path:
        return self.directory / PASSWORD_FILE

    @property
    def config(self) -> Path:
        return self.directory / CONFIG_FILE

    def all(self) -> tuple[Path, ...]:
        return (self.key, self.cert, self.ca, self.password, self.config)

