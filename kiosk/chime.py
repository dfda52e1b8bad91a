"""The hall screen's call chime: two soft tones (a falling third, as halls' announcement systems use), written
once as a WAV that the device's audio player plays. Made here, not shipped: a file of the project's own making
at the speaker's volume, nothing to license.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

RATE = 22_050
TONES_HZ = (784.0, 659.3)  # G5 then E5
TONE_S = 0.45
FADE_S = 0.02  # no click at a tone's edges


def chime_samples(volume: int, rate: int = RATE) -> array[int]:
    """16-bit mono samples of the chime at ``volume`` percent (0 … 100)."""
    peak = 32767 * 0.6 * max(0, min(100, volume)) / 100
    n = int(TONE_S * rate)
    fade = int(FADE_S * rate)
    out = array("h")
    for freq in TONES_HZ:
        for i in range(n):
            # a bell-like decay after a short rise
            envelope = min(1.0, i / fade, (n - i) / fade) * math.exp(-2.5 * i / n)
            out.append(round(peak * envelope * math.sin(2 * math.pi * freq * i / rate)))
    if sys.byteorder == "big":  # WAV samples are little-endian
        out.byteswap()
    return out


def write_chime(path: Path, volume: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(chime_samples(volume).tobytes())
    return path
