"""ISO/IEC 7816-3 answer-to-reset parsing (sans-IO): protocols offered and the historical bytes."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.smartcard.errors import AtrError

MAX_ATR = 33


@dataclass(frozen=True)
class Atr:
    raw: bytes
    convention: str  # "direct" (TS=3B) or "inverse" (TS=3F)
    protocols: tuple[int, ...]  # T=0, T=1, … in the order the card offers them (T=0 implied if none)
    interface_bytes: tuple[tuple[str, int], ...]  # ("TA1", 0x11), …
    historical: bytes
    tck: int | None  # required by ISO 7816-3 unless only T=0 is offered; some cards omit it anyway
    tck_valid: bool | None  # None when there is no TCK; a bad TCK is reported, not fatal (pcscd accepted it)

    @property
    def hex(self) -> str:
        return self.raw.hex(" ").upper()

    def category_indicator(self) -> int | None:
        """First historical byte (ISO 7816-4 §8.1.1): 00/80/10 are the standard compact-TLV layouts."""
        return self.historical[0] if self.historical else None


def parse_atr(raw: bytes) -> Atr:
    raw = bytes(raw)
    if len(raw) < 2:
        raise AtrError(f"ATR of {len(raw)} bytes is too short")
    if len(raw) > MAX_ATR:
        raise AtrError(f"ATR of {len(raw)} bytes is longer than {MAX_ATR}")
    ts = raw[0]
    if ts not in (0x3B, 0x3F):
        raise AtrError(f"TS={ts:02X} is neither 3B (direct) nor 3F (inverse)")
    t0 = raw[1]
    k = t0 & 0x0F
    y = t0 >> 4
    pos = 2
    index = 1
    protocols: list[int] = []
    interface: list[tuple[str, int]] = []
    while True:
        td: int | None = None
        for bit, letter in ((0x1, "A"), (0x2, "B"), (0x4, "C"), (0x8, "D")):
            if not y & bit:
                continue
            if pos >= len(raw):
                raise AtrError(f"ATR ends inside interface byte T{letter}{index}")
            interface.append((f"T{letter}{index}", raw[pos]))
            if letter == "D":
                td = raw[pos]
            pos += 1
        if td is None:
            break
        protocols.append(td & 0x0F)
        y = td >> 4
        index += 1
    if pos + k > len(raw):
        raise AtrError(f"ATR announces {k} historical bytes but only {len(raw) - pos} remain")
    historical = raw[pos : pos + k]
    pos += k
    needs_tck = any(p != 0 for p in protocols)
    tck: int | None = None
    tck_valid: bool | None = None
    extra = len(raw) - pos
    if extra > 1 or (extra == 1 and not needs_tck):
        raise AtrError(f"ATR has {extra} unexpected bytes after the historical bytes")
    if extra == 1:
        tck = raw[pos]
        check = 0
        for b in raw[1:]:
            check ^= b
        tck_valid = check == 0
    return Atr(raw, "direct" if ts == 0x3B else "inverse", tuple(protocols) or (0,), tuple(interface),
               historical, tck, tck_valid)


def build_atr(*, historical: bytes = b"", protocols: tuple[int, ...] = (), ta1: int | None = None) -> bytes:
    """The smallest valid direct-convention ATR offering ``protocols`` with ``historical`` bytes.

    Used by the simulator and the test card; a real card's ATR always comes from the card.
    """
    if len(historical) > 15:
        raise AtrError("at most 15 historical bytes")
    out = bytearray([0x3B, 0])
    y1 = (0x1 if ta1 is not None else 0) | (0x8 if protocols else 0)
    out[1] = (y1 << 4) | len(historical)
    if ta1 is not None:
        out.append(ta1)
    for i, proto in enumerate(protocols):
        more = 0x80 if i + 1 < len(protocols) else 0
        out.append(more | proto)
    out += historical
    if any(p != 0 for p in protocols):
        check = 0
        for b in out[1:]:
            check ^= b
        out.append(check)
    return bytes(out)
