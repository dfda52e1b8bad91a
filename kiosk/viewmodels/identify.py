"""Identify: ID card, social-security card, e-ID QR, or the ID number typed on a large keypad."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Final, Protocol

from hall_protocol.errors import OneVisitError
from hall_protocol.identity import is_valid_id_number
from kiosk.i18n import Text
from kiosk.viewmodels.observable import Observable
from kiosk.viewmodels.session import Identity, IdSource, Session

log = logging.getLogger(__name__)

ID_LENGTH: Final = 18
KEYPAD_KEYS: Final = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0")


class EidError(OneVisitError):
    pass


class EidInvalid(EidError):
    """The QR is not an e-ID code, is forged, or has expired."""


class EidUnavailable(EidError):
    """The e-ID verification service cannot be reached."""


class EidVerifier(Protocol):
    """Resolves an e-ID (网证) QR payload to an identity through the national e-ID service."""

    async def verify(self, payload: str) -> Identity: ...


class Keypad:
    """Sans-IO entry of an ID number: 17 digits then a digit or X; never more than 18 characters."""

    def __init__(self) -> None:
        self._chars: list[str] = []

    @property
    def value(self) -> str:
        return "".join(self._chars)

    @property
    def display(self) -> str:
        """Grouped as on the card (6 · 8 · 4) so a citizen can check it: 210102 19650312 0026."""
        v = self.value
        return " ".join(part for part in (v[:6], v[6:14], v[14:]) if part)

    @property
    def masked(self) -> str:
        """What the screen shows: the first and last four characters typed, stars between
        (1101**********1234); the whole number stays here only."""
        v = self.value
        if len(v) <= 8:
            return v
        return v[:4] + "*" * (len(v) - 8) + v[-4:]

    @property
    def count(self) -> int:
        return len(self._chars)

    @property
    def complete(self) -> bool:
        return len(self._chars) == ID_LENGTH

    @property
    def valid(self) -> bool:
        return self.complete and is_valid_id_number(self.value)

    def key_enabled(self, key: str) -> bool:
        """X is allowed only as the last character; nothing after 18."""
        if len(self._chars) >= ID_LENGTH:
            return False
        if key == "X":
            return len(self._chars) == ID_LENGTH - 1
        return key in KEYPAD_KEYS

    def press(self, key: str) -> bool:
        k = key.upper()
        if not self.key_enabled(k):
            return False
        self._chars.append(k)
        return True

    def backspace(self) -> None:
        if self._chars:
            self._chars.pop()

    def clear(self) -> None:
        self._chars.clear()


class IdentifyMethod(StrEnum):
    ID_CARD = "id-card"
    SSC = "ssc"
    EID_QR = "eid-qr"
    MANUAL = "manual"


_PROMPTS = {
    IdentifyMethod.ID_CARD: "identify.prompt.id_card",
    IdentifyMethod.SSC: "identify.prompt.ssc",
    IdentifyMethod.EID_QR: "identify.prompt.eid_qr",
    IdentifyMethod.MANUAL: "identify.prompt.manual",
}
_LABELS = {
    IdentifyMethod.ID_CARD: "identify.method.id_card",
    IdentifyMethod.SSC: "identify.method.ssc",
    IdentifyMethod.EID_QR: "identify.method.eid_qr",
    IdentifyMethod.MANUAL: "identify.method.manual",
}


class IdentifyViewModel(Observable):
    def __init__(self, session: Session, verifier: EidVerifier | None = None) -> None:
        super().__init__()
        self.session = session
        self.verifier = verifier
        self.title = Text("identify.title")
        self.keypad = Keypad()
        self.method: IdentifyMethod | None = None
        self.error: Text | None = None
        self.busy = False
        self.disabled: set[IdentifyMethod] = set()  # e.g. the reader is faulty

    @property
    def methods(self) -> tuple[tuple[IdentifyMethod, Text, bool], ...]:
        """(method, label, enabled) for the method buttons."""
        return tuple((m, Text(_LABELS[m]), m not in self.disabled) for m in IdentifyMethod)

    @property
    def prompt(self) -> Text:
        return Text(_PROMPTS[self.method]) if self.method else self.title

    @property
    def keypad_count(self) -> Text:
        """Under the number on the keypad: what to type until a key is pressed, then how many are in."""
        if self.keypad.count == 0:
            return Text("identify.prompt.manual")
        return Text("identify.keypad.count", count=self.keypad.count)

    @property
    def greeting(self) -> Text | None:
        ident = self.session.identity
        if ident is None:
            return None
        if ident.name:
            return Text("identify.greeting", name=ident.masked_name)
        return Text("identify.greeting_anonymous")

    def set_available(self, method: IdentifyMethod, available: bool) -> None:
        (self.disabled.discard if available else self.disabled.add)(method)
        self._notify("methods")

    def back(self) -> bool:
        """返回 from a chosen way of identifying leads to the choice of ways; False when none was chosen."""
        if self.method is None:
            return False
        self._set_method(None)
        return True

    def choose(self, method: IdentifyMethod) -> None:
        self._set_method(method)

    def _set_method(self, method: IdentifyMethod | None) -> None:
        self.method = method
        self.error = None
        self.keypad.clear()
        self._notify("method", "error", "keypad")

    # card readers -----------------------------------------------------------------------------------

    def on_card(self, id_number: str, name: str, source: IdSource) -> bool:
        """A reader decoded a card. A number that fails its check digit is a misread: ask again."""
        if not is_valid_id_number(id_number):
            log.warning("card read with an invalid ID number (source %s)", source.value)
            self._fail(Text("identify.error.card_read"))
            return False
        self._accept(Identity(id_number=id_number.strip().upper(), name=name.strip(), source=source))
        return True

    def on_card_error(self) -> None:
        self._fail(Text("identify.error.card_read"))

    # e-ID QR ------------------------------------------------------------------------------------------

    async def on_qr(self, payload: str) -> bool:
        if self.verifier is None:
            self._fail(Text("identify.error.verifier_unavailable"))
            return False
        self.busy = True
        self._notify("busy")
        try:
            identity = await self.verifier.verify(payload)
        except EidInvalid:
            self._fail(Text("identify.error.qr_invalid"))
            return False
        except EidUnavailable as err:
            log.warning("e-ID verification unavailable: %s", err)
            self._fail(Text("identify.error.verifier_unavailable"))
            return False
        finally:
            self.busy = False
            self._notify("busy")
        if not is_valid_id_number(identity.id_number):
            self._fail(Text("identify.error.qr_invalid"))
            return False
        self._accept(Identity(id_number=identity.id_number, name=identity.name, source=IdSource.EID_QR))
        return True

    # keypad -------------------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        if self.keypad.press(key):
            self.error = None
            self._notify("keypad", "error")

    def backspace(self) -> None:
        self.keypad.backspace()
        self.error = None
        self._notify("keypad", "error")

    def clear(self) -> None:
        self.keypad.clear()
        self.error = None
        self._notify("keypad", "error")

    def submit(self) -> bool:
        if not self.keypad.complete:
            self._fail(Text("identify.error.incomplete"))
            return False
        if not self.keypad.valid:
            self._fail(Text("identify.error.check_digit"))
            return False
        self._accept(Identity(id_number=self.keypad.value, source=IdSource.MANUAL))
        self.keypad.clear()
        return True

    # --------------------------------------------------------------------------------------------------

    def _fail(self, message: Text) -> None:
        self.error = message
        self._notify("error")

    def _accept(self, identity: Identity) -> None:
        self.error = None
        self.session.set_identity(identity)
        self._notify("error", "greeting")

    def reset(self) -> None:
        self.keypad.clear()
        self.method = None
        self.error = None
        self.busy = False
        self._notify("method", "error", "keypad", "greeting")
