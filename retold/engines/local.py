"""The default engine: this process, in order. Numeric work inside each item uses pinned threads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from retold.progress import NullProgress, Progress

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LocalEngine:
    def __init__(self, threads: int = 0) -> None:
        self.threads = threads or available_cores()

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: Progress | None = None, label: str = ""
    ) -> Iterator[R]:
        progress = progress or NullProgress()
        for item in progress.track(items, total=len(items), label=label):
            yield fn(item)
