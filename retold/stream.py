"""A scan of inputs larger than memory: read a batch, scan it into an index, commit, go on.

Why: ``retold.scan`` holds every article of its input (text, sentences, vectors: some 45 KB an
article), so a crawl of a few hundred thousand articles does not fit one machine's memory. An
index already compares new articles against everything before them while reading only the
docs of their candidate pairs (``retold.index.incremental``). So a large scan is a sequence of
index adds, one transaction a batch, and its output is the index written out in the output
contract (``retold.index.export``), which lists the articles a chunk at a time.

What is held is one batch, the ids seen (for the ``duplicate_id`` rule), the index's memo of
names and groups, and at the end each pair's light link (``retold.index.export.IndexedPairs``
writes the pairs out of the index a chunk at a time). Without an index of the user's, the batches go into
a scratch index beside the output, removed when the scan is done.

The result is that of ``retold index add`` followed by ``retold index export``: within each
batch and between batches the same stages run, but a nearest-neighbour candidate is looked for
from the side of the later batch only, so a few semantic pairs can differ from those of one scan
over everything at once (``docs/benchmarks.md`` gives the measured agreement).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from retold.config import Settings
from retold.engines import Engine
from retold.index.hooks import WriteHooks
from retold.index.store import BOUNDED_MAP_BYTES, Index
from retold.clean.boiler import BoilerModel
from retold.model import Article, Problem, ScanResult
from retold.progress import Progress
from retold.sign.embed import Encoder

#: how the scratch indexes of streamed scans begin (hidden files in the output folder)
SCRATCH_PREFIX = ".retold-scan-"
#: inputs of more bytes than this are scanned in batches by ``retold scan`` unless told otherwise
STREAM_ABOVE_BYTES = 256 * 1024 * 1024
#: articles a batch when ``retold scan`` streams by itself
DEFAULT_BATCH = 2000
#: bytes of the index file a streamed scan lets SQLite map, though it keeps the index open from
#: batch to batch: the mapped pages count in its resident memory and grow with the file (1.4 GB
#: of a 30,000-article scan's 4.6 GB peak, uncapped)
STREAM_MAP_BYTES = BOUNDED_MAP_BYTES
#: a batch's stats that do not add up over batches: the export works them out for the whole
_OF_THE_WHOLE = frozenset({"articles_new", "articles_total", "pairs", "pairs_implied", "pairs_agreed"})


@dataclass
class StreamRun:
    """What a streamed scan did: articles and pairs added, records skipped, batches, and the
    stage timings summed over batches (``stats``, as a ScanResult's)."""

    articles: int = 0
    pairs: int = 0
    batches: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_ids: set[str] = field(default_factory=set)
    stats: dict[str, float] = field(default_factory=dict)


def scan_in_batches(
    paths: Sequence[str | Path],
    index: str | Path,
    *,
    batch_size: int = DEFAULT_BATCH,
    settings: Settings | None = None,
    encoder: Encoder | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
    on_batch: Callable[[StreamRun], None] | None = None,
) -> StreamRun:
    """Scan the articles under ``paths`` into ``index`` ``batch_size`` at a time.

    Each batch is one scan against everything indexed before it and one transaction: a run
    killed half way leaves the index with the batches committed so far, and running the same
    command again skips the articles already in it (``duplicate_id`` problems) and goes on.
    ``progress`` shows the input read, in bytes, with the time left; ``on_batch`` hears of each
    batch done (the counts so far).
    """
    from retold.index import Index
    from retold.ingest import iter_batches
    from retold.pipeline import scan

    settings = settings or Settings()
    if settings.semantic:  # loaded once for every batch; the index keeps to it
        from retold.sign import default_encoder

        encoder = encoder or default_encoder(settings)
    enc_name = encoder.name if encoder is not None and settings.semantic else None
    run = StreamRun()
    paths = [Path(p) for p in paths]
    t = time.perf_counter()
    boiler = input_boilerplate(paths, progress)
    run.stats["time_boilerplate_s"] = time.perf_counter() - t
    with Index.open(index, settings, encoder_name=enc_name, keep_in_memory=True, map_bytes=STREAM_MAP_BYTES) as idx:
        for batch in iter_batches(paths, batch_size, progress):
            run.problems += batch.problems
            if batch.articles:
                stored = _Stored()
                res = scan(batch.articles, settings=settings, index=idx, encoder=encoder, engine=engine, hooks=stored,
                           boilerplate=boiler)
                run.new_ids.update(stored.ids)
                run.articles += len(stored.ids)
                run.pairs += sum(p.basis == "compared" for p in res.pairs)
                run.problems += res.problems
                for k, v in res.stats.items():
                    if k not in _OF_THE_WHOLE:
                        run.stats[k] = run.stats.get(k, 0.0) + float(v)
                # the batch's docs and pairs are in the index now: held on into the next batch,
                # they would double its peak (the docs of a batch's candidates grow with the index)
                del res, stored
            run.batches += 1
            if on_batch is not None:
                on_batch(run)
    run.stats["articles_new"] = float(run.articles)
    return run


def input_boilerplate(paths: Sequence[Path], progress: Progress | None = None) -> BoilerModel:
    """The boilerplate of the whole input, learned in a first pass that holds only line keys:
    learned batch by batch instead, a line recurring across the input but not within one batch
    would be furniture in one batch and content in the next, and an exact copy in another batch
    than its source would be cleaned differently from it (measured: 7% of the exact copies of
    the speed corpus then came out as near duplicates)."""
    from retold.clean.prepare import learn_from
    from retold.ingest import Position, input_bytes, iter_articles
    from retold.progress import meter

    pos = Position()
    bar = meter(progress, input_bytes(paths), "boilerplate")
    try:
        def articles():  # noqa: ANN202
            for n, item in enumerate(iter_articles(paths, pos)):
                if isinstance(item, Article):
                    yield item
                if n % 500 == 0:
                    bar.update(pos.bytes)

        return learn_from(articles())
    finally:
        bar.close()


class _Stored(WriteHooks):
    """Hears which docs a batch's commit stored (those not already indexed)."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def committed(self, docs, pairs) -> None:  # noqa: ANN001 - WriteHooks' signature
        self.ids = [d.id for d in docs]


def streamed_result(index: Index, run: StreamRun, settings: Settings | None = None, *, only_new: bool) -> ScanResult:
    """The output of a streamed scan, read from ``index`` while it is open in the caller's
    ``Index.reading()``: every pair (``only_new=False``: the index held nothing else) or the
    pairs of the articles this run added, the groups of everything indexed, the run's problems."""
    from retold.index.export import index_result

    res = index_result(index, settings)
    if only_new:
        res.pairs = [p for p in res.pairs if p.a in run.new_ids or p.b in run.new_ids]
    res.problems = list(run.problems)
    res.stats = {**res.stats, **run.stats, "articles_new": float(run.articles), "pairs": float(len(res.pairs))}
    return res


@contextmanager
def scratch_index(out_dir: str | Path) -> Iterator[Path]:
    """A scratch index for a streamed scan in ``out_dir`` (made if missing), where there is room
    for the output anyway, removed when the block ends. While the block runs, an ``.owner`` file
    beside it is locked; scratch indexes of earlier runs whose owner lock is free (a run killed
    by SIGKILL, or a machine that went down) are removed first, so that they never pile up."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sweep_scratch(out)
    fd, name = tempfile.mkstemp(prefix=SCRATCH_PREFIX, suffix=".owner", dir=out)
    path = Path(name[: -len(".owner")] + ".idx")
    try:
        _lock(fd)
        yield path
    finally:
        remove_index(path)
        os.close(fd)
        Path(name).unlink(missing_ok=True)


def sweep_scratch(out_dir: Path) -> list[Path]:
    """Remove the scratch indexes in ``out_dir`` that no running scan owns; the ones removed."""
    gone = []
    for owner in sorted(out_dir.glob(SCRATCH_PREFIX + "*.owner")):
        try:
            fd = os.open(owner, os.O_RDWR)
        except OSError:
            continue
        try:
            if not _lock(fd, wait=False):
                continue  # a scan running now
            idx = owner.with_suffix(".idx")
            remove_index(idx)
            owner.unlink(missing_ok=True)
            gone.append(idx)
        finally:
            os.close(fd)
    for idx in sorted(out_dir.glob(SCRATCH_PREFIX + "*.idx")):  # an index whose owner file is gone
        if not idx.with_suffix(".owner").exists():
            remove_index(idx)
            gone.append(idx)
    return gone


def _lock(fd: int, wait: bool = True) -> bool:
    """An exclusive advisory lock on ``fd`` (True), or False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # no advisory locks here: nothing is swept
        return wait
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        return True
    except BlockingIOError:
        return False


def remove_index(path: str | Path) -> None:
    """Remove an index file and everything kept beside it (its journal, its vector graphs)."""
    import shutil

    p = Path(path)
    for extra in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm"), p.with_name(p.name + "-journal")):
        extra.unlink(missing_ok=True)
    ann = p.with_name(p.name + ".ann")
    if ann.is_dir():
        shutil.rmtree(ann, ignore_errors=True)
    p.with_name(p.name + ".lock").unlink(missing_ok=True)


__all__ = ["StreamRun", "scan_in_batches", "streamed_result", "scratch_index", "sweep_scratch", "remove_index",
           "STREAM_ABOVE_BYTES", "DEFAULT_BATCH"]
