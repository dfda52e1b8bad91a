"""Sealed boxes: a short secret (a citizen's phone number) encrypted on a device for the hall controller only.

X25519 with a fresh key per box, HKDF-SHA256 over the shared secret and both public keys, AES-256-GCM. Only
the holder of the controller's private key opens a box; the device that sealed it cannot open it again, so
an agent's outbox on disk and every MQTT topic carry ciphertext only.

Format: ``v1.`` + base64url (no padding) of ephemeral public key (32) ‖ nonce (12) ‖ ciphertext and tag.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hall_protocol.errors import OneVisitError

VERSION = "v1."
_INFO = b"onevisit sealed box v1"
MAX_PLAINTEXT = 64


class SealError(OneVisitError):
    """A box that is not well formed, or not sealed for this key."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise SealError("not base64url") from err


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO).derive(shared)


def public_key_text(private: X25519PrivateKey) -> str:
    """The public half as it travels (base64url of the raw 32 bytes)."""
    return _b64(_raw(private.public_key()))


def seal(recipient_text: str, plaintext: str) -> str:
    """A box only the holder of ``recipient_text``'s private key can open."""
    data = plaintext.encode()
    if len(data) > MAX_PLAINTEXT:
        raise SealError(f"at most {MAX_PLAINTEXT} bytes can be sealed")
    recipient_raw = _unb64(recipient_text)
    if len(recipient_raw) != 32:
        raise SealError("a recipient key is 32 bytes")
    recipient = X25519PublicKey.from_public_bytes(recipient_raw)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _key(ephemeral.exchange(recipient), ephemeral_raw, recipient_raw)
    nonce = os.urandom(12)
    return VERSION + _b64(ephemeral_raw + nonce + AESGCM(key).encrypt(nonce, data, None))


def open_sealed(private: X25519PrivateKey, box: str) -> str:
    """The plaintext of ``box``; :class:`SealError` when it is malformed or sealed for another key."""
    if not box.startswith(VERSION):
        raise SealError("unknown sealed-box version")
    raw = _unb64(box[len(VERSION):])
    if len(raw) < 32 + 12 + 16:
        raise SealError("sealed box too short")
    ephemeral_raw, nonce, body = raw[:32], raw[32:44], raw[44:]
    recipient_raw = _raw(private.public_key())
    try:
        key = _key(private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw)), ephemeral_raw, recipient_raw)
        return AESGCM(key).decrypt(nonce, body, None).decode()
    except (InvalidTag, ValueError) as err:
        raise SealError("sealed for another key, or altered") from err
