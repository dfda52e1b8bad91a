"""OneVisit's wire contract: MQTT topics, versioned messages, the local socket protocol, error codes."""

from hall_protocol.codec import SCHEMA_VERSION, Message, decode, decode_as, encode
from hall_protocol.errors import ErrorCode, OneVisitError, ProtocolError
from hall_protocol.health import HealthState, PeripheralHealth

__all__ = [
    "SCHEMA_VERSION",
    "ErrorCode",
    "HealthState",
    "Message",
    "OneVisitError",
    "PeripheralHealth",
    "ProtocolError",
    "decode",
    "decode_as",
    "encode",
]
