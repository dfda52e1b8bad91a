"""Card applications (APDU scripts as plugins). Each implements ``interface.CardApplication``."""

from drivers.smartcard.apps.iso7816 import AidSelection, CardSummary, Iso7816Application
from drivers.smartcard.apps.sscard import (
    SSSE_NAME,
    PsamAuthenticator,
    SocialSecurityCardApplication,
    SsCardHolder,
    SsCardIssuerInfo,
    SsCardResult,
)

__all__ = [
    "SSSE_NAME",
    "AidSelection",
    "CardSummary",
    "Iso7816Application",
    "PsamAuthenticator",
    "SocialSecurityCardApplication",
    "SsCardHolder",
    "SsCardIssuerInfo",
    "SsCardResult",
]
