"""Progress reporting as a small interface, so the library stays quiet and the CLI shows bars."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]: ...


class NullProgress:
    """Reports nothing: the library default."""

    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
        yield from items


class RichProgress:
    """Progress bars on stderr via rich; only shown for work of ``min_items`` or more."""

    def __init__(self, min_items: int = 200) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.min_items = min_items

    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        if total is not None and total < self.min_items:
            yield from items
            return
        from rich.progress import track

        yield from track(items, total=total, description=label, console=self.console, transient=True)
