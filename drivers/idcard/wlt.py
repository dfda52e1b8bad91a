"""The card photo is WLT, a format only vendor libraries decode. OneVisit ships no decoder: a deployment
plugs one in. Without one the WLT bytes stay in the IdentityRecord, in memory, and are never written out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from drivers.idcard.errors import IdCardError
from drivers.idcard.record import IdentityRecord

if TYPE_CHECKING:
    from PIL.Image import Image


class PhotoDecodeError(IdCardError):
    reason = "photo-undecodable"


class WltDecoder(Protocol):
    def decode(self, wlt: bytes) -> Image | bytes:
        """WLT bytes → a PIL image, or encoded image bytes (PNG/BMP). Must not write files it keeps."""
        ...


def decode_photo(record: IdentityRecord, decoder: WltDecoder | None) -> Image | bytes | None:
    """The photo as an image, or None when no decoder is configured or the card has no photo."""
    if decoder is None or not record.photo_wlt:
        return None
    try:
        return decoder.decode(record.photo_wlt)
    except Exception as err:  # a vendor library may raise anything; the kiosk carries on without a photo
        raise PhotoDecodeError(f"WLT decoder {type(decoder).__name__} failed: {type(err).__name__}") from err
