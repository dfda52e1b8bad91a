"""``onevisit provision``: enrol this device with the hall using a one-time code.

1. Fetch the hall CA from the controller and check it against the pin carried in the code; from then on
   every request is verified TLS with that CA as the only trust anchor (the first fetch is unverified, but
   nothing secret is sent on it and its answer is only used if it matches the pin).
2. Ask which slot the code is for (``claim``) to learn the device id, make an EC P-256 key and a CSR with
   CN = device id, and send the CSR with the code (``enroll``).
3. Check the certificate (our key, issued by the pinned CA), store key, certificate, CA, broker password
   and ``agent.toml`` in ``out_dir``, every file 0600, each replaced atomically (a re-run with a new code
   replaces the identity).
4. Connect to the broker with mutual TLS and the new credentials, and publish a self-test report on the
   device's events topic, which the controller records in the device list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

import aiomqtt
import httpx
import msgspec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from edge_agent.config import AgentConfig, load_agent_config
from edge_agent.identity import IdentityPaths, build_csr, key_pem, new_private_key
from hall_protocol import enrolment as wire
from hall_protocol import topics
from hall_protocol.codec import encode
from hall_protocol.config_files import ConfigError
from hall_protocol.devices import SelfTestReport
from hall_protocol.enrolment import CodeFormatError, EnrollmentCode, parse_enroll_link
from hall_protocol.errors import ErrorCode, OneVisitError
from hall_protocol.health import HealthState, PeripheralHealth
from hall_runtime.files import write_private
from hall_runtime.mqtt_client import make_client

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
_JSON = {"content-type": "application/json"}
A = TypeVar("A", bound=msgspec.Struct)
SelfTest = Callable[[], Awaitable[dict[str, PeripheralHealth]]]


class ProvisionError(OneVisitError):
    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh


@dataclass(frozen=True)
class Provisioned:
    device_id: str
    paths: IdentityPaths
    config: AgentConfig
    selftest: SelfTestReport | None


def _fail_http(err: httpx.HTTPError, controller: str) -> ProvisionError:
    if isinstance(err, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(err):
        return ProvisionError(
            f"the controller's TLS certificate is not valid for {controller}: {err}",
            "控制器的证书与所填地址不符，请使用控制台上显示的控制器地址。",
        )
    return ProvisionError(f"cannot reach the controller at {controller}: {err}",
                          "无法连接大厅控制器，请检查网络和控制器地址后重试。")


def _answer(response: httpx.Response, into: type[A]) -> A:
    """The controller's answer as ``into``; its refusal (an ApiErrorBody) as a ProvisionError."""
    if response.status_code >= 400:
        try:
            error = msgspec.json.decode(response.content, type=wire.ApiErrorBody).error
        except msgspec.MsgspecError:
            error = wire.ApiError(code=ErrorCode.INTERNAL, message="unknown error")
        raise ProvisionError(f"the controller refused ({response.status_code}): {error.message}",
                             error.message_zh or "控制器拒绝了接入请求。")
    try:
        return msgspec.json.decode(response.content, type=into)
    except msgspec.MsgspecError as err:
        raise ProvisionError(f"the controller answered {response.status_code} with an unexpected body: {err}",
                             "控制器返回了无法识别的内容。") from err


async def _fetch_ca(controller: str, code: EnrollmentCode) -> x509.Certificate:
    # Unverified on purpose: we do not know the hall CA yet. The answer is trusted only if it matches the
    # pin that came with the code, and nothing secret is sent on this connection.
    try:
        async with httpx.AsyncClient(verify=False, timeout=TIMEOUT_S) as client:
            info = _answer(await client.get(f"{controller}/api/v1/ca"), wire.CaInfo)
    except httpx.HTTPError as err:
        raise _fail_http(err, controller) from err
    try:
        ca = x509.load_pem_x509_certificate(info.ca_pem.encode())
    except ValueError as err:
        raise ProvisionError("the controller sent no valid CA certificate", "控制器未提供有效的 CA 证书。") from err
    if not code.matches_ca(ca):
        raise ProvisionError(
            "the controller's CA does not match the pin in the code: this is not your hall's controller "
            "(or the code belongs to another hall)",
            "控制器证书与授权码不匹配：该地址不是本大厅的控制器（或授权码属于其他大厅），已停止接入。",
        )
    return ca


def _check_cert(cert_pem: str, ca: x509.Certificate, key_public: bytes, device_id: str) -> x509.Certificate:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as err:
        raise ProvisionError(f"the signed certificate does not verify against the hall CA: {err}",
                             "控制器签发的证书无法通过校验，已停止接入。") from err
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cn = [a.value for a in cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)]
    if spki != key_public or cn != [device_id]:
        raise ProvisionError("the signed certificate is not for this device's key", "签发的证书与本设备不符。")
    return cert


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def agent_toml(config: dict[str, Any]) -> str:
    top = [f"{k} = {_toml_value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    tables = [
        f"\n[{name}]\n" + "\n".join(f"{k} = {_toml_value(v)}" for k, v in table.items())
        for name, table in config.items()
        if isinstance(table, dict)
    ]
    return "# Written by `onevisit provision`; the identity files beside it are 0600.\n" + "\n".join(top) + \
        "\n" + "".join(tables) + "\n"


def _store_identity(out_dir: Path, agent: dict[str, Any], key: bytes, cert: bytes, ca: bytes, password: str,
                    data_dir: str | None, socket_path: str | None,
                    checkin_key: str = "") -> tuple[IdentityPaths, AgentConfig]:
    paths = IdentityPaths(out_dir.absolute())
    broker = dict(agent.get("broker") or {})
    broker.update(ca_file=str(paths.ca), cert_file=str(paths.cert), key_file=str(paths.key),
                  password_file=str(paths.password), tls=True)
    config_dict: dict[str, Any] = {k: v for k, v in agent.items() if k != "broker"}
    if checkin_key:
        config_dict["checkin_key_file"] = str(paths.checkin_key)
    if data_dir is not None:
        config_dict["data_dir"] = data_dir
    if socket_path is not None:
        config_dict["socket_path"] = socket_path
    config_dict["broker"] = broker
    # Write to a staging name, validate, then move into place: a bad answer never replaces a good identity.
    staging = paths.directory / ".agent.toml.new"
    write_private(staging, agent_toml(config_dict).encode())
    try:
        config = load_agent_config(staging)
    except ConfigError as err:
        staging.unlink(missing_ok=True)
        raise ProvisionError(f"the controller's device configuration is invalid: {err}",
                             "控制器返回的设备配置无效。") from err
    write_private(paths.key, key)
    write_private(paths.cert, cert)
    write_private(paths.ca, ca)
    write_private(paths.password, password.encode() + b"\n")
    if checkin_key:
        write_private(paths.checkin_key, checkin_key.encode() + b"\n")
    staging.replace(paths.config)
    return paths, config


async def broker_selftest(config: AgentConfig, password: str, selftest: SelfTest | None = None,
                          timeout_s: float = TIMEOUT_S) -> SelfTestReport:
    """Connect with the new identity (mutual TLS + credentials), run ``selftest`` if given, and publish the
    report on the device's events topic; the broker link's own result is part of the report."""
    from edge_agent.app import tls_context_for

    results: dict[str, PeripheralHealth] = {}
    if selftest is not None:
        results.update(await selftest())
    client = make_client(config.broker.host, config.broker.port, identifier=f"provision-{config.device_id}",
                         username=config.broker.username or None, password=password,
                         tls_context=tls_context_for(config), clean_start=True, session_expiry_s=0)
    async with asyncio.timeout(timeout_s), client:
        results["broker-link"] = PeripheralHealth.ok()
        report = SelfTestReport(
            request_id=uuid.uuid4().hex,
            device_id=config.device_id,
            ok=all(h.state in (HealthState.OK, HealthState.DEGRADED) for h in results.values()),
            results=results,
            ts=time.time(),
        )
        await client.publish(topics.device_events(config.hall, config.device_id), encode(report), qos=1)
    return report


async def provision(
    controller: str,
    code_text: str,
    out_dir: Path,
    *,
    data_dir: str | None = None,
    socket_path: str | None = None,
    selftest: SelfTest | None = None,
    check_broker: bool = True,
) -> Provisioned:
    """Enrol this device; see the module docstring. Raises ProvisionError / CodeFormatError for people."""
    controller = controller.rstrip("/")
    if not controller.startswith("https://"):
        raise ProvisionError("the controller URL must start with https://", "控制器地址必须以 https:// 开头。")
    code = EnrollmentCode.parse(code_text)
    ca = await _fetch_ca(controller, code)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    trust = ssl.create_default_context(cadata=ca_pem.decode())
    try:
        async with httpx.AsyncClient(verify=trust, timeout=TIMEOUT_S) as client:
            claim = wire.ClaimRequest(code=str(code))
            slot = _answer(await client.post(f"{controller}/api/v1/enroll/claim", content=msgspec.json.encode(claim),
                                             headers=_JSON), wire.ClaimReply)
            device_id = topics.check_id(slot.device_id, "device")
            key = new_private_key()
            csr = build_csr(key, device_id)
            enroll = wire.EnrollRequest(code=str(code), csr_pem=csr.decode())
            result = _answer(await client.post(f"{controller}/api/v1/enroll", content=msgspec.json.encode(enroll),
                                               headers=_JSON), wire.EnrollReply)
    except httpx.HTTPError as err:
        raise _fail_http(err, controller) from err
    except ValueError as err:
        raise ProvisionError(f"the controller sent a bad device id: {err}", "控制器返回的设备编号无效。") from err
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    cert = _check_cert(result.cert_pem, ca, public, device_id)
    password = result.password
    agent = result.agent_config
    if agent.get("device_id") != device_id:
        raise ProvisionError("the controller's answer lacks the device configuration", "控制器未返回设备配置。")

    paths, config = await asyncio.to_thread(
        _store_identity, out_dir, agent, key_pem(key), cert.public_bytes(serialization.Encoding.PEM), ca_pem,
        password, data_dir, socket_path, result.checkin_key,
    )
    log.info("device %s enrolled; identity stored in %s", device_id, paths.directory)

    report = None
    if check_broker:
        try:
            report = await broker_selftest(config, password, selftest)
        except (aiomqtt.MqttError, TimeoutError, OSError) as err:
            raise ProvisionError(
                f"enrolled, but the broker at {config.broker.host}:{config.broker.port} refused or did not "
                f"answer with the new identity: {err}",
                "已完成接入，但使用新证书连接消息服务器失败，请检查网络后运行 onevisit agent，或联系管理员。",
            ) from err
    return Provisioned(device_id, paths, config, report)


def provision_cli(
    controller: str,
    code: str,
    out_dir: Path,
    *,
    data_dir: str | None = None,
    socket_path: str | None = None,
    out: TextIO | None = None,
) -> int:
    """``onevisit provision --controller URL --code CODE [--dir DIR]``. Exit codes: 0 ok, 2 bad code,
    1 refused or unreachable."""
    out = out or sys.stdout
    try:
        if code.strip().lower().startswith("https://"):  # a scanned QR link in place of the code
            controller, code = parse_enroll_link(code)
        done = asyncio.run(provision(controller, code, out_dir, data_dir=data_dir, socket_path=socket_path))
    except CodeFormatError as err:
        print(f"{err.message_zh}\n{err.message_en}", file=out)
        return 2
    except ProvisionError as err:
        print(f"接入失败：{err.message_zh}\nProvisioning failed: {err.message_en}", file=out)
        return 1
    print(f"设备 {done.device_id} 已接入大厅 {done.config.hall}。/ Device {done.device_id} enrolled.", file=out)
    print(f"身份文件 / identity: {done.paths.directory} (0600)", file=out)
    if done.selftest is not None:
        verdict = "通过 / passed" if done.selftest.ok else "未通过 / failed"
        print(f"自检 / self-test: {verdict}", file=out)
    print(f"启动 / start: onevisit agent --config {done.paths.config}", file=out)
    return 0
