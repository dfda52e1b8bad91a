"""Enrolment inside the controller: one coroutine for the controller's TaskGroup.

    enrolment = await open_enrollment(settings, reload_broker=pidfile_reloader(Path("/run/mosquitto/mosquitto.pid")))
    service = ControllerService(core, store, on_device=enrolment.on_device_message)  # presence, self-tests
    tg.create_task(run_enrollment(enrolment, api_host="127.0.0.1", api_port=8443))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from hall_controller.enrollment.errors import BrokerAdminError
from hall_controller.enrollment.service import EnrollmentService, EnrollmentSettings

log = logging.getLogger(__name__)

CRL_REFRESH_S = 24 * 3600  # the CRL is valid for a year; daily keeps a long-running controller far from it


async def open_enrollment(
    settings: EnrollmentSettings,
    *,
    reload_broker: Callable[[], None] | None = None,
    dynsec_file: Path | None = None,
) -> EnrollmentService:
    """Open (first time: create) the hall CA and registry."""
    return await asyncio.to_thread(EnrollmentService.open, settings, reload_broker=reload_broker,
                                   dynsec_file=dynsec_file)


async def run_enrollment(
    service: EnrollmentService,
    *,
    api_host: str = "127.0.0.1",
    api_port: int = 8443,
    manager_token: str | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Finish any retirement the broker missed, then serve the HTTPS enrolment API until cancelled. Device
    presence reaches the registry through the controller's own connection (``on_device``)."""
    from hall_controller.http_api import serve_enrollment_api

    try:
        retired = await service.reconcile_broker()
        log.info("enrolment ready; %d retired devices kept off the broker", retired)
    except BrokerAdminError as err:
        log.warning("could not check retired devices on the broker now: %s", err)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(serve_enrollment_api(service, host=api_host, port=api_port, manager_token=manager_token,
                                            started=started), name="enrollment-api")
        tg.create_task(_refresh_crl_daily(service), name="crl-refresh")


async def _refresh_crl_daily(service: EnrollmentService) -> None:
    while True:
        await asyncio.sleep(CRL_REFRESH_S)
        try:
            await asyncio.to_thread(service.refresh_crl)
        except OSError as err:
            log.error("could not rewrite the CRL (devices will be refused once it expires): %s", err)
