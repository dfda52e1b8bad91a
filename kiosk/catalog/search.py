"""Search over the catalog by Chinese name, pinyin initials ("sbk" → 社保卡) and full pinyin.

The index is built once at load: pypinyin is far too slow to run per keystroke on a Pi-class kiosk.
Ranking (higher first): exact name > name prefix > name substring > keyword > pinyin initials > full
pinyin > English; ties go to the shorter name, then the code, so results are stable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pypinyin import Style, lazy_pinyin

from kiosk.i18n import Bilingual

_CJK = re.compile(r"[\u3400-\u9fff]")
_ALNUM = re.compile(r"[a-z0-9]+")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+")


class Searchable(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> Bilingual: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...
    @property
    def department(self) -> Bilingual: ...


T = TypeVar("T", bound=Searchable)


@dataclass(frozen=True, slots=True)
class Term:
    """One searchable phrase of an entry, in every form a query may take."""

    text: str  # as written (Chinese)
    initials: str  # "sbk"
    syllables: tuple[str, ...]  # ("she", "bao", "ka")
    weight: float  # 1 for the name, less for keywords and the department

    @property
    def full(self) -> str:
        return "".join(self.syllables)

    @classmethod
    def of(cls, text: str, weight: float) -> Term:
        syllables: list[str] = []
        initials: list[str] = []
        for run in _RUNS.findall(text.lower()):
            if _CJK.match(run):
                # one syllable per character; the phrase dictionary picks the reading (银行 → yin hang)
                for syl in lazy_pinyin(run, style=Style.NORMAL):
                    syllables.append(syl)
                    initials.append(syl[:1])
            else:
                # Latin words and numbers ("SSC", "12345") are typed whole, never by initial
                for word in _ALNUM.findall(run):
                    syllables.append(word)
                    initials.append(word)
        return cls(text=text, initials="".join(initials), syllables=tuple(syllables), weight=weight)


@dataclass(frozen=True, slots=True)
class SearchHit(Generic[T]):
    entry: T
    score: float
    matched: str  # the phrase that matched, for highlighting


def normalise(query: str) -> str:
    return unicodedata.normalize("NFKC", query).strip().lower()


def _score_chinese(term: Term, q: str) -> float:
    if term.text == q:
        return 100
    if term.text.startswith(q):
        return 90
    pos = term.text.find(q)
    if pos >= 0:
        return 80 - min(pos, 10) * 0.5
    return 0


def _score_latin(term: Term, q: str) -> float:
    letters = "".join(_ALNUM.findall(q))
    if not letters:
        return 0
    if term.initials == letters:
        return 75
    if term.initials.startswith(letters):
        return 70
    full = term.full
    if full == letters:
        return 74
    if full.startswith(letters):
        return 65
    if len(letters) >= 2 and letters in term.initials:
        return 50 - min(term.initials.find(letters), 10) * 0.5
    if len(letters) >= 2:
        # full pinyin from a syllable boundary: "gongjijin" finds 住房公积金, "ao" does not match everything
        offset = 0
        for i, syl in enumerate(term.syllables):
            if full.startswith(letters, offset):
                return 45 - min(i, 10) * 0.5
            offset += len(syl)
    return 0


def _score_english(name_en: str, q: str) -> float:
    if len(q) < 2 or not name_en:
        return 0
    lower = name_en.lower()
    if lower == q:
        return 60
    words = re.findall(r"[a-z0-9]+", lower)
    if any(w.startswith(q) for w in words):
        return 40
    if q in lower:
        return 30
    return 0


class SearchIndex(Generic[T]):
    def __init__(self, entries: list[T]) -> None:
        self._rows: list[tuple[T, tuple[Term, ...]]] = []
        for e in entries:
            terms = [Term.of(e.name.zh, 1.0)]
            terms += [Term.of(k, 0.95) for k in e.keywords]
            if e.department.zh:
                terms += [Term.of(d, 0.6) for d in re.split(r"[、,，]", e.department.zh) if d]
            self._rows.append((e, tuple(terms)))

    def __len__(self) -> int:
        return len(self._rows)

    def search(self, query: str, limit: int = 20) -> list[SearchHit[T]]:
        q = normalise(query)
        if not q:
            return []
        chinese = bool(_CJK.search(q))
        hits: list[SearchHit[T]] = []
        for entry, terms in self._rows:
            best, matched = 0.0, ""
            if q.upper() == entry.code.upper():
                best, matched = 95.0, entry.code
            for term in terms:
                raw = _score_chinese(term, q) if chinese else _score_latin(term, q)
                score = raw * term.weight
                if score > best:
                    best, matched = score, term.text
            if not chinese:
                en = _score_english(entry.name.en, q)
                if en > best:
                    best, matched = en, entry.name.en
            if best > 0:
                hits.append(SearchHit(entry, best, matched))
        hits.sort(key=lambda h: (-h.score, len(h.entry.name.zh), h.entry.code))
        return hits[:limit]
