"""Ray: the same per-item work on a cluster, for corpora that outgrow one machine.

``RayEngine`` joins a running cluster (``address="auto"`` or ``"ray://host:port"``) or
starts a local Ray. The mapped function, with the documents it closes over, is put in
Ray's object store once; tasks take chunks of items, so each worker deserialises it
once per chunk rather than once per pair. Install with ``pip install "retold[ray]"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from retold.progress import NullProgress, Progress

T = TypeVar("T")
R = TypeVar("R")


def _run_chunk(fn: Callable[[Any], Any], chunk: Sequence[Any]) -> list[Any]:
    return [fn(x) for x in chunk]


class RayEngine:
    #: its workers may live on other machines: the pipeline sends them whole stages (signing and
    #: embedding a chunk of docs, ``sign/batch.py``) rather than only the per-pair work
    remote = True

    def __init__(self, address: str | None = None, num_cpus: int | None = None, chunks_per_cpu: int = 4) -> None:
        try:
            import ray
        except ImportError as e:
            raise ImportError('RayEngine needs Ray: pip install "retold[ray]"') from e
        self._ray = ray
        if not ray.is_initialized():
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                log_to_driver=False,
                ignore_reinit_error=True,
            )
        self._remote = ray.remote(_run_chunk)
        self.chunks_per_cpu = chunks_per_cpu

    @property
    def cpus(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: Progress | None = None, label: str = ""
    ) -> Iterator[R]:
        progress = progress or NullProgress()
        if not items:
            return
        n_chunks = min(len(items), self.cpus * self.chunks_per_cpu)
        size = -(-len(items) // n_chunks)
        fn_ref = self._ray.put(fn)
        refs = [self._remote.remote(fn_ref, list(items[k : k + size])) for k in range(0, len(items), size)]
        for ref in progress.track(refs, total=len(refs), label=label):
            yield from self._ray.get(ref)  # in order: results come back as they were asked for

    def shutdown(self) -> None:
        self._ray.shutdown()
