"""A device's identity on disk: key, certificate, hall CA, broker password (the code format is in
``hall_protocol.enrolment``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY_FILE = "device.key"
CERT_FILE = "device.crt"
CA_FILE = "hall-ca.crt"
PASSWORD_FILE = "broker.password"
CONFIG_FILE = "agent.toml"
CHECKIN_KEY_FILE = "checkin.key"


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

    @property
    def checkin_key(self) -> Path:
        """A kiosk's copy of the hall's check-in key (other roles have none)."""
        return self.directory / CHECKIN_KEY_FILE

    def all(self) -> tuple[Path, ...]:
        return (self.key, self.cert, self.ca, self.password, self.config)

