"""Plumbing every OneVisit process shares, with no contracts and no policy of its own.

Reconnect backoff, the durable SQLite opener, the MQTT client that applies ``hall_protocol.mqtt``'s
conventions, secret files, and systemd notification. It imports only ``hall_protocol`` (and libraries), and
is imported by ``drivers``, ``edge_agent``, ``hall_controller``, ``kiosk`` and ``onevisit``.
"""
