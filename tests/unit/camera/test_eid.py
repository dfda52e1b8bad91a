"""The e-ID plug-in point through its simulator: issue, scan-parse, verify, and every refusal."""

from __future__ import annotations

import pytest

from drivers.camera import (
    SIMULATED_EID_ISSUERS,
    EidCode,
    EidKind,
    EidRejected,
    EidRejectReason,
    EidServiceUnavailable,
    EidVerifier,
    PayloadRules,
    SimulatedEidVerifier,
    parse_payload,
)

RULES = PayloadRules(eid_issuers=SIMULATED_EID_ISSUERS)
ID = "11010519491231002X"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(clock: Clock) -> SimulatedEidVerifier:
    return SimulatedEidVerifier(clock=clock)


def code_of(text: str) -> EidCode:
    parsed = parse_payload(text, RULES)
    assert isinstance(parsed, EidCode)
    return parsed


async def test_issue_parse_verify(verifier: SimulatedEidVerifier) -> None:
    plug_in: EidVerifier = verifier
    text = verifier.issue(kind=EidKind.E_ID, holder_name="张三丰", id_number=ID.lower())
    credential = await plug_in.verify(code_of(text))
    assert credential.holder_name == "张三丰"
    assert credential.id_number == ID
    assert credential.kind is EidKind.E_ID
    assert credential.issuer == "sim-eid"
    assert "张三丰" not in repr(credential)
    assert ID not in repr(credential)
    assert credential.masked.startswith("张**")


async def test_elicence(verifier: SimulatedEidVerifier) -> None:
    text = verifier.issue(
        kind=EidKind.E_LICENCE, holder_name="李四", id_number=ID, document_type="机动车驾驶证", document_number="D1"
    )
    assert text.startswith("OVSIMLIC:")
    credential = await verifier.verify(code_of(text))
    assert (credential.document_type, credential.document_number) == ("机动车驾驶证", "D1")


async def test_single_use(verifier: SimulatedEidVerifier) -> None:
    code = code_of(verifier.issue(kind=EidKind.E_ID, holder_name="王五", id_number=ID))
    await verifier.verify(code)
    with pytest.raises(EidRejected) as caught:
        await verifier.verify(code)
    assert caught.value.rejection is EidRejectReason.USED


async def test_expired(verifier: SimulatedEidVerifier, clock: Clock) -> None:
    code = code_of(verifier.issue(kind=EidKind.E_ID, holder_name="王五", id_number=ID, valid_for=60))
    clock.now += 61
    with pytest.raises(EidRejected) as caught:
        await verifier.verify(code)
    assert caught.value.rejection is EidRejectReason.EXPIRED
    assert caught.value.reason == "eid-rejected"


async def test_revoked_unknown_and_wrong_issuer(verifier: SimulatedEidVerifier) -> None:
    text = verifier.issue(kind=EidKind.E_ID, holder_name="王五", id_number=ID)
    verifier.revoke(text)
    with pytest.raises(EidRejected) as revoked:
        await verifier.verify(code_of(text))
    assert revoked.value.rejection is EidRejectReason.REVOKED
    with pytest.raises(EidRejected) as unknown:
        await verifier.verify(code_of("OVSIMEID:" + "x" * 32))
    assert unknown.value.rejection is EidRejectReason.UNKNOWN
    with pytest.raises(EidRejected) as foreign:
        await verifier.verify(EidCode(issuer="prov-x", kind=EidKind.E_ID, payload="x" * 32))
    assert foreign.value.rejection is EidRejectReason.WRONG_ISSUER


async def test_service_down(verifier: SimulatedEidVerifier) -> None:
    code = code_of(verifier.issue(kind=EidKind.E_ID, holder_name="王五", id_number=ID))
    verifier.available = False
    with pytest.raises(EidServiceUnavailable) as caught:
        await verifier.verify(code)
    assert caught.value.reason == "eid-service-unavailable"
    verifier.available = True
    assert (await verifier.verify(code)).holder_name == "王五"  # not consumed by the failed attempt


def test_issue_refuses_a_bad_id_number(verifier: SimulatedEidVerifier) -> None:
    with pytest.raises(ValueError, match="id_number"):
        verifier.issue(kind=EidKind.E_ID, holder_name="王五", id_number="110105194912310021")
