"""Sans-IO classification of scanned QR texts: our appointment codes, our ticket status links, e-ID /
e-licence codes from provincial platforms, and everything else.

Appointment codes
-----------------
``OVAPPT:{hall}:{appointment_id}:{check}`` (the format is a contract: ``hall_protocol.appointments``)

- ``hall`` and ``appointment_id``: 1 … 64 characters of ``A-Z a-z 0-9 _ -`` (the hall id is the one in
  hall.toml; the appointment id is issued by the booking system and should be unguessable).
- ``check``: two decimal digits, ISO 7064 MOD 97-10 (the IBAN rule) over ``{hall}:{appointment_id}`` with
  each character written as its two-digit index in ``0-9 A-Z a-z _ - :``. Any single changed character and
  any swap of two neighbouring characters is always caught; other damage escapes with odds of about 1 in
  97. Two digits rather than one character because the alphabet has 65 symbols and a one-character check
  over it cannot catch every single substitution.

The check stops misreadings, mistyping and casual editing; it is not a signature (anyone can compute it).
An edited code that passes still has to name an appointment the booking system knows, so the hall
controller's lookup of ``appointment_id`` remains the authority.

Ticket status links
-------------------
The address printed on every ticket, made by ``hall_protocol.urls.ticket_status_url``:
``{base}/t/{hall}/{ticket_id}?k={token}``. Recognised only under the configured ``status_base_url``; any
other web address is ``UnknownCode`` (a foreign link must never be taken for ours).

e-ID and e-licence codes
------------------------
Issued by provincial platforms and the national network ID (网证) service; their content is opaque and is
verified online through an ``EidVerifier``. Which prefixes belong to which issuer is configuration
(``EidIssuer``), taken from each platform's integration documents; none is built in.
``SIMULATED_EID_ISSUERS`` are the simulator's own prefixes (``OVSIMEID:``, ``OVSIMLIC:``), for tests and
demos only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from drivers.camera.errors import PayloadProblem, QrPayloadError
from hall_protocol.appointments import APPOINTMENT_PREFIX, check_matches
from hall_protocol.appointments import AppointmentCode as AppointmentCode
from hall_protocol.appointments import appointment_check as appointment_check
from hall_protocol.appointments import appointment_code as appointment_code
from hall_protocol.config_files import ConfigStruct

MAX_PAYLOAD = 4096  # longer than any QR our halls print or read; a bigger text is not one of ours

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHECK = re.compile(r"[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class EidKind(StrEnum):
    E_ID = "e-id"  # electronic resident ID (电子身份证 / 网证)
    E_LICENCE = "e-licence"  # electronic licence or certificate (电子证照: driving, business licence…)


class EidIssuer(ConfigStruct, frozen=True):
    """One issuer's QR texts: those starting with ``prefix``, whose remainder matches ``pattern``."""

    issuer: str
    """Short name used in logs and when choosing a verifier, e.g. "gd-yss"."""
    kind: EidKind
    prefix: str
    pattern: str = r"[A-Za-z0-9_\-.~+/=]{8,2048}"
    """Regular expression the whole remainder after the prefix must match."""

    def __post_init__(self) -> None:
        if not self.prefix:
            raise ValueError(f"e-ID issuer {self.issuer!r}: prefix must not be empty")
        try:
            re.compile(self.pattern)
        except re.error as err:
            raise ValueError(f"e-ID issuer {self.issuer!r}: pattern is not a valid regex: {err}") from err


_SIM_TOKEN = r"[A-Za-z0-9_-]{16,64}"
SIMULATED_EID_ISSUERS = (
    EidIssuer(issuer="sim-eid", kind=EidKind.E_ID, prefix="OVSIMEID:", pattern=_SIM_TOKEN),
    EidIssuer(issuer="sim-elicence", kind=EidKind.E_LICENCE, prefix="OVSIMLIC:", pattern=_SIM_TOKEN),
)


class PayloadRules(ConfigStruct, frozen=True):
    """What this kiosk accepts. ``hall``: reject appointments and tickets of other halls when set.
    ``status_base_url``: the hall's phone status page (hall.toml ``status_base_url``)."""

    hall: str | None = None
    status_base_url: str | None = None
    eid_issuers: tuple[EidIssuer, ...] = ()


@dataclass(frozen=True)
class TicketStatusLink:
    hall: str
    ticket_id: str
    token: str = field(repr=False)  # whoever holds it can open the ticket's page


@dataclass(frozen=True)
class EidCode:
    issuer: str
    kind: EidKind
    payload: str = field(repr=False)  # opaque, possibly personal: never logged

    def __str__(self) -> str:
        return f"{self.kind.value} code from {self.issuer} ({len(self.payload)} characters)"


@dataclass(frozen=True)
class UnknownCode:
    """A readable code that is none of ours (a shop's link, a parcel label, a payment code…)."""

    looks_like: str  # "web-link" or "text": enough to choose the message, nothing of the content
    length: int


ParsedCode = AppointmentCode | TicketStatusLink | EidCode | UnknownCode


def parse_payload(text: str, rules: PayloadRules | None = None) -> ParsedCode:
    """Classify one scanned text. Raises ``QrPayloadError`` (and nothing else) for a text that is empty,
    too long, or claims to be one of the known kinds but is broken; anything merely foreign is
    ``UnknownCode``."""
    rules = rules or PayloadRules()
    if not isinstance(text, str):
        raise QrPayloadError(PayloadProblem.EMPTY, f"expected text, got {type(text).__name__}")
    if not text.strip():
        raise QrPayloadError(PayloadProblem.EMPTY, "no characters other than white space")
    if len(text) > MAX_PAYLOAD:
        raise QrPayloadError(PayloadProblem.TOO_LONG, f"{len(text)} characters, at most {MAX_PAYLOAD}")
    if text.startswith(APPOINTMENT_PREFIX):
        return _parse_appointment(text[len(APPOINTMENT_PREFIX) :], rules)
    base = (rules.status_base_url or "").rstrip("/")
    if base and text.startswith(base + "/t/"):
        return _parse_status_link(text[len(base) :], rules)
    for issuer in rules.eid_issuers:
        if text.startswith(issuer.prefix):
            return _parse_eid(text[len(issuer.prefix) :], issuer)
    looks_like = "web-link" if re.match(r"(?i)https?://", text) else "text"
    return UnknownCode(looks_like=looks_like, length=len(text))


def _parse_appointment(rest: str, rules: PayloadRules) -> AppointmentCode:
    parts = rest.split(":")
    if len(parts) != 3:
        raise QrPayloadError(
            PayloadProblem.APPOINTMENT_SHAPE, f"expected hall:appointment_id:check, got {len(parts)} part(s)"
        )
    hall, appointment_id, check = parts
    if not _ID.fullmatch(hall):
        raise QrPayloadError(PayloadProblem.APPOINTMENT_SHAPE, "not 1-64 of A-Z a-z 0-9 _ -", field="hall")
    if not _ID.fullmatch(appointment_id):
        raise QrPayloadError(
            PayloadProblem.APPOINTMENT_SHAPE, "not 1-64 of A-Z a-z 0-9 _ -", field="appointment_id"
        )
    if not _CHECK.fullmatch(check):
        raise QrPayloadError(PayloadProblem.APPOINTMENT_SHAPE, "not two decimal digits", field="check")
    if not check_matches(hall, appointment_id, check):
        raise QrPayloadError(PayloadProblem.APPOINTMENT_CHECK, "check digits do not match", field="check")
    if rules.hall is not None and hall != rules.hall:
        raise QrPayloadError(PayloadProblem.WRONG_HALL, f"code is for hall {hall!r}", field="hall")
    return AppointmentCode(hall=hall, appointment_id=appointment_id)


def _parse_status_link(path_and_query: str, rules: PayloadRules) -> TicketStatusLink:
    try:
        link = _split_status_link(path_and_query)
    except ValueError as err:  # bad percent-escapes (UnicodeDecodeError) and urlsplit's own complaints
        raise QrPayloadError(PayloadProblem.STATUS_LINK_SHAPE, f"not a well-formed link: {err}") from err
    if rules.hall is not None and link.hall != rules.hall:
        raise QrPayloadError(PayloadProblem.WRONG_HALL, f"ticket is for hall {link.hall!r}", field="hall")
    return link


def _split_status_link(path_and_query: str) -> TicketStatusLink:
    if _CONTROL.search(path_and_query) or " " in path_and_query:
        raise QrPayloadError(PayloadProblem.STATUS_LINK_SHAPE, "white space or control characters")
    parts = urlsplit(path_and_query)
    segments = parts.path.split("/")
    # "/t/{hall}/{ticket_id}" splits into ["", "t", hall, ticket_id]
    if len(segments) != 4 or parts.fragment:
        raise QrPayloadError(PayloadProblem.STATUS_LINK_SHAPE, "path is not /t/{hall}/{ticket_id}")
    hall, ticket_id = segments[2], unquote(segments[3], errors="strict")
    if not _ID.fullmatch(hall):
        raise QrPayloadError(PayloadProblem.STATUS_LINK_SHAPE, "not 1-64 of A-Z a-z 0-9 _ -", field="hall")
    if not ticket_id or _CONTROL.search(ticket_id):
        raise QrPayloadError(PayloadProblem.STATUS_LINK_SHAPE, "empty or control chars", field="ticket_id")
    query = parse_qs(parts.query, keep_blank_values=True, errors="strict")
    tokens = query.get("k", [])
    if len(tokens) != 1 or not tokens[0] or _CONTROL.search(tokens[0]) or set(query) != {"k"}:
        raise QrPayloadError(PayloadProblem.STATUS_LINK_SHAPE, "needs one non-empty k=", field="token")
    return TicketStatusLink(hall=hall, ticket_id=ticket_id, token=tokens[0])


def _parse_eid(rest: str, issuer: EidIssuer) -> EidCode:
    if not re.fullmatch(issuer.pattern, rest):
        detail = f"{len(rest)} characters that {issuer.issuer} does not issue"
        raise QrPayloadError(PayloadProblem.EID_SHAPE, detail, field="payload")
    return EidCode(issuer=issuer.issuer, kind=issuer.kind, payload=rest)
