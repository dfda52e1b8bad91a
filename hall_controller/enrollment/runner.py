"""Enrolment inside the controller: one coroutine for the controller's TaskGroup.

    tg.create_task(run_enrollment(settings, api_host="0.0.0.0", api_port=8443,
                                  reload_broker=pidfile_reloader(Path("/run/mosquitto/mosquitto.pid"))))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from hall_controller.enrollment.dynsec import CONTROLLER_USER
from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.enrollment.presence import follow_devices
from hall_controller.enrollment.service import EnrollmentService, EnrollmentSettings, controller_broker_password

log = logging.getLogger(__name__)

CRL_REFRESH_S = 24 * 3600  # the CRL is valid for a year; daily keeps a long-running controller far from it


async def run_enrollment(
    settings: EnrollmentSettings,
    *,
    api_host: str = "0.0.0.0",
    api_port: int = 8443,
    manager_token: str | None = None,
    reload_broker: Callable[[], None] | None = None,
    dynsec_file: Path | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Open (first time: create) the hall CA and registry, finish any retirement the broker missed, then
    serve the HTTPS enrolment API and follow device presence until cancelled."""
    from hall_controller.http_api import serve_enrollment_api

    service = await asyncio.to_thread(EnrollmentService.open, settings, reload_broker=reload_broker,
                                      dynsec_file=dynsec_file)
    try:
        retired = await service.reconcile_broker()
        log.info("enrolment ready; %d retired devices kept off the broker", retired)
    except BrokerAdminError as err:
        log.warning("could not check retired devices on the broker now: %s", err)
    password = await asyncio.to_thread(controller_broker_password, settings)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(serve_enrollment_api(service, host=api_host, port=api_port, manager_token=manager_token,
                                            started=started), name="enrollment-api")
        tg.create_task(follow_devices(service, host=settings.admin_host, port=settings.admin_port,
                                      username=CONTROLLER_USER, password=password), name="device-presence")
        tg.create_task(_refresh_crl_daily(service), name="crl-refresh")


async def _refresh_crl_daily(service: EnrollmentService) -> None:
    while True:
        await asyncio.sleep(CRL_REFRESH_S)
        try:
            await asyncio.to_thread(service.refresh_crl)
        except OSError as err:
            log.error("could not rewrite the CRL (devices will be refused once it expires): %s", err)
