"""社会保障卡 (Chinese social-security card): what a terminal without a PSAM may read, and where a PSAM goes.

Layout (MOHRSS 《社会保障卡文件结构和数据项》V2.0, as summarised in public sources; confirm on real cards of
your province before relying on a field):
- the social-security environment SSSE is selected by its DF name "sx1.sh.社会保障" in GBK
  (73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF);
- under it, EF05 发卡机构数据 holds items 01 卡的识别码, 02 卡的类别, 03 规范版本, 04 初始化机构编号,
  05 发卡日期, 06 卡有效期, 07 卡号; EF06 持卡人基本信息 holds 08 社会保障号码, 09 姓名, 0A 性别,
  0B 民族, 0C 出生地, 0D 出生日期 (4E 姓名扩展 on newer cards);
- items are records read with READ RECORD by record identifier (P1 = item tag, P2 = 00).

Access rights are set by each issuing province. Issuer data in EF05 is generally free to read; holder data
and every application DF (DF01 公共应用 … DF04 医疗保险, the wallet) may demand that the terminal first
proves itself with keys held only in a licensed terminal's PSAM (internal/external authentication with
keys diversified by the card's identifiers). This module never invents a value: whatever the card refuses
raises ``PsamRequired``; a provincial integration plugs its PSAM in through ``PsamAuthenticator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from drivers.smartcard.apdu import INS_READ_RECORD, INS_SELECT, SECURITY_SW, CommandApdu, describe_sw, is_success
from drivers.smartcard.atr import Atr
from drivers.smartcard.errors import CardStatusError, PsamRequired, UnsupportedCard
from drivers.smartcard.interface import CardChannel

SSSE_NAME = "sx1.sh.社会保障".encode("gbk")
EF_ISSUER = 0xEF05
EF_HOLDER = 0xEF06

ISSUER_ITEMS = {0x01: "card_identifier", 0x02: "card_type", 0x03: "spec_version", 0x04: "issuer_org",
                0x05: "issue_date", 0x06: "expiry_date", 0x07: "card_number"}
ISSUER_BCD = {0x04, 0x05, 0x06}
HOLDER_ITEMS = {0x08: "social_security_number", 0x09: "name", 0x0A: "gender", 0x0B: "ethnicity",
                0x0C: "birthplace", 0x0D: "birth_date"}
HOLDER_BCD = {0x0B, 0x0C, 0x0D}


class PsamAuthenticator(Protocol):
    """The plug-in point for a licensed terminal's PSAM (supplied by a provincial integration, not here).

    ``authenticate`` runs the province's key scheme between the card (through ``card``) and the PSAM
    (usually in the reader's SAM slot, reached by its own channel) so that the card grants access to
    ``ef`` under SSSE; it raises ``PsamRequired`` or a ``SmartcardError`` if that fails.
    """

    async def authenticate(self, card: CardChannel, issuer: SsCardIssuerInfo, ef: int) -> None: ...


@dataclass(frozen=True)
class SsCardIssuerInfo:
    """EF05 发卡机构数据. ``card_number`` is printed on the card; log it masked only."""

    card_identifier: str = ""
    card_type: str = ""
    spec_version: str = ""
    issuer_org: str = ""
    issue_date: str = ""
    expiry_date: str = ""
    card_number: str = ""

    def __repr__(self) -> str:
        masked = self.card_number[:2] + "*" * max(0, len(self.card_number) - 2)
        return (f"SsCardIssuerInfo(card_type={self.card_type!r}, spec_version={self.spec_version!r}, "
                f"issuer_org={self.issuer_org!r}, issue_date={self.issue_date!r}, "
                f"expiry_date={self.expiry_date!r}, card_number={masked!r})")


@dataclass(frozen=True)
class SsCardHolder:
    """EF06 持卡人基本信息: personal data. Keep it in the session only; its repr is masked."""

    social_security_number: str = ""
    name: str = ""
    gender: str = ""
    ethnicity: str = ""
    birthplace: str = ""
    birth_date: str = ""

    def __repr__(self) -> str:
        n = self.social_security_number
        masked = n[:1] + "*" * max(0, len(n) - 2) + n[-1:] if n else ""
        name = self.name[:1] + "*" * max(0, len(self.name) - 1)
        return f"SsCardHolder(social_security_number={masked!r}, name={name!r})"


@dataclass(frozen=True)
class SsCardResult:
    issuer: SsCardIssuerInfo
    holder: SsCardHolder | None = None  # None when not asked for
    refused_items: tuple[int, ...] = field(default=())  # issuer items the card would not give without a PSAM


def _decode_an(value: bytes) -> str:
    """'an' items: ASCII, right-padded with 00 (or spaces). Non-ASCII bytes come back as hex, unaltered."""
    text = value.rstrip(b"\x00 ")
    if all(0x20 <= b < 0x7F for b in text):
        return text.decode("ascii")
    return text.hex().upper()


def _decode_cn(value: bytes) -> str:
    """'cn' items: packed BCD, left-aligned, right-padded with F."""
    return value.hex().upper().rstrip("F")


def _decode_name(value: bytes) -> str:
    text = value.rstrip(b"\x00 ")
    try:
        return text.decode("gbk")
    except UnicodeDecodeError:
        return text.hex().upper()


def _strip_record(tag: int, data: bytes) -> bytes:
    """Records may come back as the bare value or as tag | length | value; accept both."""
    if len(data) >= 2 and data[0] == tag and data[1] == len(data) - 2:
        return data[2:]
    return data


class SocialSecurityCardApplication:
    """Select SSSE, read EF05 (issuer), and EF06 (holder) when ``read_holder`` and the card allows it."""

    name = "sscard"

    def __init__(self, *, read_holder: bool = False, psam: PsamAuthenticator | None = None) -> None:
        self.read_holder = read_holder
        self.psam = psam

    def matches(self, atr: Atr) -> bool:
        # Card makers differ and the ATR does not name the application: the SELECT below decides.
        return True

    async def run(self, channel: CardChannel) -> SsCardResult:
        selected = await channel.transmit(CommandApdu(0x00, INS_SELECT, 0x04, 0x00, SSSE_NAME, le=256))
        if selected.sw in (0x6A82, 0x6A81, 0x6D00, 0x6E00):
            raise UnsupportedCard(f"no SSSE application (SELECT by name: {describe_sw(selected.sw)})")
        if not is_success(selected.sw):
            raise CardStatusError("SELECT SSSE failed", selected.sw)
        items, refused = await self._read_file(channel, EF_ISSUER, ISSUER_ITEMS)
        if refused and not items:
            raise PsamRequired("EF05 (issuer data) is readable only after PSAM authentication on this card")
        issuer = SsCardIssuerInfo(**{
            ISSUER_ITEMS[tag]: _decode_cn(v) if tag in ISSUER_BCD else _decode_an(v) for tag, v in items.items()})
        holder = None
        if self.read_holder:
            holder = await self._read_holder(channel, issuer)
        return SsCardResult(issuer=issuer, holder=holder, refused_items=tuple(refused))

    async def _read_holder(self, channel: CardChannel, issuer: SsCardIssuerInfo) -> SsCardHolder:
        items, refused = await self._read_file(channel, EF_HOLDER, HOLDER_ITEMS)
        if refused and self.psam is not None:
            await self.psam.authenticate(channel, issuer, EF_HOLDER)
            items, refused = await self._read_file(channel, EF_HOLDER, HOLDER_ITEMS)
        if refused:
            raise PsamRequired(f"EF06 items {', '.join(f'{t:02X}' for t in refused)} need PSAM authentication")
        values: dict[str, str] = {}
        for tag, value in items.items():
            if tag == 0x09:
                values[HOLDER_ITEMS[tag]] = _decode_name(value)
            elif tag in HOLDER_BCD:
                values[HOLDER_ITEMS[tag]] = _decode_cn(value)
            else:
                values[HOLDER_ITEMS[tag]] = _decode_an(value)
        return SsCardHolder(**values)

    async def _read_file(self, channel: CardChannel, ef: int,
                         wanted: dict[int, str]) -> tuple[dict[int, bytes], list[int]]:
        """Read each item; return what the card gave and the tags it refused for lack of authentication."""
        selected = await channel.transmit(CommandApdu(0x00, INS_SELECT, 0x02, 0x00, ef.to_bytes(2, "big")))
        if selected.sw in SECURITY_SW:
            return {}, list(wanted)
        if not is_success(selected.sw):
            raise CardStatusError(f"SELECT {ef:04X} failed", selected.sw)
        items: dict[int, bytes] = {}
        refused: list[int] = []
        for tag in wanted:
            response = await channel.transmit(CommandApdu(0x00, INS_READ_RECORD, tag, 0x00, le=256))
            if response.sw in SECURITY_SW:
                refused.append(tag)
            elif response.sw in (0x6A83, 0x6A88, 0x6A82):
                continue  # item not personalised on this card: absent, not invented
            elif is_success(response.sw):
                items[tag] = _strip_record(tag, response.data)
            else:
                raise CardStatusError(f"READ RECORD {ef:04X}/{tag:02X} failed", response.sw)
        return items, refused
