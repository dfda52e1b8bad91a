from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from edge_agent.identity import build_csr, new_private_key
from hall_controller.enrollment.ca import HallCA, RevokedCert
from hall_controller.enrollment.errors import CaError, CsrRejected
from hall_protocol.enrolment import EnrollmentCode, cert_pin

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_files_and_permissions(ca: HallCA) -> None:
    def mode(p: Path) -> int:
        return stat.S_IMODE(os.stat(p).st_mode)

    assert mode(ca.ca_key_path) == 0o600
    assert mode(ca.server_key_path) == 0o640
    assert mode(ca.ca_cert_path) == 0o644
    assert ca.crl_path.exists()
    assert ca.hall == "h1"
    assert isinstance(ca.key, ec.EllipticCurvePrivateKey)
    assert ca.key.curve.name == "secp256r1"


def test_reopening_keeps_the_same_ca(ca: HallCA) -> None:
    again = HallCA.load_or_create(ca.directory, hall="h1")
    assert again.cert == ca.cert
    assert again.pin == ca.pin


def test_open_never_creates(tmp_path: Path) -> None:
    with pytest.raises(CaError):
        HallCA.open(tmp_path / "nothing")
    assert not (tmp_path / "nothing" / "ca.key").exists()


def test_server_certificate_names(tmp_path: Path) -> None:
    ca = HallCA.load_or_create(tmp_path / "ca", hall="h2", server_hosts=["hall.local", "192.168.1.10"], now=NOW)
    cert = x509.load_pem_x509_certificate(ca.server_cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "hall.local"}
    assert {str(i) for i in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "192.168.1.10"}
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    cert.verify_directly_issued_by(ca.cert)
    before = ca.server_cert_path.read_bytes()
    HallCA.load_or_create(tmp_path / "ca", hall="h2", server_hosts=["hall.local"], now=NOW)
    assert ca.server_cert_path.read_bytes() == before  # nothing new needed
    HallCA.load_or_create(tmp_path / "ca", hall="h2", server_hosts=["other.local"], now=NOW)
    assert ca.server_cert_path.read_bytes() != before  # a new name: reissued


def test_signing_a_device(ca: HallCA) -> None:
    key = new_private_key()
    cert = ca.sign_device_csr(build_csr(key, "kiosk-A-01"), "kiosk-A-01", NOW)
    cert.verify_directly_issued_by(ca.cert)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kiosk-A-01"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert cert.not_valid_after_utc - NOW == dt.timedelta(days=365)
    assert cert.public_key() == key.public_key()


def test_csr_for_another_device_is_refused(ca: HallCA) -> None:
    with pytest.raises(CsrRejected) as err:
        ca.sign_device_csr(build_csr(new_private_key(), "kiosk-A-02"), "kiosk-A-01", NOW)
    assert "kiosk-A-02" in str(err.value)
    assert err.value.message_zh


def _csr(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, names: list[x509.NameAttribute[str]]) -> bytes:
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def test_two_common_names_rsa_keys_garbage_and_forged_signatures_are_refused(ca: HallCA) -> None:
    cn = x509.NameAttribute(NameOID.COMMON_NAME, "kiosk-A-01")
    two = [cn, x509.NameAttribute(NameOID.COMMON_NAME, "x")]
    with pytest.raises(CsrRejected):
        ca.sign_device_csr(_csr(new_private_key(), two), "kiosk-A-01", NOW)
    with pytest.raises(CsrRejected):
        ca.sign_device_csr(_csr(rsa.generate_private_key(65537, 2048), [cn]), "kiosk-A-01", NOW)
    with pytest.raises(CsrRejected):
        ca.sign_device_csr(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                           "kiosk-A-01", NOW)
    with pytest.raises(CsrRejected):
        ca.sign_device_csr(b"", "kiosk-A-01", NOW)
    # Someone else's public key with a signature that does not match it.
    good = x509.load_pem_x509_csr(build_csr(new_private_key(), "kiosk-A-01"))
    der = bytearray(good.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF
    forged = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(CsrRejected):
        ca.sign_device_csr(forged, "kiosk-A-01", NOW)


def test_crl_lists_revoked_serials(ca: HallCA, tmp_path: Path) -> None:
    other = HallCA.load_or_create(tmp_path / "ca", hall="h3", now=NOW)
    other.write_crl([RevokedCert(1234, NOW), RevokedCert(99, NOW)], NOW)
    crl = x509.load_pem_x509_crl(other.crl_path.read_bytes())
    assert crl.is_signature_valid(other.key.public_key())
    assert {r.serial_number for r in crl} == {1234, 99}
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > NOW + dt.timedelta(days=300)


def test_pin_in_codes_matches_only_this_ca(ca: HallCA, tmp_path: Path) -> None:
    other = HallCA.load_or_create(tmp_path / "ca", hall="h1", now=NOW)
    code = EnrollmentCode("0" * 12, ca.pin)
    assert code.matches_ca(ca.cert)
    assert not code.matches_ca(other.cert)
    assert cert_pin(ca.cert) == ca.pin
