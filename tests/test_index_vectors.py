"""The article-vector graphs saved beside an index (``retold.index.vectors``): the neighbours
of the exhaustive search, through merges, removals, bad files and a run killed by SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from retold.candidates.semantic import ann_candidates, exact_neighbours
from retold.config import Settings
from retold.index import Index, vectors
from retold.index.incremental import _ann, read_light

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from test_index import make_doc  # noqa: E402

DIM = 24


def _clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    centres = rng.standard_normal((40, DIM)).astype(np.float32)
    return (centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, DIM))).astype(np.float32)


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE docs (seq INTEGER PRIMARY KEY, id TEXT)")
    db.execute("CREATE TABLE vecs (seq INTEGER PRIMARY KEY, vec BLOB NOT NULL)")
    return db


def _add(db: sqlite3.Connection, path: Path, vecs: np.ndarray, min_size: int) -> None:
    db.execute("BEGIN IMMEDIATE")
    for v in vecs:
        seq = db.execute("INSERT INTO docs (id) VALUES ('x')").lastrowid
        db.execute("INSERT INTO vecs VALUES (?, ?)", (seq, v.tobytes()))
    vectors.sweep(db, path)
    vectors.maintain(db, path, min_size)
    db.execute("COMMIT")


def _exhaustive(db: sqlite3.Connection, queries: np.ndarray, new_keys: np.ndarray, k: int):
    rows = db.execute("SELECT seq, vec FROM vecs ORDER BY seq").fetchall()
    seqs = np.array([r[0] for r in rows], dtype=np.int64)
    allv = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
    return exact_neighbours(iter([(seqs, allv), (new_keys, queries)]), queries, k)


def _same(db: sqlite3.Connection, path: Path, queries: np.ndarray, k: int = 11) -> None:
    seqs = np.array([r[0] for r in db.execute("SELECT seq FROM docs ORDER BY seq")], dtype=np.int64)
    new_keys = int(seqs[-1]) + 1 + np.arange(len(queries))
    got_k, got_c = vectors.neighbours(db, path, seqs, queries, new_keys, k)
    want_k, want_c = _exhaustive(db, queries, new_keys, k)
    assert np.array_equal(got_k, want_k)
    assert np.allclose(got_c, want_c, atol=1e-6)


def test_graph_neighbours_equal_the_exhaustive_search_through_merges_and_removals(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    path = tmp_path / "v.idx"
    db = _db(path)
    queries = _clustered(rng, 30)
    for _ in range(15):
        _add(db, path, _clustered(rng, 100), min_size=100)
    segs = vectors.segments(db)
    assert sum(s.n for s in segs) == 1500 and 2 <= len(segs) <= 6  # merged as they grew
    assert [s.lo for s in segs[1:]] == [s.hi + 1 for s in segs[:-1]]
    on_disk = {p.name for p in vectors.segment_dir(path).iterdir()}
    assert on_disk >= {s.name for s in segs}  # a merge's old files stay until the next writer's sweep
    db.execute("BEGIN IMMEDIATE")
    vectors.sweep(db, path)
    db.execute("COMMIT")
    assert {p.name for p in vectors.segment_dir(path).iterdir()} == {s.name for s in segs}
    _same(db, path, queries)

    # removals: a few in the middle (filtered out of a graph) and the last docs (a seq SQLite reuses)
    db.execute("BEGIN IMMEDIATE")
    gone = [7, 8, 9, 400, 401, *range(1460, 1501)]
    for s in gone:
        db.execute("DELETE FROM vecs WHERE seq = ?", (s,))
        db.execute("DELETE FROM docs WHERE seq = ?", (s,))
    vectors.forget_reusable(db)
    db.execute("COMMIT")
    assert all(s.hi <= 1459 for s in vectors.segments(db))
    _same(db, path, queries)
    _add(db, path, _clustered(rng, 50), min_size=100)  # takes seqs 1460.. again, with other vectors
    _same(db, path, queries)

    # a file of another range put under a segment's name is not trusted
    segs = vectors.segments(db)
    folder = vectors.segment_dir(path)
    assert len(segs) >= 2
    other = vectors._build(db, folder, segs[1].lo, segs[1].hi)
    os.replace(folder / other.name, folder / segs[0].name)
    assert vectors._open(db, folder, segs[0]) is None
    _same(db, path, queries)
    # nor a truncated file or a missing one: their ranges are searched from the table
    (folder / segs[0].name).write_bytes((folder / segs[0].name).read_bytes()[:100])
    (folder / segs[1].name).unlink()
    _same(db, path, queries)
    _add(db, path, _clustered(rng, 10), min_size=100)  # the next add builds them again
    for s in vectors.segments(db):
        assert vectors._open(db, folder, s) is not None
    _same(db, path, queries)


def test_the_index_search_past_exact_below_finds_the_pairs_of_a_full_load(tmp_path: Path, monkeypatch) -> None:
    """``_ann`` on an index whose vectors sit in graphs gives ``ann_candidates`` over every doc."""
    monkeypatch.setattr("retold.index.incremental.EXACT_BELOW", 10)
    monkeypatch.setattr(vectors, "SEGMENT_MIN", 30)
    settings = Settings(ann_neighbours=5)
    old = [make_doc(f"d{i}", i, dim=DIM) for i in range(150)]
    with Index.open(tmp_path / "i.idx") as ix:
        for i in range(0, 150, 25):
            ix.add(old[i : i + 25], [])
        assert vectors.segments(ix._db)  # the vectors sit in a graph, not only in the table
        info = ix.info()  # retold index info counts the graphs' files in the index's size
        files = [vectors.segment_dir(ix.path) / seg.name for seg in vectors.segments(ix._db)]
        assert info.graph_files == len(files) > 0
        assert info.graph_bytes == sum(f.stat().st_size for f in files) > 0
        assert info.total_bytes == info.file_bytes + info.wal_bytes + info.graph_bytes
        new = [make_doc(f"n{i}", 10_000 + i, dim=DIM) for i in range(12)]
        new[0].vec = old[3].vec + 0.01  # a near copy of an indexed doc
        light = read_light(ix)
        got = _ann(ix, light, new, settings)
    is_new = np.array([False] * 150 + [True] * 12)
    want = ann_candidates(old + new, is_new, settings)
    assert got == want and (3, 150) in got


_KILLED = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_index import make_doc
from retold.index import Index, vectors

path, flag = sys.argv[1], sys.argv[2]
vectors.SEGMENT_MIN = 40
built = vectors._build

def build_then_wait(*a, **k):
    seg = built(*a, **k)
    Path(flag).touch()  # the graph file is on disk; the commit naming it has not happened
    time.sleep(120)
    return seg

vectors._build = build_then_wait
with Index.open(path) as ix:
    ix.add([make_doc(f"new{{i}}", 500 + i, dim={dim}) for i in range(60)], [])
"""


def test_a_run_killed_after_writing_a_graph_leaves_the_index_and_its_neighbours_as_before(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(vectors, "SEGMENT_MIN", 40)
    path = tmp_path / "i.idx"
    with Index.open(path) as ix:
        ix.add([make_doc(f"old{i}", i, dim=DIM) for i in range(50)], [])
        before_ids, before_segs = ix.ids(), vectors.segments(ix._db)
    assert len(before_segs) == 1
    flag = tmp_path / "inside"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _KILLED.format(tests=str(REPO / "tests"), dim=DIM), str(path), str(flag)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the writer never built its graph"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    folder = vectors.segment_dir(path)
    orphans = {p.name for p in folder.glob("*.usearch")} - {s.name for s in before_segs}
    assert len(orphans) == 1  # the killed run's graph is on disk, named by no row
    queries = _clustered(np.random.default_rng(1), 8)
    with Index.open(path) as ix:
        assert ix.ids() == before_ids
        assert vectors.segments(ix._db) == before_segs
        _same(ix._db, path, queries)
        ix.add([make_doc(f"more{i}", 900 + i, dim=DIM) for i in range(45)], [])
        segs = vectors.segments(ix._db)
        left = {p.name for p in folder.glob("*.usearch")}
        assert not orphans & left and left >= {s.name for s in segs}  # the orphan is gone
        _same(ix._db, path, queries)


def test_a_scan_through_the_graphs_finds_the_pairs_of_a_full_load(tmp_path: Path, monkeypatch) -> None:
    """The bundled sample scanned into an index in three batches, the article-vector search of
    each past ``EXACT_BELOW`` (lowered) through the graphs: the pairs and groups of a full load."""
    from retold import scan
    from retold.ingest import read_articles

    monkeypatch.setattr("retold.index.incremental.EXACT_BELOW", 3)
    monkeypatch.setattr(vectors, "SEGMENT_MIN", 3)
    arts, _ = read_articles([REPO / "retold" / "data" / "sample"])
    s = Settings()
    got = {}
    for name, full in (("inc", False), ("full", True)):
        got[name] = [scan(arts[a:b], index=tmp_path / f"{name}.idx", settings=s, _full_load=full) for a, b in ((0, 4), (4, 7), (7, 11))]
        keys = [sorted((p.a, p.b, p.relation, round(p.score, 9)) for p in r.pairs) for r in got[name]]
        got[name] = (keys, sorted((g.kind, tuple(g.members)) for g in got[name][-1].groups))
    with Index.open(tmp_path / "inc.idx") as ix:
        assert vectors.segments(ix._db)  # the last batches searched graphs
        assert vectors.segments(ix._db, vectors.STATIC)  # and the static model's graphs too
    assert got["inc"] == got["full"] and sum(len(k) for k in got["inc"][0]) >= 5


def test_static_graphs_equal_the_exhaustive_search_and_drop_rewritten_vectors(tmp_path: Path) -> None:
    """The static model's article vectors (``svecs.art``) get graphs of their own, searched as
    the encoder's are; a rewrite of an indexed doc's static vector drops the graph holding it."""
    rng = np.random.default_rng(5)
    path = tmp_path / "s.idx"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE docs (seq INTEGER PRIMARY KEY, id TEXT)")
    db.execute("CREATE TABLE vecs (seq INTEGER PRIMARY KEY, vec BLOB NOT NULL)")
    db.execute("CREATE TABLE svecs (seq INTEGER PRIMARY KEY, lacks INTEGER NOT NULL, art BLOB NOT NULL, lead BLOB)")
    for _ in range(3):
        db.execute("BEGIN IMMEDIATE")
        for v in _clustered(rng, 120):
            seq = db.execute("INSERT INTO docs (id) VALUES ('x')").lastrowid
            db.execute("INSERT INTO svecs VALUES (?, 0, ?, NULL)", (seq, v.tobytes()))
        vectors.maintain(db, path, 100)
        db.execute("COMMIT")
    segs = vectors.segments(db, vectors.STATIC)
    assert segs and not vectors.segments(db)  # the static table's graphs; none for the empty vecs

    def same() -> None:
        queries = _clustered(rng, 30)
        rows = db.execute("SELECT seq, art FROM svecs ORDER BY seq").fetchall()
        seqs = np.array([r[0] for r in rows], dtype=np.int64)
        new_keys = int(seqs[-1]) + 1 + np.arange(len(queries))
        allv = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        want_k, want_c = exact_neighbours(iter([(seqs, allv), (new_keys, queries)]), queries, 11)
        got_k, got_c = vectors.neighbours(db, path, seqs, queries, new_keys, 11, table=vectors.STATIC)
        assert np.array_equal(got_k, want_k)
        assert np.allclose(got_c, want_c, atol=1e-5)

    same()
    db.execute("BEGIN IMMEDIATE")  # a refreshed doc: its static vector rewritten in place
    first = segs[0].lo
    db.execute("UPDATE svecs SET art = ? WHERE seq = ?", ((10 * rng.standard_normal(DIM)).astype(np.float32).tobytes(), first + 1))
    vectors.forget_rewritten(db, [first + 1])
    db.execute("COMMIT")
    assert all(not (s.lo <= first + 1 <= s.hi) for s in vectors.segments(db, vectors.STATIC))
    same()
