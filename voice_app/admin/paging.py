"""Lists in pages (`?page=N`): a site of 100,000 workers is never sent in one page.

A page is fetched with one row more than it shows, which says whether a next page exists;
no count of the whole list is needed (on a search over 100,000 workers a count cost as much
as the page itself)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask import request

PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    size: int
    has_next: bool = False

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def fetch(self) -> int:
        """How many rows to ask for: one more than the page shows."""
        return self.size + 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def requested_page(size: int = PAGE_SIZE) -> Page:
    """The page asked for (`?page=`), the first when missing or not a positive number."""
    return Page(max(1, request.args.get("page", type=int) or 1), size)


def cut(page: Page, rows: Sequence[T]) -> tuple[list[T], Page]:
    """The rows the page shows, and the page knowing whether another follows."""
    return list(rows[: page.size]), Page(page.number, page.size, len(rows) > page.size)
