"""The persistent containers behave like dict / sorted list and never change an older version."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_controller.engine.persistent import PMap, PSortedList

ops = st.lists(st.tuples(st.booleans(), st.text(max_size=4), st.integers()), max_size=300)


@given(ops)
def test_pmap_matches_dict_and_keeps_old_versions(script: list[tuple[bool, str, int]]) -> None:
    m: PMap[str, int] = PMap()
    ref: dict[str, int] = {}
    versions: list[tuple[PMap[str, int], dict[str, int]]] = []
    for is_set, key, value in script:
        if is_set:
            m = m.set(key, value)
            ref[key] = value
        else:
            m = m.delete(key)
            ref.pop(key, None)
        versions.append((m, dict(ref)))
        assert len(m) == len(ref)
        assert m.get(key) == ref.get(key)
    for version, snapshot in versions:
        assert dict(version.items()) == snapshot
    rebuilt = PMap.from_items(sorted(ref.items()))
    assert rebuilt == m
    if ref:
        assert m.set("\x00new", 1) != m


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 400)), max_size=600))
def test_psortedlist_matches_sorted_list(script: list[tuple[bool, int]]) -> None:
    s: PSortedList[int] = PSortedList()
    ref: list[int] = []
    history = []
    for add, key in script:
        if add and key not in ref:
            s = s.add(key)
            ref.append(key)
            ref.sort()
        elif not add and key in ref:
            s = s.remove(key)
            ref.remove(key)
        history.append((s, list(ref)))
        assert len(s) == len(ref)
        assert s.first() == (ref[0] if ref else None)
    for version, snapshot in history:
        assert list(version) == snapshot
    for i, key in enumerate(ref):
        assert s.rank(key) == i
        assert key in s
    assert s.head(3) == ref[:3]


def test_psortedlist_splits_chunks_and_rejects_duplicates() -> None:
    s: PSortedList[int] = PSortedList()
    for k in range(1000, 0, -1):
        s = s.add(k)
    assert list(s) == list(range(1, 1001))
    assert len(s._chunks) > 1
    with pytest.raises(KeyError):
        s.add(5)
    with pytest.raises(KeyError):
        s.remove(5000)
