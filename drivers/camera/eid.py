"""Online verification of e-ID / e-licence QR codes: the ``EidVerifier`` plug-in point and a simulator.

A provincial platform's dynamic code carries no identity the kiosk can read by itself; the hall's identity
service (or the platform, through it) exchanges the code for the holder's verified details. A real adapter
implements ``EidVerifier`` for that service; none ships here because each platform's interface is
contracted per province.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from drivers.camera.errors import EidRejected, EidRejectReason, EidServiceUnavailable
from drivers.camera.payloads import SIMULATED_EID_ISSUERS, EidCode, EidIssuer, EidKind
from hall_protocol.identity import is_valid_id_number, mask_id_number, mask_name


@dataclass(frozen=True)
class VerifiedCredential:
    """What the identity service vouches for. Personal data: ``repr`` shows it masked only."""

    kind: EidKind
    issuer: str
    holder_name: str = field(repr=False)
    id_number: str = field(repr=False)
    document_type: str  # "居民身份证", "机动车驾驶证", "营业执照", …
    document_number: str | None = field(default=None, repr=False)  # e-licences: the licence's own number
    valid_until: float | None = None  # epoch seconds, when the service says

    @property
    def masked(self) -> str:
        return f"{mask_name(self.holder_name)} {mask_id_number(self.id_number)}"


class EidVerifier(Protocol):
    """Exchanges a scanned e-ID / e-licence code for verified details.

    Raises ``EidRejected`` (the service said no: unknown, expired, used, revoked, wrong issuer) or
    ``EidServiceUnavailable`` (no answer). Implementations must not log ``code.payload``.
    """

    async def verify(self, code: EidCode) -> VerifiedCredential: ...


@dataclass
class _Issued:
    credential: VerifiedCredential
    expires_at: float
    used: bool = False
    revoked: bool = False


class SimulatedEidVerifier:
    """A stand-in identity service for tests and demos — not a verifier of real codes.

    ``issue()`` plays the citizen's phone app: it mints a dynamic code (``OVSIMEID:…`` / ``OVSIMLIC:…``)
    that this simulator will accept once, within ``valid_for`` seconds. ``available = False`` makes every
    verification fail as if the service were down. ``clock`` is injected so expiry is testable.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        issuers: tuple[EidIssuer, ...] = SIMULATED_EID_ISSUERS,
    ) -> None:
        self._clock = clock
        self._issuers = {i.issuer: i for i in issuers}
        self._codes: dict[tuple[str, str], _Issued] = {}
        self.available = True

    def issue(
        self,
        *,
        kind: EidKind,
        holder_name: str,
        id_number: str,
        document_type: str = "居民身份证",
        document_number: str | None = None,
        valid_for: float = 300.0,
    ) -> str:
        """Mint a code; returns the full QR text."""
        if not is_valid_id_number(id_number):
            raise ValueError("id_number is not a valid resident ID number")
        issuer = next((i for i in self._issuers.values() if i.kind == kind), None)
        if issuer is None:
            raise ValueError(f"no simulated issuer for {kind.value}")
        token = secrets.token_urlsafe(24)
        credential = VerifiedCredential(
            kind=kind,
            issuer=issuer.issuer,
            holder_name=holder_name,
            id_number=id_number.upper(),
            document_type=document_type,
            document_number=document_number,
            valid_until=None,
        )
        self._codes[(issuer.issuer, token)] = _Issued(credential, self._clock() + valid_for)
        return issuer.prefix + token

    def revoke(self, qr_text: str) -> None:
        for (issuer, token), issued in self._codes.items():
            if qr_text == self._issuers[issuer].prefix + token:
                issued.revoked = True

    async def verify(self, code: EidCode) -> VerifiedCredential:
        if not self.available:
            raise EidServiceUnavailable("simulated identity service switched off")
        if code.issuer not in self._issuers:
            raise EidRejected(EidRejectReason.WRONG_ISSUER, f"simulator does not serve {code.issuer!r}")
        issued = self._codes.get((code.issuer, code.payload))
        if issued is None:
            raise EidRejected(EidRejectReason.UNKNOWN, f"no such code from {code.issuer}")
        if issued.revoked:
            raise EidRejected(EidRejectReason.REVOKED, f"code from {code.issuer} was revoked")
        if issued.used:
            raise EidRejected(EidRejectReason.USED, f"code from {code.issuer} was already used")
        if self._clock() > issued.expires_at:
            raise EidRejected(EidRejectReason.EXPIRED, f"code from {code.issuer} expired")
        issued.used = True
        return issued.credential
