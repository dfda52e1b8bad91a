"""A citizen's phone number, given at the kiosk with consent, leaves this device only sealed for the hall
controller (``hall_runtime.sealed_box``): the outbox on disk and the MQTT topics never hold it in clear.

The controller's public key arrives in the retained hall state (``HallState.contact_key``). Without one (the
hall never heard since this agent started, or messages are not set up there) the number is dropped: the
ticket is issued all the same, and the citizen follows it on the phone page instead.
"""

from __future__ import annotations

import logging

import msgspec

from hall_protocol.tickets import IssueTicket
from hall_runtime.sealed_box import SealError, seal

log = logging.getLogger(__name__)


def sealed_request(request: IssueTicket, contact_key: str) -> IssueTicket:
    """``request`` with its ``notify_phone`` sealed into ``notify_sealed`` (or dropped)."""
    if request.notify_phone is None:
        return request
    if contact_key:
        try:
            return msgspec.structs.replace(request, notify_phone=None,
                                           notify_sealed=seal(contact_key, request.notify_phone))
        except SealError as err:
            log.warning("request %s: the hall's contact key is unusable (%s); the phone number is dropped",
                        request.request_id, err)
    else:
        log.info("request %s: no contact key from the hall yet; the phone number is dropped", request.request_id)
    return msgspec.structs.replace(request, notify_phone=None)
