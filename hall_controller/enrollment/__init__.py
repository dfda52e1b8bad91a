"""Device enrolment: the hall CA, the device registry, one-time codes, broker credentials and ACLs.

See docs/provisioning.md for the flow, the trust model and the files.
"""

from hall_controller.enrollment.ca import HallCA
from hall_controller.enrollment.dynsec import BrokerAdmin
from hall_controller.enrollment.errors import EnrollmentError
from hall_controller.enrollment.lifecycle import DeviceStatus
from hall_controller.enrollment.registry import DeviceRecord, DeviceRegistry
from hall_controller.enrollment.service import (
    EnrollmentResult,
    EnrollmentService,
    EnrollmentSettings,
    IssuedCode,
    controller_broker_password,
    init_state,
)

__all__ = [
    "BrokerAdmin",
    "DeviceRecord",
    "DeviceRegistry",
    "DeviceStatus",
    "EnrollmentError",
    "EnrollmentResult",
    "EnrollmentService",
    "EnrollmentSettings",
    "HallCA",
    "IssuedCode",
    "controller_broker_password",
    "init_state",
]
