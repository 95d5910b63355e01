"""The default engine: this machine. Large batches are spread over forked worker processes.

Forking lets workers read the parent's documents without serialising them: only the
item (a pair of indices) goes in and the result (a Pair) comes back. Small batches run
in-process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from retold.progress import NullProgress, Progress

T = TypeVar("T")
R = TypeVar("R")

#: the function being mapped, inherited by forked workers (set only around a map call)
_WORK: Callable[[Any], Any] | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_chunk(chunk: Sequence[Any]) -> list[Any]:
    assert _WORK is not None
    return [_WORK(x) for x in chunk]


class LocalEngine:
    """``processes``: worker processes for big batches (0: one per core; 1: never fork)."""

    def __init__(self, threads: int = 0, processes: int = 0, min_items: int = 2000, chunk: int = 256) -> None:
        self.threads = threads or available_cores()
        self.processes = processes or self.threads
        self.min_items = min_items
        self.chunk = chunk

    def _can_fork(self, n: int) -> bool:
        return self.processes > 1 and n >= self.min_items and "fork" in multiprocessing.get_all_start_methods()

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: Progress | None = None, label: str = ""
    ) -> Iterator[R]:
        progress = progress or NullProgress()
        if not self._can_fork(len(items)):
            for item in progress.track(items, total=len(items), label=label):
                yield fn(item)
            return
        global _WORK
        chunks = [items[k : k + self.chunk] for k in range(0, len(items), self.chunk)]
        _WORK = fn
        try:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(self.processes) as pool:
                for res in progress.track(pool.imap(_run_chunk, chunks), total=len(chunks), label=label):
                    yield from res
        finally:
            _WORK = None
