"""BER-TLV as used in FCI templates and compact data objects (ISO 7816-4 §5.2), sans-IO."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.smartcard.errors import CardProtocolError


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    children: tuple[Tlv, ...] = ()

    @property
    def constructed(self) -> bool:
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    def find(self, tag: int) -> Tlv | None:
        for child in self.children:
            if child.tag == tag:
                return child
            found = child.find(tag)
            if found is not None:
                return found
        return None


def parse_tlv(data: bytes) -> tuple[Tlv, ...]:
    """All top-level objects in ``data``; constructed ones are parsed recursively. 00/FF padding is skipped."""
    out: list[Tlv] = []
    pos = 0
    n = len(data)
    while pos < n:
        if data[pos] in (0x00, 0xFF):
            pos += 1
            continue
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:
            while True:
                if pos >= n:
                    raise CardProtocolError("TLV ends inside a multi-byte tag")
                tag = (tag << 8) | data[pos]
                pos += 1
                if not data[pos - 1] & 0x80:
                    break
                if tag > 0xFFFFFF:
                    raise CardProtocolError("TLV tag longer than 3 bytes")
        if pos >= n:
            raise CardProtocolError(f"TLV {tag:X} has no length")
        length = data[pos]
        pos += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 3 or pos + count > n:
                raise CardProtocolError(f"TLV {tag:X} has a bad long-form length")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        if pos + length > n:
            raise CardProtocolError(f"TLV {tag:X} claims {length} bytes, {n - pos} remain")
        value = bytes(data[pos : pos + length])
        pos += length
        item = Tlv(tag, value)
        if item.constructed:
            item = Tlv(tag, value, parse_tlv(value))
        out.append(item)
    return tuple(out)


def encode_tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    n = len(value)
    if n < 0x80:
        length = bytes((n,))
    else:
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes((0x80 | len(body),)) + body
    return tag_bytes + length + value
