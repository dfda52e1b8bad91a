from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from edge_agent.identity import build_csr, new_private_key
from hall_controller.enrollment.service import EnrollmentService
from hall_controller.http_api import MAX_BODY, TokenError, create_app, load_manager_token
from hall_protocol.enrolment import EnrollmentCode
from tests.unit.enrollment.conftest import Clock, FakeBroker

TOKEN = "manager-token-for-unit-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def api(service: EnrollmentService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(service, manager_token=TOKEN), client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="https://hall.local:8443") as client:
        yield client


async def new_slot(api: httpx.AsyncClient, role: str = "kiosk") -> dict[str, object]:
    r = await api.post("/api/v1/devices", json={"role": role, "zone": "A", "name": "一号机"}, headers=AUTH)
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def test_slot_code_qr_and_enrolment(api: httpx.AsyncClient, service: EnrollmentService,
                                          broker: FakeBroker) -> None:
    slot = await new_slot(api)
    code = str(slot["code"])
    assert EnrollmentCode.parse(code).pin == service.ca.pin
    png = base64.b64decode(str(slot["qr_png"]).removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG")
    assert slot["expires_at"] == service.clock() + 15 * 60

    claim = (await api.post("/api/v1/enroll/claim", json={"code": code})).json()
    assert claim == {"device_id": "kiosk-A-01", "role": "kiosk", "zone": "A", "hall": "h1"}
    csr = build_csr(new_private_key(), "kiosk-A-01").decode()
    r = await api.post("/api/v1/enroll", json={"code": code, "csr_pem": csr})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["broker"] == {"host": "hall.local", "port": 8883}
    assert body["username"] == "kiosk-A-01"
    assert body["password"] == broker.clients["kiosk-A-01"][2]
    assert body["agent_config"]["hall"] == "h1"
    assert body["agent_config"]["broker"]["tls"] is True
    x509.load_pem_x509_certificate(body["cert_pem"].encode()).verify_directly_issued_by(service.ca.cert)

    again = await api.post("/api/v1/enroll", json={"code": code, "csr_pem": csr})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "forbidden"

    listed = (await api.get("/api/v1/devices", headers=AUTH)).json()["devices"]
    assert [(d["device_id"], d["state"]) for d in listed] == [("kiosk-A-01", "provisioned")]


async def test_csr_for_the_wrong_device_does_not_use_up_the_code(api: httpx.AsyncClient) -> None:
    code = str((await new_slot(api))["code"])
    r = await api.post("/api/v1/enroll", json={"code": code, "csr_pem": build_csr(new_private_key(), "other").decode()})
    assert r.status_code == 400
    assert "设备编号" in r.json()["error"]["message_zh"]
    r = await api.post("/api/v1/enroll", json={"code": code,
                                               "csr_pem": build_csr(new_private_key(), "kiosk-A-01").decode()})
    assert r.status_code == 200


async def test_expired_code(api: httpx.AsyncClient, clock: Clock) -> None:
    code = str((await new_slot(api))["code"])
    clock.now += 15 * 60
    r = await api.post("/api/v1/enroll/claim", json={"code": code})
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "expired"


async def test_broker_down_gives_the_code_back(api: httpx.AsyncClient, broker: FakeBroker) -> None:
    code = str((await new_slot(api))["code"])
    csr = build_csr(new_private_key(), "kiosk-A-01").decode()
    broker.down = True
    r = await api.post("/api/v1/enroll", json={"code": code, "csr_pem": csr})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "unavailable"
    broker.down = False
    assert (await api.post("/api/v1/enroll", json={"code": code, "csr_pem": csr})).status_code == 200


async def test_retire_and_replace(api: httpx.AsyncClient, broker: FakeBroker, service: EnrollmentService) -> None:
    code = str((await new_slot(api))["code"])
    csr = build_csr(new_private_key(), "kiosk-A-01").decode()
    await api.post("/api/v1/enroll", json={"code": code, "csr_pem": csr})
    r = await api.post("/api/v1/devices/kiosk-A-01/retire", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["state"] == "retired"
    assert broker.removed == ["kiosk-A-01"]
    assert "kiosk-A-01" not in broker.clients
    crl = x509.load_pem_x509_crl(service.ca.crl_path.read_bytes())
    assert len(list(crl)) >= 1
    assert (await api.post("/api/v1/devices/kiosk-A-01/retire", headers=AUTH)).status_code == 409
    r = await api.post("/api/v1/devices/kiosk-A-01/code", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["device"]["state"] == "pending"
    assert (await api.post("/api/v1/devices/nope/code", headers=AUTH)).status_code == 404


async def test_manager_endpoints_need_the_token(api: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/api/v1/devices"), ("POST", "/api/v1/devices"),
                         ("POST", "/api/v1/devices/x/retire"), ("POST", "/api/v1/devices/x/code")):
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}):
            r = await api.request(method, path, headers=headers, json={})
            assert r.status_code == 401, (method, path, headers)
    assert (await api.get("/api/v1/ca")).status_code == 200  # the CA is public


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"{not json", 400), (b"[1, 2]", 400), (b'{"code": 5}', 400), (b"{}", 400), (b"x" * (MAX_BODY + 1), 400)],
)
async def test_malformed_bodies(api: httpx.AsyncClient, content: bytes, status: int) -> None:
    r = await api.post("/api/v1/enroll/claim", content=content)
    assert r.status_code == status
    assert r.json()["error"]["message_zh"]


async def test_bad_slot_input(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/devices", json={"role": "toaster", "zone": "A", "name": "x"}, headers=AUTH)
    assert r.status_code == 400
    r = await api.post("/api/v1/devices", json={"role": "kiosk", "zone": "../A", "name": "x"}, headers=AUTH)
    assert r.status_code == 400


async def test_wrong_codes_are_rate_limited_per_source(api: httpx.AsyncClient, service: EnrollmentService) -> None:
    statuses = []
    for i in range(6):
        r = await api.post("/api/v1/enroll/claim", json={"code": str(EnrollmentCode(f"{i:012d}", service.ca.pin))})
        statuses.append(r.status_code)
    assert statuses == [403] * 5 + [429]
    # Even the right code waits out the block: the limiter runs before the lookup.
    code = str((await new_slot(api))["code"])
    assert (await api.post("/api/v1/enroll/claim", json={"code": code})).status_code == 429


def test_manager_token_sources(tmp_path: Path) -> None:
    f = tmp_path / "manager.token"
    f.write_text("t" * 32 + "\n")
    os.chmod(f, 0o644)
    with pytest.raises(TokenError):
        load_manager_token(f, env={})
    os.chmod(f, 0o600)
    assert load_manager_token(f, env={}) == "t" * 32
    assert load_manager_token(f, env={"ONEVISIT_MANAGER_TOKEN": "e" * 20}) == "e" * 20
    f.write_text("short")
    with pytest.raises(TokenError):
        load_manager_token(f, env={})
    with pytest.raises(TokenError):
        load_manager_token(None, env={})
