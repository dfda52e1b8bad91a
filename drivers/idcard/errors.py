"""The ID-card reader's exceptions: what went wrong on the line, in the reader, or on the card."""

from __future__ import annotations

from drivers.errors import DeviceAbsent, DeviceFault, DeviceTimeout, DriverError


class IdCardError(DriverError):
    reason = "reader-error"


# --- the byte stream (the peer's fault, or the line's) -------------------------------------------------


class FrameError(IdCardError):
    """A frame that arrived broken; the parser has already skipped it and resynchronised."""

    reason = "line-errors"


class FrameChecksumError(FrameError):
    pass


class FrameLengthError(FrameError):
    pass


class FrameTruncated(FrameError):
    """A frame began but its bytes stopped coming (card pulled away mid-read, cable glitch)."""

    reason = "card-moved"


class UnexpectedResponse(FrameError):
    """A well-formed frame that cannot be the answer to the command sent."""


# --- the reader and its SAM ----------------------------------------------------------------------------


class ReaderStatusError(IdCardError):
    """The reader answered with a failure status (SW3)."""

    def __init__(self, sw3: int, detail: str) -> None:
        super().__init__(detail)
        self.sw3 = sw3


class CommandRejected(ReaderStatusError):
    """The reader says our command was malformed (checksum, length, command, privilege): our bug or noise."""


class SamFault(ReaderStatusError, DeviceFault):
    reason = "sam-fault"


class SamNotAuthorised(ReaderStatusError, DeviceFault):
    reason = "sam-unauthorised"


class CardSelectFailed(ReaderStatusError):
    reason = "card-select-failed"


class CardReadFailed(ReaderStatusError):
    reason = "card-read-failed"


class CardAuthFailed(ReaderStatusError):
    reason = "card-auth-failed"


class UnknownCardType(ReaderStatusError):
    reason = "card-unknown-type"


class NoContent(ReaderStatusError):
    """The card has no content for the item asked (e.g. no fingerprint data)."""

    reason = "card-no-content"


class ReaderTimeout(IdCardError, DeviceTimeout):
    reason = "reader-not-responding"


class ReaderAbsent(IdCardError, DeviceAbsent):
    reason = "reader-absent"


# --- the card's content --------------------------------------------------------------------------------


class CardDataError(IdCardError):
    """The text block read from the card does not decode into a valid identity."""

    reason = "card-data-invalid"


class InvalidIdNumber(CardDataError):
    reason = "id-number-invalid"
