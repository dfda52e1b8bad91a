from __future__ import annotations

import base64
import inspect

import pytest

from hall_controller.enrollment import dynsec
from hall_controller.service import ControllerService
from hall_protocol import roles, topics
from hall_protocol.devices import Role


def test_password_hash_matches_what_mosquitto_ctrl_writes() -> None:
    # From `mosquitto_ctrl dynsec init file admin secretpw` (Mosquitto 2.0.11) on this machine.
    entry = dynsec.password_entry("secretpw", base64.b64decode("Vp3D4b8JsnkGlmhw"), 101)
    assert entry["password"] == (
        "Ilwc5PJCBktDgKG4KagsW32j6cDIWl8l+op16Cg24o5Zm6Q4kCfB8xo3bMWdTGnPyHaO4ADTMpHwFLKiJ6M/GQ=="
    )
    assert entry["salt"] == "Vp3D4b8JsnkGlmhw"
    assert entry["iterations"] == 101


def test_fresh_salts_and_passwords() -> None:
    assert dynsec.password_entry("x")["salt"] != dynsec.password_entry("x")["salt"]
    assert len(base64.b64decode(dynsec.password_entry("x")["salt"])) == dynsec.SALT_BYTES
    assert len(dynsec.new_password()) >= 32
    assert dynsec.new_password() != dynsec.new_password()


def test_initial_config_denies_by_default_and_keeps_admin_to_the_control_api() -> None:
    cfg = dynsec.initial_config("a" * 20, "c" * 20, hall="h1")
    assert cfg["defaultACLAccess"] == {"publishClientSend": False, "publishClientReceive": False,
                                       "subscribe": False, "unsubscribe": True}
    by_role = {r["rolename"]: r["acls"] for r in cfg["roles"]}
    assert {a["topic"] for a in by_role[dynsec.ADMIN_ROLE]} == {"$CONTROL/dynamic-security/#"}
    assert {a["topic"] for a in by_role[dynsec.CONTROLLER_ROLE]} == {"ov/v1/#"}
    assert {c["username"] for c in cfg["clients"]} == {dynsec.ADMIN_USER, dynsec.CONTROLLER_USER}
    assert all("a" * 20 not in str(c) and "c" * 20 not in str(c) for c in cfg["clients"])  # hashes only


def test_admin_and_controller_are_pinned_to_a_client_id_that_is_not_their_username() -> None:
    # The device listener replaces a client id with the username, so these two cannot log in there.
    clients = {c["username"]: c for c in dynsec.initial_config("a" * 20, "c" * 20, hall="h1")["clients"]}
    assert clients[dynsec.ADMIN_USER]["clientid"] == dynsec.ADMIN_CLIENT_ID != dynsec.ADMIN_USER
    assert clients[dynsec.CONTROLLER_USER]["clientid"] == "hall-controller-h1"
    # ... and the pin is the client id the controller really connects with
    run = inspect.signature(ControllerService.run).parameters["identifier"].default
    assert f"{run}-h1" == dynsec.controller_client_id("h1")


@pytest.mark.parametrize("role", list(Role))
def test_device_acl_is_exactly_the_roles_table(role: Role) -> None:
    acls = dynsec.device_acls("h1", "dev-1", role, "A")
    assert all(a["allow"] is True for a in acls)
    publish = {a["topic"] for a in acls if a["acltype"] == "publishClientSend"}
    subscribe = {a["topic"] for a in acls if a["acltype"].startswith("subscribe")}
    receive = {a["topic"] for a in acls if a["acltype"] == "publishClientReceive"}
    assert publish == set(roles.publish_topics("h1", "dev-1", role))
    assert subscribe == receive == set(roles.subscribe_topics("h1", "dev-1", role, "A"))
    # Exact topics are literal subscriptions: "+" in a device's filter can never match them.
    assert all(a["acltype"] == "subscribeLiteral" for a in acls if a["acltype"].startswith("subscribe"))
    # No wildcard at all, and never its own reply or command topic (only the controller writes there).
    assert [t for t in publish if "#" in t or "+" in t] == []
    assert topics.device_reply("h1", "dev-1") not in publish
    assert topics.device_cmd("h1", "dev-1") not in publish
    assert all(t.startswith("ov/v1/h1/device/dev-1/") for t in publish)


def test_device_commands_create_role_then_client() -> None:
    remove = dynsec.remove_device_commands("kiosk-A-01")
    assert [c["command"] for c in remove] == ["deleteClient", "deleteRole"]
    create = dynsec.device_commands("h1", "kiosk-A-01", Role.KIOSK, "A", "pw")
    assert [c["command"] for c in create] == ["createRole", "createClient"]
    assert create[1]["username"] == "kiosk-A-01"
    assert create[1]["roles"] == [
        {"rolename": "device-kiosk-A-01", "priority": 0}
    ]
    with pytest.raises(ValueError):
        dynsec.device_role_name("a/b")
