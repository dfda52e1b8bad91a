"""The smart-card driver's exceptions: the kind of failure, a machine ``reason``, and detail for the log."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class SmartcardError(DriverError):
    """Root of the smart-card driver's errors."""

    reason = "card-error"


class PcscUnavailable(SmartcardError, DeviceAbsent):
    """The PC/SC service (pcscd) cannot be reached; the driver keeps retrying by itself."""

    reason = "pcscd-unavailable"


class ReaderAbsent(SmartcardError, DeviceAbsent):
    reason = "reader-absent"


class NoCard(SmartcardError):
    reason = "no-card"


class CardRemovedError(SmartcardError):
    """The card left the reader before the exchange finished."""

    reason = "card-removed"


class CardMute(SmartcardError, DeviceTimeout):
    """A card is present but does not answer (dirty contacts, upside down, broken chip)."""

    reason = "card-mute"


class CardProtocolError(SmartcardError, DeviceFault):
    """The card answered something that breaks ISO 7816-4 (the card's fault, not ours)."""

    reason = "card-unrecognised"


class ApduFormatError(SmartcardError, ValueError):
    """A command or response could not be encoded or decoded (bad length, truncated bytes)."""

    reason = "apdu-invalid"


class AtrError(SmartcardError, ValueError):
    """An answer-to-reset that is not a valid ISO 7816-3 ATR."""

    reason = "card-unrecognised"


class CardStatusError(SmartcardError):
    """The card refused a command: the status word says why."""

    reason = "card-refused"

    def __init__(self, detail: str, sw: int) -> None:
        super().__init__(f"{detail}: SW={sw:04X}")
        self.sw = sw


class UnsupportedCard(SmartcardError):
    reason = "card-unsupported"


class PsamRequired(SmartcardError):
    """The data asked for is protected by keys that only a licensed terminal's PSAM holds.

    Raised by the social-security card application for every file it cannot read without a PSAM; a
    provincial integration supplies a ``PsamAuthenticator`` (see docs/smartcard.md) to lift it.
    """

    reason = "psam-required"
