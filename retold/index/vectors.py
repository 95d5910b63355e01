"""Article-vector neighbours of new docs against an index, without reading every vector.

The ``vecs`` table holds one article vector per indexed doc (``svecs.art`` one of the static
second model: table ``STATIC``, with segments and files of its own and everything else alike). Reading all of them for each add
(an exhaustive search, a chunk at a time) costs time in proportion to the index. Here the
vectors of older docs sit in **segments**: HNSW graphs (usearch) over contiguous ranges of
``seq``, saved as files in ``<index>.ann/`` and opened memory-mapped (``view``), so a search
touches the pages of the graph it walks, not every vector. The newest docs (the **tail**, fewer
than ``SEGMENT_MIN``) are searched exhaustively from the table, and so are the new docs of the
add itself. Segments are merged as they grow (a new one absorbs the previous while that is at
most twice its size), so a vector is rebuilt into a graph O(log N) times in all, and a search
reads O(log N) graphs.

Exactness: the graphs keep float32 vectors, so the cosines they return are the exhaustive
search's (to the last bits of a float32 sum); each graph is asked for more neighbours than
wanted (``2k`` plus the removed docs its range still holds), and what they return is ranked
with the tail and the new docs as ``exact_neighbours`` ranks (cosine, then key). The answer is
the exhaustive search's wherever the graphs' recall holds (small graphs: always).

Crash safety: which file holds which range is the ``ann_segments`` table of the SQLite file,
written in the transaction of the add that builds the file, so the file list commits or rolls
back with the docs. A file is written whole under a fresh name (a temporary file, fsynced,
then renamed) before the commit names it; a run killed before its commit leaves a file no row
names, which is never read and is deleted by the next writer (``sweep``). A listed file that
is missing, unreadable or does not hold its range (count, dimension, first and last vectors)
is not trusted: its range is searched from the table and the next add builds it again.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retold.candidates.semantic import exact_neighbours

#: fewer vectors than this past the last segment are searched exhaustively (the tail)
SEGMENT_MIN = 4000
#: no merge makes a segment larger than this (a build holds its vectors in memory)
SEGMENT_MAX = 1 << 16
_CHUNK = 8192
#: a graph is asked for this many neighbours more than wanted (plus its removed docs), and
#: walks ``SEARCH_EF`` times as many candidates: the recall that makes its answer the exhaustive one
SEARCH_MARGIN = 10
SEARCH_EF = 2

@dataclass(frozen=True)
class Table:
    """A table of one vector per indexed doc that has graphs: its name, its vector column, the
    table that lists its segments and the prefix of their files."""

    name: str
    column: str
    segments: str
    prefix: str

    @property
    def ddl(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {self.segments} (name TEXT PRIMARY KEY, lo INTEGER NOT NULL, "
            "hi INTEGER NOT NULL, n INTEGER NOT NULL, ndim INTEGER NOT NULL)"
        )


#: the encoder's article vectors
VECS = Table("vecs", "vec", "ann_segments", "vecs")
#: the static second model's article vectors (``svecs.art``)
STATIC = Table("svecs", "art", "ann_static_segments", "svecs")
TABLES = (VECS, STATIC)

DDL = VECS.ddl


@dataclass(frozen=True)
class Segment:
    """One graph file: the vectors of ``seq`` in ``[lo, hi]`` (``n`` of them when built)."""

    name: str
    lo: int
    hi: int
    n: int
    ndim: int


def segment_dir(index_path: Path) -> Path:
    """The folder of an index's graph files, beside the SQLite file."""
    p = Path(index_path)
    return p.with_name(p.name + ".ann")


def _exists(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def segments(db: sqlite3.Connection, table: Table = VECS) -> list[Segment]:
    """The committed segments, by range (none in an index that never built one)."""
    if not _exists(db, table.segments):
        return []
    return [Segment(*r) for r in db.execute(f"SELECT name, lo, hi, n, ndim FROM {table.segments} ORDER BY lo")]


def _floats(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


def _range_rows(
    db: sqlite3.Connection, lo: int, hi: int | None, table: Table = VECS
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(seqs, vectors) of the table with ``lo <= seq <= hi`` (no ``hi``: to the end), a chunk at a time."""
    sql, args = f"SELECT seq, {table.column} FROM {table.name} WHERE seq >= ?", [lo]
    if hi is not None:
        sql, args = sql + " AND seq <= ?", [lo, hi]
    cur = db.execute(sql + " ORDER BY seq", args)
    while True:
        rows = cur.fetchmany(_CHUNK)
        if not rows:
            return
        yield np.array([r[0] for r in rows], dtype=np.int64), _floats([r[1] for r in rows])


def _vector_of(db: sqlite3.Connection, seq: int, table: Table = VECS) -> np.ndarray | None:
    row = db.execute(f"SELECT {table.column} FROM {table.name} WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else np.frombuffer(row[0], dtype=np.float32)


def _open(db: sqlite3.Connection, folder: Path, seg: Segment, table: Table = VECS):
    """The segment's graph, memory-mapped, or None when the file cannot be trusted: missing,
    unreadable, or not holding its range (its count and dimension, and the vectors of the
    range's first and last docs where they are still indexed)."""
    from usearch.index import Index

    path = folder / seg.name
    if not path.is_file():
        return None
    try:
        g = Index.restore(str(path), view=True)
    except Exception:  # noqa: BLE001 - a truncated or foreign file: rebuilt, not read
        return None
    if g is None or len(g) != seg.n or g.ndim != seg.ndim:
        return None
    for s in (seg.lo, seg.hi):
        want = _vector_of(db, s, table)
        if want is None:
            continue  # removed since: its row is gone, the graph's copy is filtered out
        if not g.contains(s):
            return None
        got = np.asarray(g.get(s), dtype=np.float32).reshape(-1)
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-5, atol=1e-6):
            return None
    return g


def neighbours(
    db: sqlite3.Connection, index_path: Path, seqs: np.ndarray, queries: np.ndarray, new_keys: np.ndarray, k: int,
    table: Table = VECS,
) -> tuple[np.ndarray, np.ndarray]:
    """(keys, cosine) of the ``k`` nearest vectors to each query among every indexed vector and
    the queries themselves, as ``exact_neighbours`` gives them over the whole table: keys are
    ``seq`` of indexed docs, ``new_keys[q]`` of the queries (each above every ``seq``). ``seqs``:
    the seqs of the indexed docs now (sorted), to tell removed docs still in a graph."""
    folder = segment_dir(index_path)
    q = np.asarray(queries, dtype=np.float32)
    segs = segments(db, table)
    found_k: list[np.ndarray] = [np.zeros((len(q), 0), dtype=np.int64)]
    found_c: list[np.ndarray] = [np.zeros((len(q), 0), dtype=np.float32)]
    exhaustive: list[tuple[int, int | None]] = []
    start = 0
    for seg in segs:
        if seg.lo > start:  # a range no graph covers (its docs were all removed): read it
            exhaustive.append((start, seg.lo - 1))
        start = seg.hi + 1
        live = _live(db, seg, table)
        g = _open(db, folder, seg, table)
        if g is None:
            exhaustive.append((seg.lo, seg.hi))
            continue
        count = min(len(g), k + SEARCH_MARGIN + max(seg.n - live, 0))
        g.expansion_search = max(64, SEARCH_EF * count)
        m = g.search(q, count, threads=0)
        keys = np.asarray(m.keys, dtype=np.int64).reshape(len(q), -1)
        cos = 1.0 - np.asarray(m.distances, dtype=np.float32).reshape(len(q), -1)
        gone = (keys < 0) | ~np.isin(keys, seqs)  # padding, and docs removed since the graph was built
        found_k.append(np.where(gone, -1, keys))
        found_c.append(np.where(gone, -np.inf, cos).astype(np.float32))
    exhaustive.append((start, None))

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for lo, hi in exhaustive:
            yield from _range_rows(db, lo, hi, table)
        yield np.asarray(new_keys, dtype=np.int64), q

    ek, ec = exact_neighbours(chunks(), q, k)
    keys = np.concatenate([*found_k, ek], axis=1)
    cos = np.concatenate([*found_c, ec], axis=1)
    order = np.lexsort((np.where(keys < 0, np.iinfo(np.int64).max, keys), -cos), axis=1)[:, :k]  # as exact_neighbours ranks
    return np.take_along_axis(keys, order, axis=1), np.take_along_axis(cos, order, axis=1)


def _live(db: sqlite3.Connection, seg: Segment, table: Table = VECS) -> int:
    """The vectors of the segment's range still in the table (the rest were removed since)."""
    return int(db.execute(f"SELECT count(*) FROM {table.name} WHERE seq BETWEEN ? AND ?", (seg.lo, seg.hi)).fetchone()[0])


def _build(db: sqlite3.Connection, folder: Path, lo: int, hi: int, table: Table = VECS) -> Segment | None:
    """A graph of the vectors of ``[lo, hi]`` written whole under a fresh name (None: none there)."""
    from usearch.index import Index

    g = None
    n = 0
    for ks, vs in _range_rows(db, lo, hi, table):
        if g is None:
            g = Index(ndim=vs.shape[1], metric="cos", dtype="f32", connectivity=16, expansion_add=64, expansion_search=64)
        g.add(ks, vs, threads=1)  # one thread: the same graph run after run (Settings.reproducible)
        n += len(ks)
    if g is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{table.prefix}-{lo}-{hi}-{secrets.token_hex(6)}.usearch"
    tmp = folder / (name + ".tmp")
    g.save(str(tmp))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / name)
    _fsync_dir(folder)
    return Segment(name, lo, hi, n, int(g.ndim))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def maintain(db: sqlite3.Connection, index_path: Path, min_size: int | None = None, table: Table | None = None) -> None:
    """Inside an add's write transaction, after its vector rows: for each table with graphs
    (``table``: that one only), build the tail into a segment once it holds ``min_size`` vectors
    (absorbing the segments before it that are at most twice its size), and build again any
    segment whose file cannot be trusted or that holds more removed docs than live ones. The
    rows change in the caller's transaction."""
    for t in (table,) if table is not None else TABLES:
        if t is VECS or _exists(db, t.name):
            _maintain(db, index_path, SEGMENT_MIN if min_size is None else min_size, t)


def _maintain(db: sqlite3.Connection, index_path: Path, min_size: int, table: Table) -> None:
    db.execute(table.ddl)
    folder = segment_dir(index_path)
    segs = segments(db, table)
    for seg in segs:
        live = _live(db, seg, table)
        if 2 * live >= seg.n and _open(db, folder, seg, table) is not None:
            continue
        db.execute(f"DELETE FROM {table.segments} WHERE name = ?", (seg.name,))
        new = _build(db, folder, seg.lo, seg.hi, table) if live else None
        if new is not None:
            _insert(db, new, table)
    segs = segments(db, table)
    lo = segs[-1].hi + 1 if segs else 0
    tail = db.execute(f"SELECT count(*), max(seq) FROM {table.name} WHERE seq >= ?", (lo,)).fetchone()
    if tail[0] < min_size:
        return
    n, hi = int(tail[0]), int(tail[1])
    while segs and segs[-1].n <= 2 * n and segs[-1].n + n <= SEGMENT_MAX:
        prev = segs.pop()
        db.execute(f"DELETE FROM {table.segments} WHERE name = ?", (prev.name,))
        lo, n = prev.lo, n + prev.n
    new = _build(db, folder, lo, hi, table)
    if new is not None:
        _insert(db, new, table)


def _insert(db: sqlite3.Connection, seg: Segment, table: Table = VECS) -> None:
    db.execute(
        f"INSERT INTO {table.segments} (name, lo, hi, n, ndim) VALUES (?, ?, ?, ?, ?)", (seg.name, seg.lo, seg.hi, seg.n, seg.ndim)
    )


def forget_reusable(db: sqlite3.Connection) -> None:
    """Inside a removal's transaction: drop the segments whose range reaches past the last doc
    left, since SQLite gives the next doc the seq after it and a graph would hold an old vector
    under it. Their live docs go back to the tail (searched exhaustively, built again later)."""
    for t in TABLES:
        if _exists(db, t.segments):
            db.execute(f"DELETE FROM {t.segments} WHERE hi > (SELECT coalesce(max(seq), -1) FROM docs)")


def forget_rewritten(db: sqlite3.Connection, seqs: list[int]) -> None:
    """Inside an add's transaction that rewrites the static vectors of indexed docs (``seqs``):
    drop the static segments that hold their old vectors; their range goes back to being read
    from the table until ``maintain`` builds it again."""
    if not seqs or not _exists(db, STATIC.segments):
        return
    for seg in segments(db, STATIC):
        if any(seg.lo <= s <= seg.hi for s in seqs):
            db.execute(f"DELETE FROM {STATIC.segments} WHERE name = ?", (seg.name,))


def sweep(db: sqlite3.Connection, index_path: Path) -> None:
    """Delete the files of the folder that no committed row names (a killed run's, or replaced
    by a merge). Called after a commit, under the writer's lock."""
    folder = segment_dir(index_path)
    if not folder.is_dir():
        return
    keep = {s.name for t in TABLES for s in segments(db, t)}
    for p in folder.iterdir():
        if p.name not in keep and (p.suffix == ".usearch" or p.name.endswith(".usearch.tmp")):
            try:
                p.unlink()
            except OSError:
                pass


def copy_beside(src: Path, dst: Path) -> None:
    """Copy an index's graph files along with its SQLite file (``dst`` is the copy's path)."""
    import shutil

    s, d = segment_dir(src), segment_dir(dst)
    if s.is_dir():
        shutil.copytree(s, d, dirs_exist_ok=True)


__all__ = [
    "SEGMENT_MIN", "SEGMENT_MAX", "Segment", "Table", "VECS", "STATIC", "segment_dir", "segments", "neighbours", "maintain",
    "sweep", "forget_reusable", "forget_rewritten", "copy_beside",
]
