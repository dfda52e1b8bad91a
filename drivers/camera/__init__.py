"""Cameras and QR codes: frame sources (V4L2 via OpenCV, picamera2, a simulator), QR scanning with
zxing-cpp, classification of scanned payloads, and the e-ID verification plug-in point."""

from drivers.camera.config import (
    CameraConfig,
    Picamera2CameraConfig,
    SimCameraConfig,
    SimFaultConfig,
    V4l2CameraConfig,
)
from drivers.camera.eid import EidVerifier, SimulatedEidVerifier, VerifiedCredential
from drivers.camera.errors import (
    CameraAbsent,
    CameraBackendMissing,
    CameraError,
    CameraFault,
    CameraNotStarted,
    CameraStalled,
    EidError,
    EidRejected,
    EidRejectReason,
    EidServiceUnavailable,
    PayloadProblem,
    QrPayloadError,
)
from drivers.camera.factory import open_camera
from drivers.camera.frames import Frame, FrameSource
from drivers.camera.payloads import (
    SIMULATED_EID_ISSUERS,
    AppointmentCode,
    EidCode,
    EidIssuer,
    EidKind,
    ParsedCode,
    PayloadRules,
    TicketStatusLink,
    UnknownCode,
    appointment_code,
    parse_payload,
)
from drivers.camera.scanner import CodeDeduplicator, QrScanner, ScannedCode, decode_image
from drivers.camera.self_test import CameraSelfTest, self_test

__all__ = [
    "SIMULATED_EID_ISSUERS",
    "AppointmentCode",
    "CameraAbsent",
    "CameraBackendMissing",
    "CameraConfig",
    "CameraError",
    "CameraFault",
    "CameraNotStarted",
    "CameraSelfTest",
    "CameraStalled",
    "CodeDeduplicator",
    "EidCode",
    "EidError",
    "EidIssuer",
    "EidKind",
    "EidRejectReason",
    "EidRejected",
    "EidServiceUnavailable",
    "EidVerifier",
    "Frame",
    "FrameSource",
    "ParsedCode",
    "PayloadProblem",
    "PayloadRules",
    "Picamera2CameraConfig",
    "QrPayloadError",
    "QrScanner",
    "ScannedCode",
    "SimCameraConfig",
    "SimFaultConfig",
    "SimulatedEidVerifier",
    "TicketStatusLink",
    "UnknownCode",
    "V4l2CameraConfig",
    "VerifiedCredential",
    "appointment_code",
    "decode_image",
    "open_camera",
    "parse_payload",
    "self_test",
]
