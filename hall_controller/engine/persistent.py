"""Small persistent (immutable, structure-sharing) containers for the engine state.

The engine must return a new state per command while the old one stays valid (event sourcing, rebuild
checks), yet a command may not copy thousands of tickets. These containers copy only the small piece that
changes: a map copies three 32-slot nodes and one small leaf dict, a sorted list copies its chunk
index and one chunk of at most ``2 * _LOAD`` keys.

Iteration order of :class:`PMap` follows Python's string hash, which differs between processes: nothing
that decides an event may depend on it (sort first).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, Generic, TypeVar, cast

K = TypeVar("K")
V = TypeVar("V")

_FAN = 32
_EMPTY_LEAF: dict[Any, Any] = {}
_EMPTY_L2: list[dict[Any, Any]] = [_EMPTY_LEAF] * _FAN
_EMPTY_L1: list[list[dict[Any, Any]]] = [_EMPTY_L2] * _FAN
_EMPTY_TOP: list[list[list[dict[Any, Any]]]] = [_EMPTY_L1] * _FAN

# Nodes are lists because copying a list and setting one slot is the cheapest copy Python has; like the
# leaf dicts, a node is never mutated once it is part of a map.
_Top = list[list[list[dict[K, V]]]]


class PMap(Generic[K, V]):
    """An immutable hash map with cheap ``set``/``delete`` returning a new map.

    A three-level trie of 32-slot nodes over small dicts (32,768 leaves): an update copies three short
    lists and one leaf dict, which stays small up to a few hundred thousand keys. Leaf dicts are never
    mutated after construction.
    """

    __slots__ = ("_len", "_top")

    def __init__(self) -> None:
        self._top: _Top[K, V] = _EMPTY_TOP
        self._len = 0

    @classmethod
    def _make(cls, top: _Top[K, V], length: int) -> PMap[K, V]:
        new: PMap[K, V] = cls.__new__(cls)
        new._top = top
        new._len = length
        return new

    @classmethod
    def from_items(cls, items: Iterator[tuple[K, V]] | list[tuple[K, V]]) -> PMap[K, V]:
        m: PMap[K, V] = cls()
        for k, v in items:
            m = m.set(k, v)
        return m

    # The descent is spelled out in the lookups and in ``set``: they run several times per command, and a
    # helper call costs more than the descent itself.

    def get(self, key: K, default: V | None = None) -> V | None:
        h = hash(key)
        return self._top[h & 31][(h >> 5) & 31][(h >> 10) & 31].get(key, default)

    def __getitem__(self, key: K) -> V:
        h = hash(key)
        return self._top[h & 31][(h >> 5) & 31][(h >> 10) & 31][key]

    def __contains__(self, key: object) -> bool:
        h = hash(key)
        return key in self._top[h & 31][(h >> 5) & 31][(h >> 10) & 31]

    def set(self, key: K, value: V) -> PMap[K, V]:
        h = hash(key)
        i, j, k = h & 31, (h >> 5) & 31, (h >> 10) & 31
        top = self._top.copy()
        l1 = top[i] = top[i].copy()
        l2 = l1[j] = l1[j].copy()
        leaf = l2[k]
        l2[k] = {**leaf, key: value}
        return PMap._make(top, self._len if key in leaf else self._len + 1)

    def delete(self, key: K) -> PMap[K, V]:
        """Return the map without ``key``; the same map when the key is absent."""
        h = hash(key)
        i, j, k = h & 31, (h >> 5) & 31, (h >> 10) & 31
        leaf = self._top[i][j][k]
        if key not in leaf:
            return self
        top = self._top.copy()
        l1 = top[i] = top[i].copy()
        l2 = l1[j] = l1[j].copy()
        l2[k] = {k2: v for k2, v in leaf.items() if k2 != key}
        return PMap._make(top, self._len - 1)

    def __len__(self) -> int:
        return self._len

    def items(self) -> Iterator[tuple[K, V]]:
        for l1 in self._top:
            if l1 is _EMPTY_L1:
                continue
            for l2 in l1:
                if l2 is _EMPTY_L2:
                    continue
                for leaf in l2:
                    yield from leaf.items()

    def keys(self) -> Iterator[K]:
        for k, _ in self.items():
            yield k

    def values(self) -> Iterator[V]:
        for _, v in self.items():
            yield v

    def __iter__(self) -> Iterator[K]:
        return self.keys()

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PMap) or self._len != other._len:
            return False
        # Same process, same hash: equal maps have equal leaves, whatever the insertion history.
        for a1, b1 in zip(self._top, other._top, strict=True):
            if a1 is b1:
                continue
            for a2, b2 in zip(a1, b1, strict=True):
                if a2 is b2:
                    continue
                for leaf_a, leaf_b in zip(a2, b2, strict=True):
                    if leaf_a is not leaf_b and leaf_a != leaf_b:
                        return False
        return True

    def __hash__(self) -> int:  # content-compared containers must not hash by identity by accident
        raise TypeError("PMap is not hashable")

    def __repr__(self) -> str:
        return f"PMap({dict(sorted(self.items(), key=lambda kv: repr(kv[0])))!r})"


_LOAD = 64
# Keys are tuples compared as a whole; typeshed cannot express "any totally ordered K".
_bisect = cast(Callable[[Any, Any], int], bisect_left)


class PSortedList(Generic[K]):
    """An immutable sorted list of unique, totally ordered keys, stored as a tuple of sorted chunks."""

    __slots__ = ("_chunks", "_len", "_maxes")

    def __init__(self) -> None:
        self._chunks: tuple[tuple[K, ...], ...] = ()
        self._maxes: tuple[K, ...] = ()
        self._len = 0

    @classmethod
    def _make(cls, chunks: tuple[tuple[K, ...], ...], maxes: tuple[K, ...], length: int) -> PSortedList[K]:
        new: PSortedList[K] = cls.__new__(cls)
        new._chunks = chunks
        new._maxes = maxes
        new._len = length
        return new

    def add(self, key: K) -> PSortedList[K]:
        chunks, maxes = self._chunks, self._maxes
        if not chunks:
            return PSortedList._make(((key,),), (key,), 1)
        i = _bisect(maxes, key)
        if i == len(chunks):
            i -= 1
        chunk = chunks[i]
        j = _bisect(chunk, key)
        if j < len(chunk) and chunk[j] == key:
            raise KeyError(key)
        grown = (*chunk[:j], key, *chunk[j:])
        if len(grown) > 2 * _LOAD:
            half = len(grown) // 2
            left, right = grown[:half], grown[half:]
            new_chunks = (*chunks[:i], left, right, *chunks[i + 1 :])
            new_maxes = (*maxes[:i], left[-1], right[-1], *maxes[i + 1 :])
        else:
            new_chunks = (*chunks[:i], grown, *chunks[i + 1 :])
            new_maxes = (*maxes[:i], grown[-1], *maxes[i + 1 :])
        return PSortedList._make(new_chunks, new_maxes, self._len + 1)

    def _locate(self, key: K) -> tuple[int, int]:
        i = _bisect(self._maxes, key)
        if i == len(self._chunks):
            raise KeyError(key)
        chunk = self._chunks[i]
        j = _bisect(chunk, key)
        if j == len(chunk) or chunk[j] != key:
            raise KeyError(key)
        return i, j

    def remove(self, key: K) -> PSortedList[K]:
        """Return the list without ``key``; KeyError when it is absent."""
        i, j = self._locate(key)
        chunks, maxes = self._chunks, self._maxes
        shrunk = (*chunks[i][:j], *chunks[i][j + 1 :])
        if shrunk:
            new_chunks = (*chunks[:i], shrunk, *chunks[i + 1 :])
            new_maxes = (*maxes[:i], shrunk[-1], *maxes[i + 1 :])
        else:
            new_chunks = (*chunks[:i], *chunks[i + 1 :])
            new_maxes = (*maxes[:i], *maxes[i + 1 :])
        return PSortedList._make(new_chunks, new_maxes, self._len - 1)

    def first(self) -> K | None:
        return self._chunks[0][0] if self._chunks else None

    def rank(self, key: K) -> int:
        """0-based index of ``key``; KeyError when absent."""
        i, j = self._locate(key)
        return sum(len(c) for c in self._chunks[:i]) + j

    def count_before(self, key: K) -> int:
        """How many keys sort before ``key`` (present or not)."""
        i = _bisect(self._maxes, key)
        if i == len(self._chunks):
            return self._len
        return sum(len(c) for c in self._chunks[:i]) + _bisect(self._chunks[i], key)

    def head(self, n: int) -> list[K]:
        out: list[K] = []
        for chunk in self._chunks:
            if len(out) >= n:
                break
            out.extend(chunk[: n - len(out)])
        return out

    def __contains__(self, key: object) -> bool:
        try:
            self._locate(key)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return False
        return True

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __iter__(self) -> Iterator[K]:
        return chain.from_iterable(self._chunks)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PSortedList) or self._len != other._len:
            return False
        return self._chunks == other._chunks or list(self) == list(other)

    def __hash__(self) -> int:
        raise TypeError("PSortedList is not hashable")

    def __repr__(self) -> str:
        return f"PSortedList({list(self)!r})"
