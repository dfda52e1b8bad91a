"""The phone status page's URL scheme (printed as a QR on every ticket)."""

from __future__ import annotations

from urllib.parse import quote

from hall_protocol.topics import check_id


def ticket_status_url(base_url: str, hall: str, ticket_id: str, token: str) -> str:
    """``{base}/t/{hall}/{ticket_id}?k={token}``: the token is an unguessable per-ticket secret, so a
    ticket's page can be opened only by whoever holds the printed ticket."""
    return f"{base_url.rstrip('/')}/t/{check_id(hall, 'hall')}/{quote(ticket_id, safe='')}?k={quote(token, safe='')}"
