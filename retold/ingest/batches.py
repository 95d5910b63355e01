"""Input read in batches of articles, for inputs larger than memory.

``read_articles`` returns every article at once; a 20 GB JSONL, a large CSV or a folder of
Parquet shards does not fit. ``iter_batches`` hands them out ``batch_size`` articles at a time
(with the Problems met on the way, each still one record with its file, line and field), read by
the same readers one record at a time, so what is held is one batch, plus the ids seen (the
``duplicate_id`` rule needs them). Progress is in bytes of the input (``retold.progress.meter``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retold.ingest import Position, input_bytes, iter_articles
from retold.model import Article, Problem
from retold.progress import Progress, meter


@dataclass
class Batch:
    """Up to ``batch_size`` articles in input order, the Problems read since the last batch,
    and how far the input has been read (``bytes_done`` of ``bytes_total``)."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bytes_done: int = 0
    bytes_total: int = 0


def iter_batches(paths: Sequence[Path], batch_size: int = 1000, progress: Progress | None = None) -> Iterator[Batch]:
    """The articles under ``paths`` a batch at a time: the same articles and Problems, in the
    same order, as ``read_articles``, however the batches fall. The last batch may be shorter
    (or hold Problems only); no batch is empty of both."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    paths = [Path(p) for p in paths]
    total = input_bytes(paths)
    pos = Position()
    bar = meter(progress, total, "reading")
    batch = Batch(bytes_total=total)
    try:
        for item in iter_articles(paths, pos):
            if isinstance(item, Article):
                batch.articles.append(item)
            else:
                batch.problems.append(item)
            if len(batch.articles) >= batch_size:
                batch.bytes_done = min(pos.bytes, total)
                bar.update(batch.bytes_done)
                yield batch
                batch = Batch(bytes_total=total)
        batch.bytes_done = min(pos.bytes, total)
        bar.update(batch.bytes_done)
        if batch.articles or batch.problems:
            yield batch
    finally:
        bar.close()


__all__ = ["Batch", "iter_batches"]
