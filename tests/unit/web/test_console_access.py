"""Who reaches which console page: a manager everything here, a technician the devices only, staff none,
and nobody anything before logging in."""

from __future__ import annotations

import httpx

from hall_controller import permissions
from hall_controller.accounts import PersonRole
from hall_controller.actors import Actor, ActorKind
from tests.unit.web.console_helpers import logged_in

PAGES = ("/console/live", "/console/live.json", "/console/devices", "/console/devices.json",
         "/console/devices/kiosk-1", "/console/devices/kiosk-1.json", "/console/audit", "/console/audit.json",
         "/console/audit.csv", "/console/audit/verify", "/console/settings", "/console/settings.json")
MANAGER_ONLY = ("/console/live", "/console/live.json", "/console/audit", "/console/audit.json", "/console/audit.csv",
                "/console/audit/verify", "/console/settings", "/console/settings.json")
DEVICES = ("/console/devices", "/console/devices.json", "/console/devices/kiosk-1", "/console/devices/kiosk-1.json")
ACTIONS = ("/console/windows/W1/open", "/console/alerts/ack", "/console/notices", "/console/settings/services/PRINT",
           "/console/settings/windows/W1", "/console/devices/slots", "/console/devices/kiosk-1/command",
           "/console/devices/kiosk-1/code", "/console/devices/kiosk-1/retire")


async def test_logged_out_reaches_nothing(web: httpx.AsyncClient) -> None:
    for path in ("/console", *PAGES):
        r = await web.get(path)
        if path.endswith(".json"):
            assert r.status_code == 401, path
        else:
            assert r.status_code == 303, path
            assert r.headers["location"].startswith("/login?next="), path
    for path in ("/console/live/stream", "/console/devices/stream", "/console/devices/kiosk-1/stream"):
        assert (await web.get(path, headers={"HX-Request": "true"})).status_code == 401, path
    for path in ACTIONS:
        assert (await web.post(path, headers={"HX-Request": "true"})).status_code == 401, path


async def test_the_manager_reaches_every_page_of_this_console(web: httpx.AsyncClient) -> None:
    await logged_in(web, "manager")
    assert (await web.get("/console")).headers["location"] == "/console/live"
    for path in PAGES:
        r = await web.get(path)
        assert r.status_code == 200, (path, r.text[:300])
    nav = (await web.get("/console/live")).text
    for href in ("/console/live", "/console/devices", "/console/audit", "/console/settings"):
        assert f'href="{href}"' in nav


async def test_a_technician_sees_devices_only(web: httpx.AsyncClient) -> None:
    await logged_in(web, "tech")
    assert (await web.get("/console")).headers["location"] == "/console/devices"
    for path in DEVICES:
        assert (await web.get(path)).status_code == 200, path
    for path in MANAGER_ONLY:
        assert (await web.get(path)).status_code == 403, path
    nav = (await web.get("/console/devices")).text
    for hidden in ("/console/live", "/console/ratings", "/console/settings", "/console/audit", "/console/reports"):
        assert f'href="{hidden}"' not in nav
    tech = Actor(ActorKind.PERSON, "tech", PersonRole.TECHNICIAN)
    assert not permissions.allowed(tech, permissions.RATINGS_VIEW)
    assert not permissions.allowed(tech, permissions.HALL_MANAGE)


async def test_staff_cannot_reach_the_console(web: httpx.AsyncClient) -> None:
    csrf = await logged_in(web, "staff-w1")
    assert (await web.get("/console")).status_code == 403
    for path in PAGES:
        assert (await web.get(path)).status_code == 403, path
    for path in ACTIONS:
        r = await web.post(path, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
        assert r.status_code == 403, path


async def test_actions_need_the_sessions_csrf_token(web: httpx.AsyncClient) -> None:
    await logged_in(web, "manager")
    for path in ACTIONS:
        r = await web.post(path, headers={"HX-Request": "true", "X-CSRF-Token": "forged"})
        assert r.status_code == 403, path
        assert r.json()["error"]["message_zh"] == "页面已过期，请刷新后重试。"
