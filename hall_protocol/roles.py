"""What each device role may publish and subscribe to: one table for the agent and the broker ACL."""

from __future__ import annotations

from hall_protocol import topics
from hall_protocol.devices import Role
from hall_protocol.topics import RpcService

RPC_BY_ROLE: dict[Role, tuple[RpcService, ...]] = {
    Role.KIOSK: (RpcService.TICKET, RpcService.LEASE, RpcService.RATING, RpcService.DEVICE),
    Role.HALL_SCREEN: (RpcService.DEVICE,),
    Role.WINDOW_DISPLAY: (RpcService.DEVICE,),
    Role.EVALUATOR: (RpcService.RATING, RpcService.DEVICE),
    Role.WINDOW_TERMINAL: (RpcService.WINDOW, RpcService.TICKET, RpcService.DEVICE),
}


def publish_topics(hall: str, device_id: str, role: Role) -> list[str]:
    """Topics a device may publish to: its presence, telemetry and events, and its role's requests.

    Never its own ``reply`` or ``cmd`` topic (only the controller writes there), never a wildcard."""
    own = [topics.device_state(hall, device_id), topics.device_telemetry(hall, device_id),
           topics.device_events(hall, device_id)]
    return own + [topics.rpc(hall, device_id, s) for s in RPC_BY_ROLE[role]]


def subscribe_topics(hall: str, device_id: str, role: Role, zone: str) -> list[str]:
    """Topic filters a device subscribes to (and may read): its own subtree plus its role's hall feeds."""
    own = [topics.device_reply(hall, device_id), topics.device_cmd(hall, device_id)]
    feeds: dict[Role, list[str]] = {
        Role.KIOSK: [topics.hall_state(hall)],
        Role.HALL_SCREEN: [topics.hall_state(hall), topics.events_calls(hall)],
        Role.WINDOW_DISPLAY: [topics.display(hall, zone), topics.events_calls(hall)],
        Role.EVALUATOR: [topics.events_tickets(hall)],
        Role.WINDOW_TERMINAL: [topics.events_tickets(hall), topics.display(hall, zone)],
    }
    return own + feeds[role]
