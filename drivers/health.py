"""Re-export of the one health shape, so drivers need not reach into the wire package by name."""

from hall_protocol.health import HealthState, PeripheralHealth, worst

__all__ = ["HealthState", "PeripheralHealth", "worst"]
