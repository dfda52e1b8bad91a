"""Broker credentials and ACLs through Mosquitto's dynamic-security plugin.

Two halves: pure builders (the initial ``dynamic-security.json`` and the JSON commands for one device,
built from :mod:`hall_protocol.roles`), and :class:`BrokerAdmin`, which sends commands to
``$CONTROL/dynamic-security/v1`` as the admin client and waits for the broker's answers.

Who is who in the broker:

- ``onevisit-admin`` (role ``dynsec-admin``): may only use the ``$CONTROL/dynamic-security`` API.
- ``hall-controller`` (role ``hall-controller``): the controller service; everything under ``ov/v1/``.
- one client per device, username = device id, with its own role ``device-{id}``: exactly
  ``roles.publish_topics`` to publish and ``roles.subscribe_topics`` to subscribe and receive.

The admin and the controller may connect with one client id each (``ADMIN_CLIENT_ID``,
:func:`controller_client_id`), never their username. The device listener sets every client id to the
username (broker_config.py), so these two accounts cannot log in there even with a device's certificate.
One client id also means one session at a time: :class:`BrokerAdmin` serialises its own exchanges.

Everything else is denied (``defaultACLAccess`` all false except unsubscribe).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiomqtt

from hall_controller.enrollment.errors import BrokerAdminError
from hall_protocol import roles, topics
from hall_protocol.devices import Role

log = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = "$CONTROL/dynamic-security/v1/response"
ADMIN_USER = "onevisit-admin"
ADMIN_ROLE = "dynsec-admin"
CONTROLLER_USER = "hall-controller"
CONTROLLER_ROLE = "hall-controller"
ADMIN_CLIENT_ID = f"{ADMIN_USER}-local"
PBKDF2_ITERATIONS = 101  # what mosquitto_ctrl 2.0.11 writes; the plugin reads the count from the file
SALT_BYTES = 12  # the plugin's fixed salt length in 2.0.x

Command = dict[str, Any]


def new_password() -> str:
    """A broker password: 192 random bits, URL-safe text."""
    return secrets.token_urlsafe(24)


def password_entry(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> dict[str, Any]:
    """The ``password``/``salt``/``iterations`` fields of a client in dynamic-security.json."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=64)
    return {
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": iterations,
    }


def _acl(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "allow": True}


def controller_client_id(hall: str) -> str:
    """The only client id the controller's account may use: the one ``ControllerService.run`` connects with."""
    return f"{CONTROLLER_USER}-{topics.check_id(hall, 'hall')}"


def initial_config(admin_password: str, controller_password: str, *, hall: str) -> dict[str, Any]:
    """The plugin's file before any device exists (what ``mosquitto_ctrl dynsec init`` would write, plus
    the controller's own client, with a narrower admin role, both pinned to their client id)."""
    control = "$CONTROL/dynamic-security/#"
    everything = f"{topics.ROOT}/{topics.TOPIC_VERSION}/#"
    return {
        "clients": [
            {"username": ADMIN_USER, "clientid": ADMIN_CLIENT_ID, "textName": "OneVisit dynsec admin",
             "roles": [{"rolename": ADMIN_ROLE}], **password_entry(admin_password)},
            {"username": CONTROLLER_USER, "clientid": controller_client_id(hall),
             "textName": "OneVisit hall controller", "roles": [{"rolename": CONTROLLER_ROLE}],
             **password_entry(controller_password)},
        ],
        "roles": [
            {"rolename": ADMIN_ROLE, "acls": [
                _acl("publishClientSend", control), _acl("publishClientReceive", control),
                _acl("subscribePattern", control), _acl("unsubscribePattern", control),
            ]},
            {"rolename": CONTROLLER_ROLE, "acls": [
                _acl("publishClientSend", everything), _acl("publishClientReceive", everything),
                _acl("subscribePattern", everything), _acl("unsubscribePattern", everything),
            ]},
        ],
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": False,
            "subscribe": False,
            "unsubscribe": True,
        },
    }


def device_role_name(device_id: str) -> str:
    return f"device-{topics.check_id(device_id, 'device')}"


def device_acls(hall: str, device_id: str, role: Role, zone: str) -> list[dict[str, Any]]:
    """The ACL of one device, straight from :mod:`hall_protocol.roles`.

    Subscriptions use ``subscribeLiteral`` for exact topics, so a device cannot widen a filter with ``+``."""
    acls = [_acl("publishClientSend", t) for t in roles.publish_topics(hall, device_id, role)]
    for t in roles.subscribe_topics(hall, device_id, role, zone):
        kind = "subscribePattern" if t.endswith("#") or "+" in t.split("/") else "subscribeLiteral"
        acls += [_acl(kind, t), _acl("publishClientReceive", t)]
    return acls


def device_commands(hall: str, device_id: str, role: Role, zone: str, password: str,
                    *, text_name: str = "") -> list[Command]:
    """Commands that (re)create a device's client and role. Run after :func:`remove_device_commands`."""
    rolename = device_role_name(device_id)
    return [
        {"command": "createRole", "rolename": rolename, "acls": device_acls(hall, device_id, role, zone)},
        {"command": "createClient", "username": device_id, "password": password, "textname": text_name,
         "roles": [{"rolename": rolename, "priority": 0}]},
    ]


def remove_device_commands(device_id: str) -> list[Command]:
    """Delete a device's client (the broker disconnects its live sessions) and its role."""
    return [
        {"command": "deleteClient", "username": device_id},
        {"command": "deleteRole", "rolename": device_role_name(device_id)},
    ]


def switch_commands(device_ids: Sequence[str], *, enabled: bool) -> list[Command]:
    """Turn device clients off (the broker disconnects them and refuses them) or on again, keeping their
    credentials and roles (a cool-down, not a retirement)."""
    return [{"command": "enableClient" if enabled else "disableClient", "username": d} for d in device_ids]


def _is_missing(error: str) -> bool:
    return "not found" in error.lower()


class BrokerCredentials(Protocol):
    """What enrolment needs from the broker (the real one is :class:`BrokerAdmin`; unit tests use a fake)."""

    async def add_device(self, hall: str, device_id: str, role: Role, zone: str, password: str,
                         *, text_name: str = "") -> None: ...

    async def remove_device(self, device_id: str) -> None: ...

    async def suspend_device(self, device_id: str) -> None: ...

    async def resume_devices(self, device_ids: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class BrokerAdmin:
    """How to reach the broker as the dynsec admin (a loopback listener on the hall server)."""

    host: str
    port: int
    username: str = ADMIN_USER
    password: str = ""
    tls_context: ssl.SSLContext | None = None
    timeout_s: float = 5.0
    _one_session: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, compare=False, repr=False)
    """The admin account has one client id: a second session at once would take the first one over."""

    async def execute(self, commands: list[Command], *, missing_ok: bool = False) -> list[dict[str, Any]]:
        """Send ``commands`` in one message and return the broker's responses in the same order.

        Raises BrokerAdminError when the broker cannot be reached, does not answer in time, or refuses a
        command (a "not found" error is accepted when ``missing_ok``: deleting what is already gone)."""
        if not commands:
            return []
        tag = uuid.uuid4().hex
        tagged = [{**c, "correlationData": f"{tag}-{i}"} for i, c in enumerate(commands)]
        try:
            async with self._one_session, asyncio.timeout(self.timeout_s):
                responses = await self._exchange(tagged, tag)
        except TimeoutError as err:
            raise BrokerAdminError(
                f"the broker did not answer dynamic-security commands within {self.timeout_s}s",
                "消息服务器未及时响应，设备凭据未能更新，请稍后重试。",
            ) from err
        except aiomqtt.MqttError as err:
            raise BrokerAdminError(
                f"cannot reach the broker's admin listener {self.host}:{self.port}: {err}",
                "无法连接消息服务器（管理接口），设备凭据未能更新，请检查 Mosquitto 是否运行。",
            ) from err
        ordered: list[dict[str, Any]] = []
        for i, cmd in enumerate(commands):
            resp = responses.get(f"{tag}-{i}")
            if resp is None:
                raise BrokerAdminError(f"no answer to {cmd['command']}", "消息服务器未返回处理结果，请重试。")
            error = resp.get("error")
            if error and not (missing_ok and _is_missing(str(error))):
                raise BrokerAdminError(
                    f"the broker refused {cmd['command']}: {error}",
                    f"消息服务器拒绝了凭据操作（{cmd['command']}），请查看日志。",
                )
            ordered.append(resp)
        log.debug("dynsec: %s", ", ".join(c["command"] for c in commands))
        return ordered

    async def _exchange(self, tagged: list[Command], tag: str) -> dict[str, dict[str, Any]]:
        async with aiomqtt.Client(
            self.host, self.port, identifier=ADMIN_CLIENT_ID, username=self.username,
            password=self.password, tls_context=self.tls_context, protocol=aiomqtt.ProtocolVersion.V5,
            timeout=self.timeout_s,
        ) as client:
            await client.subscribe(RESPONSE_TOPIC, qos=1)
            await client.publish(CONTROL_TOPIC, json.dumps({"commands": tagged}).encode(), qos=1)
            found: dict[str, dict[str, Any]] = {}
            async for message in client.messages:
                payload = message.payload
                if not isinstance(payload, bytes | bytearray):
                    continue
                try:
                    body = json.loads(payload)
                except ValueError:
                    continue
                for resp in body.get("responses", []) if isinstance(body, dict) else []:
                    corr = resp.get("correlationData") if isinstance(resp, dict) else None
                    if isinstance(corr, str) and corr.startswith(tag):
                        found[corr] = resp
                if len(found) >= len(tagged):
                    return found
            return found

    async def add_device(self, hall: str, device_id: str, role: Role, zone: str, password: str,
                         *, text_name: str = "") -> None:
        """Replace any old client/role of ``device_id`` with fresh ones (enrolment and replacement)."""
        await self.execute(remove_device_commands(device_id), missing_ok=True)
        await self.execute(device_commands(hall, device_id, role, zone, password, text_name=text_name))

    async def remove_device(self, device_id: str) -> None:
        await self.execute(remove_device_commands(device_id), missing_ok=True)

    async def suspend_device(self, device_id: str) -> None:
        await self.execute(switch_commands([device_id], enabled=False))

    async def resume_devices(self, device_ids: Sequence[str]) -> None:
        """Enable ``device_ids`` again; one already gone (retired meanwhile, never enrolled) is no error."""
        await self.execute(switch_commands(device_ids, enabled=True), missing_ok=True)
