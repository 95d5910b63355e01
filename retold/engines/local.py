"""The default engine: this machine. Large batches are spread over forked worker processes.

Forking lets workers read the parent's documents without serialising them: only the
item (a pair of indices) goes in and the result (a Pair) comes back. Small batches run
in-process, where starting workers would cost more than it saves.

A forked worker inherits everything of its parent, and a long-running parent (``retold
serve`` under uvicorn) has installed Python handlers for SIGTERM and SIGINT. A worker that
keeps such a handler never dies of the SIGTERM that ``multiprocessing.Pool.terminate``
sends, and its parent waits forever to join it. So workers here

- reset SIGTERM to its default (die) and ignore SIGINT (Ctrl-C is the parent's to handle)
  before they run anything;
- are stopped with a sentinel when the work is done, and killed (SIGKILL) when they do not
  stop within :data:`STOP_GRACE_S`, or at once when the work is abandoned (an error, a stop);
- are waited for in slices of :data:`WAIT_SLICE_S`, asking a progress that can stop the work
  (its ``check``) in between, so that a stop never waits for a slow chunk;
- are watched: a worker that dies (out of memory, killed) or gives no result for
  ``timeout_s`` fails the batch with :class:`EngineError` instead of holding the caller.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from retold.config import Settings
from retold.progress import NullProgress, Progress

T = TypeVar("T")
R = TypeVar("R")

#: the function being mapped, inherited by forked workers (set only around a map call)
_WORK: Callable[[Any], Any] | None = None

#: seconds workers get to exit after the work is done (or abandoned) before they are killed
STOP_GRACE_S = 10.0
#: seconds between two asks of a progress that can stop the work, while a chunk is awaited
WAIT_SLICE_S = 0.25
#: seconds to wait for a killed worker to be gone (on a loaded machine its exit can take a while)
KILL_WAIT_S = 10.0


class EngineError(RuntimeError):
    """The batch could not be finished: a worker died or gave no result in time."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_init(blas_threads: int = 1) -> None:
    """First thing in a worker: drop the parent's signal handlers (see the module's docstring),
    and take a share of the cores for BLAS.

    Without the share each worker's BLAS keeps the parent's thread count, so two workers on two
    cores run four BLAS threads over the small matrices of a pair's comparison, and the threads
    spin waiting for each other: comparing 46,810 candidate pairs took 12 s with two workers and
    with one alone, against 7 s with two workers of one BLAS thread each.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=blas_threads)


def _run_chunk(chunk: Sequence[Any]) -> list[Any]:
    assert _WORK is not None
    return [_WORK(x) for x in chunk]


class LocalEngine:
    """Map work over this machine's cores.

    Parameters
    ----------
    threads:
        Cores to use (0: all of them).
    processes:
        Worker processes for big batches (0: one per core; 1: never fork).
    min_items:
        Batches smaller than this run in this process.
    chunk:
        Items a worker takes at a time.
    timeout_s:
        Longest wait for one chunk's result before the batch fails with :class:`EngineError`.
    """

    def __init__(
        self, threads: int = 0, processes: int = 0, min_items: int = 2000, chunk: int = 256, timeout_s: float = 1800.0
    ) -> None:
        self.threads = threads or available_cores()
        self.processes = processes or self.threads
        self.min_items = min_items
        self.chunk = chunk
        self.timeout_s = timeout_s

    @classmethod
    def for_settings(cls, settings: Settings) -> LocalEngine:
        """The engine a run with ``settings`` uses by default (threads, batch size, timeout)."""
        return cls(threads=settings.threads, min_items=settings.parallel_min_items, timeout_s=settings.worker_timeout_s)

    @property
    def worker_threads(self) -> int:
        """BLAS threads of each forked worker: its share of the cores."""
        return max(1, self.threads // self.processes)

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
        yield from self._map_forked(fn, items, progress, label)

    def _map_forked(self, fn: Callable[[T], R], items: Sequence[T], progress: Progress, label: str) -> Iterator[R]:
        global _WORK
        chunks = [items[k : k + self.chunk] for k in range(0, len(items), self.chunk)]
        window = 2 * self.processes  # chunks in flight: bounded, so results never pile up in memory
        check: Callable[[], None] | None = getattr(progress, "check", None)  # see retold.progress.Progress
        _WORK = fn
        pool = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_init,
            initargs=(self.worker_threads,),
        )
        workers: list[multiprocessing.Process] = []

        def results() -> Iterator[list[Any]]:
            pending: deque[Future[list[Any]]] = deque()
            todo = iter(chunks)
            done = 0

            def died() -> EngineError:
                return EngineError(
                    f"{label or 'work'}: a worker process died (killed, or out of memory) at chunk "
                    f"{done + 1} of {len(chunks)}; the batch was abandoned"
                )

            try:  # a worker that dies early breaks the pool, and the next submit says so
                for c in todo:
                    pending.append(pool.submit(_run_chunk, c))
                    if len(pending) >= window:
                        break
            finally:
                workers.extend((getattr(pool, "_processes", None) or {}).values())  # forked at the first submit
            while pending:
                try:
                    res = _result(pending.popleft(), self.timeout_s, check)
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending.append(pool.submit(_run_chunk, nxt))
                except FutureTimeout:
                    raise EngineError(
                        f"{label or 'work'}: no result from a worker process in {self.timeout_s:.0f} s "
                        f"(chunk {done + 1} of {len(chunks)}); the batch was abandoned"
                    ) from None
                except BrokenProcessPool:
                    raise died() from None
                done += 1
                yield res

        finished = False
        try:
            for res in progress.track(results(), total=len(chunks), label=label):
                yield from res
            finished = True
        finally:
            _WORK = None
            _stop(pool, workers, STOP_GRACE_S if finished else 0.0)


def _result(fut: Future[list[Any]], timeout_s: float, check: Callable[[], None] | None) -> list[Any]:
    """A chunk's result, waited for in short slices so that ``check`` (a progress that can stop
    the work, such as the service's) is asked meanwhile: a stop never waits for a slow chunk.
    Raises ``FutureTimeout`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FutureTimeout
        try:
            return fut.result(timeout=min(left, WAIT_SLICE_S) if check is not None else left)
        except FutureTimeout:
            if check is not None:
                check()


def _stop(pool: ProcessPoolExecutor, workers: list[multiprocessing.Process], grace_s: float) -> None:
    """Stop the workers: a sentinel first, SIGKILL for any still there after ``grace_s``. Work
    that was abandoned (an error, a stop) gives no grace: its workers only compute, they hold
    nothing that needs a clean exit, and a stop must not wait for their chunks."""
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace_s
    for w in workers:
        w.join(max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.is_alive() and running(w.pid):
            w.kill()
    deadline = time.monotonic() + KILL_WAIT_S
    for w in workers:  # reaped here, so that no killed worker lingers as a zombie of a long-lived service
        while w.is_alive() and running(w.pid) and time.monotonic() < deadline:
            w.join(0.1)


def running(pid: int | None) -> bool:
    """Whether process ``pid`` still runs, asked of the system rather than of ``multiprocessing``.

    A worker's exit can be collected by another waiter first (seen under pytest, one stop in
    five); ``multiprocessing`` then never learns the exit code and calls the process alive for
    good. The system knows: no such process, or a zombie, is not running.
    """
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a pid taken by another user's process: ours is gone
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): the signal test above is all there is
