"""Paging for lists: elder mode shows fewer items per page, so every list screen pages the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from kiosk.i18n import Text

T = TypeVar("T")


class Pager(Generic[T]):
    def __init__(self, items: Sequence[T] = (), per_page: int = 8) -> None:
        if per_page < 1:
            raise ValueError("per_page must be at least 1")
        self._items = tuple(items)
        self._per_page = per_page
        self.page = 0

    @property
    def per_page(self) -> int:
        return self._per_page

    @per_page.setter
    def per_page(self, value: int) -> None:
        # keep the first visible item on screen when elder mode changes the page size
        first = self.page * self._per_page
        self._per_page = max(1, value)
        self.page = first // self._per_page

    def set_items(self, items: Sequence[T]) -> None:
        self._items = tuple(items)
        self.page = 0

    @property
    def all(self) -> tuple[T, ...]:
        return self._items

    @property
    def pages(self) -> int:
        return max(1, -(-len(self._items) // self._per_page))

    @property
    def items(self) -> tuple[T, ...]:
        start = self.page * self._per_page
        return self._items[start:start + self._per_page]

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    def next(self) -> bool:
        if self.has_next:
            self.page += 1
            return True
        return False

    def prev(self) -> bool:
        if self.has_prev:
            self.page -= 1
            return True
        return False

    @property
    def label(self) -> Text:
        return Text("common.page", page=self.page + 1, pages=self.pages)
