"""What a commit hands to the work beside the engine (notifications): the events now on disk, and the contact
details given with the tickets they issued. Listeners run on the commit path, so they only take note (put in a
queue) and never wait or raise: the answer to a device never waits for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hall_controller.engine.events import Event


@dataclass(frozen=True, slots=True, repr=False)
class NewContact:
    """A way to reach the holder of ``ticket_id``, given with their consent when the ticket was taken: in
    clear from an in-process caller (a page), or sealed by a device's agent for the controller."""

    ticket_id: str
    phone: str = ""
    sealed: str = ""

    def __repr__(self) -> str:
        return f"NewContact(ticket_id={self.ticket_id!r}, <contact>)"


@dataclass(frozen=True, slots=True)
class Committed:
    at: float
    events: tuple[Event, ...]
    contacts: tuple[NewContact, ...] = ()


CommitListener = Callable[[Committed], None]
