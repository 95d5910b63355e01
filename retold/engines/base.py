"""The engine interface: map a function over items, in any order of execution, results in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from retold.progress import Progress

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: Progress | None = None, label: str = ""
    ) -> Iterator[R]: ...
