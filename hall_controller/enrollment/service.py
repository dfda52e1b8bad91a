"""Enrolment as the controller runs it: slots and codes, CSR signing, broker credentials, retirement.

Every public method takes its time from ``self.clock``; blocking work (SQLite, files, signing) runs in a
thread from the async methods. The HTTP API (:mod:`hall_controller.http_api`) and the ``onevisit device``
command are thin layers over this class.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from hall_controller.actors import Actor, ActorKind
from hall_controller.enrollment import dynsec
from hall_controller.enrollment.attempts import AttemptLimiter
from hall_controller.enrollment.ca import HallCA, RevokedCert
from hall_controller.enrollment.errors import BadRequest, BrokerAdminError, CodeInvalid, EnrollmentError, SlotNotFound
from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_controller.enrollment.registry import DeviceRecord, DeviceRegistry, RevokedSerial, hash_secret
from hall_protocol import enrolment as wire
from hall_protocol.codec import decode
from hall_protocol.devices import DeviceState, Role, SelfTestReport
from hall_protocol.enrolment import CodeFormatError, EnrollmentCode, enroll_link, new_secret
from hall_protocol.errors import ProtocolError
from hall_protocol.health import HealthState
from hall_protocol.topics import check_id
from hall_runtime.files import write_private
from hall_runtime.log_limit import LogLimiter

log = logging.getLogger(__name__)

DEFAULT_CODE_TTL_S = 15 * 60
ADMIN_SECRET = "broker-admin.secret"
CONTROLLER_SECRET = "broker-controller.secret"
MANAGER_TOKEN = "manager.token"


@dataclass(frozen=True)
class EnrollmentSettings:
    hall: str
    db_path: Path
    """The controller's SQLite file; the registry keeps its own ``enrollment_*`` tables in it."""
    state_dir: Path
    """CA directory (``ca/``) and 0600 secrets: broker admin and controller passwords, manager token."""
    broker_host: str = "127.0.0.1"
    """The broker's name as devices reach it (must be in the server certificate)."""
    broker_tls_port: int = 8883
    admin_host: str = "127.0.0.1"
    admin_port: int = 1883
    """The broker's loopback listener where the dynsec admin connects."""
    controller_url: str = "https://127.0.0.1:8443"
    """The enrolment API as devices reach it; printed in the QR link."""
    server_hosts: tuple[str, ...] = ()
    """Extra names/addresses for the server certificate (127.0.0.1 and localhost are always in)."""
    code_ttl_s: float = DEFAULT_CODE_TTL_S
    device_validity_days: int = 365
    checkin_key: bytes = b""
    """The hall's check-in key (``hall_controller.checkin_key``), handed to every kiosk at enrolment."""

    @property
    def ca_dir(self) -> Path:
        return self.state_dir / "ca"


def ensure_secret(path: Path) -> str:
    """Read a 0600 secret file, creating it with a fresh random value the first time."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    write_private(path, value.encode() + b"\n")
    return value


def init_state(settings: EnrollmentSettings, dynsec_file: Path | None = None) -> HallCA:
    """First-time set-up of the hall server, idempotent: CA, server certificate, CRL, secrets, and (if
    ``dynsec_file`` is given and does not exist yet) the broker's initial ``dynamic-security.json``."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.state_dir, 0o755)
    hosts = tuple(dict.fromkeys((settings.broker_host, *settings.server_hosts)))
    ca = HallCA.load_or_create(settings.ca_dir, hall=settings.hall, server_hosts=hosts)
    admin_pw = ensure_secret(settings.state_dir / ADMIN_SECRET)
    controller_pw = ensure_secret(settings.state_dir / CONTROLLER_SECRET)
    ensure_secret(settings.state_dir / MANAGER_TOKEN)
    if dynsec_file is not None and not dynsec_file.exists():
        body = json.dumps(dynsec.initial_config(admin_pw, controller_pw, hall=ca.hall), indent=2).encode()
        write_private(dynsec_file, body)  # the broker rewrites it on every change; it must not be world-readable
        log.info("wrote the broker's initial dynamic-security file %s", dynsec_file)
    return ca


def controller_broker_password(settings: EnrollmentSettings) -> str:
    """The controller service's broker password (username ``hall-controller``)."""
    return (settings.state_dir / CONTROLLER_SECRET).read_text().strip()


def pidfile_reloader(pidfile: Path) -> Callable[[], None]:
    """A ``reload_broker`` hook that sends SIGHUP to the broker named by its pid file (same user or root)."""

    def reload() -> None:
        os.kill(int(pidfile.read_text().strip()), signal.SIGHUP)

    return reload


@dataclass(frozen=True)
class IssuedCode:
    device: DeviceRecord
    code: str
    """Shown once, never stored: ``SSSS-SSSS-SSSS-PPPP-PPPP-PPPP-PPPP``."""
    expires_at: float
    link: str
    """What the QR holds: the controller URL with the code, for a kiosk camera or a technician's phone."""

    def reply(self, qr_png: str = "") -> wire.IssuedCode:
        return wire.IssuedCode(device=self.device.info(), code=self.code, expires_at=self.expires_at,
                               link=self.link, qr_png=qr_png)


@dataclass(frozen=True)
class EnrollmentResult:
    device_id: str
    cert_pem: str
    ca_pem: str
    broker_host: str
    broker_port: int
    username: str
    password: str
    agent_config: dict[str, Any]
    checkin_key: str = ""  # hex, for a kiosk only

    def reply(self) -> wire.EnrollReply:
        return wire.EnrollReply(
            device_id=self.device_id, cert_pem=self.cert_pem, ca_pem=self.ca_pem,
            broker=wire.BrokerAddress(host=self.broker_host, port=self.broker_port),
            username=self.username, password=self.password, agent_config=self.agent_config,
            checkin_key=self.checkin_key,
        )


def selftest_summary(report: SelfTestReport) -> str:
    """One line for the device list: every peripheral that is not ok, with its reasons."""
    bad = [
        f"{name}: {h.state.value}" + (f" ({', '.join(h.reasons)})" if h.reasons else "")
        for name, h in sorted(report.results.items())
        if h.state is not HealthState.OK
    ]
    if bad:
        return "; ".join(bad)
    return f"{len(report.results)} checks ok" if report.results else "ok"


@dataclass
class EnrollmentService:
    settings: EnrollmentSettings
    registry: DeviceRegistry
    ca: HallCA
    admin: dynsec.BrokerCredentials
    reload_broker: Callable[[], None] | None = None
    """Makes the broker re-read ``crl.pem`` (SIGHUP). Without it the CRL takes effect at the next reload."""
    limiter: AttemptLimiter = field(default_factory=AttemptLimiter)
    clock: Callable[[], float] = time.time
    device_log: LogLimiter = field(default_factory=LogLimiter)
    """What a device publishes on its own topics must not be able to fill the journal."""

    @classmethod
    def open(cls, settings: EnrollmentSettings, *, reload_broker: Callable[[], None] | None = None,
             dynsec_file: Path | None = None, create: bool = True) -> EnrollmentService:
        """The controller opens with ``create=True`` (first start sets the hall up, see :func:`init_state`);
        the ``onevisit device`` command with ``create=False``, so a wrong ``--state-dir`` is an error
        instead of a second CA."""
        ca = init_state(settings, dynsec_file) if create else HallCA.open(settings.ca_dir)
        if not settings.hall:
            settings = replace(settings, hall=ca.hall)
        admin_secret = settings.state_dir / ADMIN_SECRET
        admin = dynsec.BrokerAdmin(
            settings.admin_host, settings.admin_port,
            password=admin_secret.read_text().strip() if admin_secret.exists() else "",
        )
        service = cls(settings, DeviceRegistry(settings.db_path), ca, admin, reload_broker)
        if create:
            service.refresh_crl()
        return service

    # -- manager actions (sync: the CLI calls them directly) ---------------------------------------

    def _issue(self, device_id: str) -> IssuedCode:
        now = self.clock()
        code = EnrollmentCode(new_secret(), self.ca.pin)
        expires_at = self.registry.add_code(device_id, hash_secret(code.secret), now, self.settings.code_ttl_s)
        log.info("one-time code issued for device %s, expires in %.0f s", device_id, self.settings.code_ttl_s)
        return IssuedCode(self.registry.get(device_id, now), str(code), expires_at,
                          enroll_link(self.settings.controller_url, str(code)))

    def create_slot(self, role: Role | str, zone: str, name: str, window: str | None = None) -> IssuedCode:
        """A new device slot and its first one-time code."""
        try:
            role = Role(role)
            rec = self.registry.create_slot(role, zone, name, self.clock(), window)
        except ValueError as err:
            raise BadRequest(f"bad device slot: {err}", f"设备信息有误：{err}") from err
        log.info("device slot %s created (role %s, zone %s)", rec.device_id, role.value, zone)
        return self._issue(rec.device_id)

    def new_code(self, device_id: str) -> IssuedCode:
        """A fresh code for an existing slot: a lost code, or a replacement device (the old one is revoked
        when the new one enrols)."""
        return self._issue(device_id)

    def devices(self) -> list[DeviceRecord]:
        return self.registry.devices(self.clock())

    def actor(self, device_id: str) -> Actor | None:
        """Who an enrolled device is, for the controller's checks (None: unknown, pending or retired)."""
        try:
            rec = self.registry.get(device_id)
        except SlotNotFound:
            return None
        return Actor(ActorKind.DEVICE, rec.device_id, rec.role, rec.zone, rec.window) if rec.live else None

    # -- device actions ----------------------------------------------------------------------------

    def _code(self, text: str, source: str, now: float) -> EnrollmentCode:
        self.limiter.check(source, now)
        try:
            return EnrollmentCode.parse(text)
        except CodeFormatError as err:
            self.limiter.failed(source, now)
            raise BadRequest(err.message_en, err.message_zh) from err

    def _lookup(self, code: EnrollmentCode, source: str, now: float) -> DeviceRecord:
        try:
            if code.pin != self.ca.pin:
                raise CodeInvalid("the code was not issued by this hall", "该授权码不是本大厅签发的。")
            rec = self.registry.check_code(hash_secret(code.secret), now)
        except EnrollmentError:
            self.limiter.failed(source, now)
            log.warning("enrolment refused for %s: bad code", source)
            raise
        return rec

    async def claim(self, code_text: str, source: str) -> DeviceRecord:
        """Which slot a code is for (the device needs its id for the CSR). Does not use the code up."""
        now = self.clock()
        code = self._code(code_text, source, now)
        return await asyncio.to_thread(self._lookup, code, source, now)

    async def enroll(self, code_text: str, csr_pem: str, source: str) -> EnrollmentResult:
        """Check the code, sign the CSR, create the device's broker client and role, use the code up."""
        now = self.clock()
        code = self._code(code_text, source, now)
        rec = await asyncio.to_thread(self._lookup, code, source, now)
        when = dt.datetime.fromtimestamp(now, dt.UTC)
        validity = dt.timedelta(days=self.settings.device_validity_days)
        cert = await asyncio.to_thread(self.ca.sign_device_csr, csr_pem.encode(), rec.device_id, when, validity)
        secret_hash = hash_secret(code.secret)
        rec = await asyncio.to_thread(self.registry.consume_code, secret_hash, now)
        password = dynsec.new_password()
        try:
            await self.admin.add_device(self.settings.hall, rec.device_id, rec.role, rec.zone, password,
                                        text_name=rec.name)
        except BrokerAdminError:
            await asyncio.to_thread(self.registry.release_code, secret_hash)
            raise
        serial = format(cert.serial_number, "x")
        old = await asyncio.to_thread(self.registry.record_enrolment, rec.device_id, serial,
                                      cert.not_valid_after_utc.timestamp(), now)
        if old is not None:
            log.info("device %s replaced: certificate %s revoked", rec.device_id, old.serial)
            await self._publish_crl()
        self.limiter.succeeded(source)
        log.info("device %s enrolled (certificate %s)", rec.device_id, serial)
        agent_config: dict[str, Any] = {
            "device_id": rec.device_id, "role": rec.role.value, "hall": self.settings.hall, "zone": rec.zone,
            "broker": {"host": self.settings.broker_host, "port": self.settings.broker_tls_port, "tls": True,
                       "username": rec.device_id},
        }
        return EnrollmentResult(
            device_id=rec.device_id,
            cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            ca_pem=self.ca.ca_pem.decode(),
            broker_host=self.settings.broker_host,
            broker_port=self.settings.broker_tls_port,
            username=rec.device_id,
            password=password,
            agent_config=agent_config,
            checkin_key=self.settings.checkin_key.hex() if rec.role is Role.KIOSK else "",
        )

    async def retire(self, device_id: str) -> DeviceRecord:
        """Revoke at once: the registry and CRL first (always possible), then the broker client, which
        kicks a live session. If the broker cannot be reached the retirement stands and BrokerAdminError
        says so; :meth:`reconcile_broker` finishes the job later."""
        now = self.clock()
        await asyncio.to_thread(self.registry.retire, device_id, now)
        await self._publish_crl()
        log.info("device %s retired", device_id)
        await self.admin.remove_device(device_id)
        return await asyncio.to_thread(self.registry.get, device_id, now)

    async def reconcile_broker(self) -> int:
        """Delete the broker clients of every retired device, and enable every other enrolled one (a cool-down
        for a hostile device, flood_guard.py, ends with the controller that started it). Idempotent. Returns
        how many were retired."""
        devices = await asyncio.to_thread(self.registry.devices)
        retired = [d.device_id for d in devices if d.status is DeviceStatus.RETIRED]
        for device_id in retired:
            await self.admin.remove_device(device_id)
        enrolled = [d.device_id for d in devices if d.status not in (DeviceStatus.RETIRED, DeviceStatus.PENDING)]
        if enrolled:
            await self.admin.resume_devices(enrolled)
        return len(retired)

    def refresh_crl(self) -> None:
        """Blocking: rewrite ``crl.pem`` from the registry (a fresh ``nextUpdate``) and ask the broker to
        re-read it. Mosquitto refuses every client certificate once its CRL is past ``nextUpdate``, so the
        controller calls this at start and daily, not only on revocations."""
        now = self.clock()
        revoked: list[RevokedSerial] = self.registry.revoked(now)
        self.ca.write_crl(
            [RevokedCert(int(r.serial, 16), dt.datetime.fromtimestamp(r.revoked_at, dt.UTC)) for r in revoked],
            dt.datetime.fromtimestamp(now, dt.UTC),
        )
        if self.reload_broker is not None:
            try:
                self.reload_broker()
            except OSError as err:
                log.warning("could not make the broker re-read the CRL: %s", err)

    async def _publish_crl(self) -> None:
        await asyncio.to_thread(self.refresh_crl)

    # -- presence and self-test (from the device topics the controller subscribes to) ------------

    def handle_device_message(self, device_id: str, leaf: str, payload: bytes) -> DeviceRecord | None:
        """Blocking: a device's state or events message. Unknown devices and bad payloads are logged."""
        now = self.clock()
        try:
            check_id(device_id, "device")
            if leaf == "state":
                state: DeviceState = decode(payload, DeviceState)
                if state.device_id != device_id:
                    raise BadRequest("device id in payload differs from topic", "设备编号不一致。")
                return self.registry.record_presence(device_id, state.online, now)
            if leaf == "events":
                report = decode(payload, SelfTestReport)
                if report.device_id != device_id:
                    raise BadRequest("device id in payload differs from topic", "设备编号不一致。")
                return self.registry.record_selftest(device_id, report.ok, selftest_summary(report), now)
        except ProtocolError as err:
            if leaf == "state" or err.field != "type":  # events carry other message types too
                self.device_log.log(log, logging.WARNING, f"bad:{device_id}", "device %s: bad %s message: %s",
                                device_id, leaf, err)
        except (EnrollmentError, ValueError) as err:
            self.device_log.log(log, logging.INFO, f"ignored:{device_id}", "device %s: %s message not recorded: %s",
                            device_id, leaf, err)
        return None

    async def on_device_message(self, device_id: str, leaf: str, payload: bytes) -> DeviceRecord | None:
        return await asyncio.to_thread(self.handle_device_message, device_id, leaf, payload)
