"""The hall's own certificate authority: EC P-256, kept in one directory on the hall server.

Files (see docs/provisioning.md):

- ``ca.key`` 0600 — the CA's private key; never leaves the hall server.
- ``ca.crt`` 0644 — the CA certificate that devices trust, and that the broker uses to check client certs.
- ``server.key`` 0640 / ``server.crt`` 0644 — the broker's and the enrolment API's TLS identity.
- ``crl.pem`` 0644 — revoked device certificates; Mosquitto's ``crlfile``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hall_controller.enrollment.errors import CaError, CsrRejected
from hall_protocol.enrolment import cert_pin

log = logging.getLogger(__name__)

CA_VALIDITY = dt.timedelta(days=3650)
SERVER_VALIDITY = dt.timedelta(days=825)
DEVICE_VALIDITY = dt.timedelta(days=365)
CRL_VALIDITY = dt.timedelta(days=365)
RENEW_SERVER_BEFORE = dt.timedelta(days=30)
# Clocks on Pi-class devices without an RTC are often a little behind the server's.
BACKDATE = dt.timedelta(minutes=10)


def _write(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _ski(key: ec.EllipticCurvePublicKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key)


def _san_entry(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _serial() -> int:
    # 159 random bits: positive, at most 20 octets (RFC 5280 §4.1.2.2), unguessable.
    return secrets.randbits(159) | 1


@dataclass(frozen=True)
class RevokedCert:
    serial: int
    revoked_at: dt.datetime


class HallCA:
    def __init__(self, directory: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self.directory = directory
        self.key = key
        self.cert = cert

    # -- files -------------------------------------------------------------------------------------

    @property
    def ca_cert_path(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key_path(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert_path(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key_path(self) -> Path:
        return self.directory / "server.key"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    @property
    def ca_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def hall(self) -> str:
        """The hall this CA belongs to (its subject's OU)."""
        units = self.cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        return str(units[0].value) if units else ""

    @property
    def pin(self) -> str:
        """What every one-time code carries so the device can recognise this CA."""
        return cert_pin(self.cert)

    # -- creation ----------------------------------------------------------------------------------

    @classmethod
    def load_or_create(
        cls, directory: Path, *, hall: str, server_hosts: Sequence[str] = (), now: dt.datetime | None = None
    ) -> HallCA:
        """Open the CA in ``directory`` (creating it the first time) and make sure a current server cert,
        valid for 127.0.0.1, localhost and ``server_hosts``, and a CRL exist."""
        now = now or dt.datetime.now(dt.UTC)
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o755)
        ca = cls._load(directory) if (directory / "ca.key").exists() else cls._create(directory, hall, now)
        ca.ensure_server_cert(["127.0.0.1", "localhost", *server_hosts], now)
        if not ca.crl_path.exists():
            ca.write_crl([], now)
        return ca

    @classmethod
    def open(cls, directory: Path) -> HallCA:
        """Open an existing CA (never creates one: a new CA would not match the pins of codes already out)."""
        if not (directory / "ca.key").exists():
            raise CaError(f"no hall CA in {directory}: run `onevisit device init` first",
                          f"{directory} 中没有大厅 CA，请先运行 onevisit device init。")
        return cls._load(directory)

    @classmethod
    def _load(cls, directory: Path) -> HallCA:
        try:
            key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
        except (OSError, ValueError) as err:
            raise CaError(f"cannot load the hall CA from {directory}: {err}",
                          "无法读取大厅证书颁发机构（CA）文件，请检查服务器上的证书目录。") from err
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
            raise CaError(f"{directory}/ca.key does not belong to {directory}/ca.crt",
                          "大厅 CA 的私钥与证书不匹配，请检查服务器上的证书目录。")
        return cls(directory, key, cert)

    @classmethod
    def _create(cls, directory: Path, hall: str, now: dt.datetime) -> HallCA:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OneVisit"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, hall),
            x509.NameAttribute(NameOID.COMMON_NAME, f"OneVisit hall {hall} CA"),
        ])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(_ski(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        _write(directory / "ca.key", key_bytes, 0o600)
        _write(directory / "ca.crt", cert.public_bytes(serialization.Encoding.PEM), 0o644)
        log.info("created the hall CA for hall %s in %s", hall, directory)
        return cls(directory, key, cert)

    def _issue(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, now: dt.datetime,
               validity: dt.timedelta, eku: x509.ObjectIdentifier,
               san: Iterable[x509.GeneralName] = ()) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(_serial())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + validity, self.cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(_ski(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        names = list(san)
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self.key, hashes.SHA256())

    def ensure_server_cert(self, hosts: Sequence[str], now: dt.datetime) -> None:
        """(Re)issue the server certificate when it is missing, about to expire, or lacks a host."""
        hosts = list(dict.fromkeys(hosts))
        wanted = {_san_entry(h) for h in hosts}
        if self.server_cert_path.exists() and self.server_key_path.exists():
            current = x509.load_pem_x509_certificate(self.server_cert_path.read_bytes())
            try:
                have = set(current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
            except x509.ExtensionNotFound:
                have = set()
            fresh = current.not_valid_after_utc - now > RENEW_SERVER_BEFORE
            if wanted <= have and fresh and current.issuer == self.cert.subject:
                return
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._issue(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[-1] if hosts else "localhost")]),
            key.public_key(), now, SERVER_VALIDITY, ExtendedKeyUsageOID.SERVER_AUTH,
            sorted(wanted, key=str),
        )
        key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        # 0640: the broker (group mosquitto in production) must read it; nobody else.
        _write(self.server_key_path, key_bytes, 0o640)
        _write(self.server_cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        log.info("issued the server certificate for %s", ", ".join(hosts))

    # -- devices -----------------------------------------------------------------------------------

    def sign_device_csr(self, csr_pem: bytes, device_id: str, now: dt.datetime,
                        validity: dt.timedelta = DEVICE_VALIDITY) -> x509.Certificate:
        """Check a device's CSR (well-formed, self-signed, EC P-256, CN = ``device_id``) and sign it.

        Only the public key and the CN are taken from the CSR; every extension is ours."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as err:
            raise CsrRejected(f"the CSR is not a PEM certificate request: {err}",
                              "证书请求格式错误，请在设备上重新运行 provision。") from err
        try:
            valid = csr.is_signature_valid
        except (InvalidSignature, ValueError):
            valid = False
        if not valid:
            raise CsrRejected("the CSR's signature does not verify", "证书请求签名无效，请在设备上重新运行 provision。")
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise CsrRejected("the CSR's key must be EC P-256", "证书请求的密钥类型不受支持（需要 EC P-256）。")
        cns = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if cns != [device_id]:
            raise CsrRejected(
                f"the CSR's common name {cns!r} is not this slot's device id {device_id!r}",
                "证书请求中的设备编号与该授权码对应的设备不符，请使用控制台上为本设备生成的授权码。",
            )
        subject = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OneVisit"),
            x509.NameAttribute(NameOID.COMMON_NAME, device_id),
        ])
        return self._issue(subject, key, now, validity, ExtendedKeyUsageOID.CLIENT_AUTH)

    def write_crl(self, revoked: Iterable[RevokedCert], now: dt.datetime) -> Path:
        """Write ``crl.pem`` listing ``revoked``. The broker re-reads it when it reloads (SIGHUP)."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - BACKDATE)
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
        )
        for item in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(item.serial).revocation_date(item.revoked_at).build()
            )
        crl = builder.sign(self.key, hashes.SHA256())
        _write(self.crl_path, crl.public_bytes(serialization.Encoding.PEM), 0o644)
        return self.crl_path
