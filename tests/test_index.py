"""The on-disk index: exact round-trips, refusals, and all-or-nothing adds under SIGKILL."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from retold.config import Settings
from retold.index import Index, IndexBusyError, IndexFileError, IndexSettingsError
from retold.index.arrays import ArrayBlobError, pack_arrays, unpack_arrays
from retold.model import Article, Doc, Pair, Passage

REPO = Path(__file__).resolve().parents[1]


def make_doc(doc_id: str, seed: int = 0, *, n_sent: int = 3, n_tok: int = 12, dim: int = 16, full: bool = True) -> Doc:
    """A Doc with every field set to values that differ from doc to doc (``full=False``: optionals None)."""
    rng = np.random.default_rng(seed)
    text = " ".join(f"w{seed}_{i}" for i in range(n_tok)) + f" ünïcödé {seed} — “quoted”"
    art = Article(
        id=doc_id,
        text=text,
        title=f"Title {seed}" if full else None,
        url=f"https://example.org/{doc_id}" if full else None,
        source="example.org" if full else None,
        published=datetime(2024, 3, 1 + seed % 27, 12, 30, 15, 123456,
                           tzinfo=timezone(timedelta(hours=5, minutes=30))) if full else None,
        lang="en" if full else None,
        where=f"input.jsonl:{seed + 1}" if full else None,
    )
    spans = np.sort(rng.integers(0, len(text), size=(n_sent, 2)), axis=1).astype(np.int32)
    sent_vecs = rng.standard_normal((n_sent, dim)).astype(np.float16)
    return Doc(
        article=art,
        lang="en",
        sent_spans=spans,
        sent_boiler=rng.random(n_sent) < 0.3,
        tok_hash=rng.integers(0, 2**64 - 1, size=n_tok, dtype=np.uint64),
        tok_spans=np.sort(rng.integers(0, len(text), size=(n_tok, 2)), axis=1).astype(np.int32),
        tok_sent=rng.integers(0, n_sent, size=n_tok).astype(np.int32),
        tok_quoted=rng.random(n_tok) < 0.5,
        exact_hash=int(rng.integers(2**63, 2**64 - 1, dtype=np.uint64)),  # above int64: must survive SQLite
        minhash=rng.integers(0, 2**32 - 1, size=32, dtype=np.uint32) if full else None,
        fingerprints=np.unique(rng.integers(0, 2**64 - 1, size=7, dtype=np.uint64)) if full else None,
        sent_vecs=sent_vecs if full else None,
        vec=rng.standard_normal(dim).astype(np.float32) if full else None,
        anchors=rng.integers(0, 2**64 - 1, size=4, dtype=np.uint64) if full else None,
    )


def make_pair(a: str, b: str, k: int = 0) -> Pair:
    return Pair(
        a=a, b=b, relation="rewrite", score=0.1 + k / 7, coverage_a=1 / 3, coverage_b=2 / 3,
        direction="a->b" if k % 2 else None,
        passages=[Passage(0, 10 + k, 5, 17, "verbatim", 1.0), Passage(20, 40, 30, 52, "paraphrase", 0.7123456789)],
        features={"verbatim_share": 0.25 + k, "order": -1e-9, "nan_feature": float("nan")},
    )


def assert_same_doc(x: Doc, y: Doc) -> None:
    assert x.article == y.article
    if x.article.published is not None:
        assert y.article.published.utcoffset() == x.article.published.utcoffset()
    for f in fields(Doc):
        if f.name == "article":
            continue
        u, v = getattr(x, f.name), getattr(y, f.name)
        if isinstance(u, np.ndarray):
            assert isinstance(v, np.ndarray), f.name
            assert v.dtype == u.dtype and v.shape == u.shape, f.name
            assert np.array_equal(u, v), f.name
        else:
            assert u == v and type(u) is type(v), f.name


# --- round trips ---------------------------------------------------------------
def test_docs_round_trip_every_field(tmp_path: Path) -> None:
    naive = make_doc("naive", 3)
    naive.article.published = datetime(1999, 12, 31, 23, 59, 59)
    empty = make_doc("empty", 4, n_sent=0, n_tok=0, full=False)  # no tokens, no optional arrays
    docs = [make_doc("full", 1), naive, empty, make_doc("bare", 2, full=False)]
    with Index.open(tmp_path / "i.idx", Settings()) as ix:
        ix.add(docs, [])
    with Index.open(tmp_path / "i.idx") as ix:  # reopened: the data are on disk
        back = ix.load_docs()
    assert [d.id for d in back] == [d.id for d in docs]
    for x, y in zip(docs, back, strict=True):
        assert_same_doc(x, y)
    assert back[1].article.published.tzinfo is None
    assert back[0].article.published.tzinfo is not None
    assert back[2].tok_hash.shape == (0,) and back[2].sent_spans.shape == (0, 2)
    with pytest.raises(ValueError, match="read-only"):
        back[0].sent_vecs[0, 0] = 1.0  # indexed history is protected by default
    with Index.open(tmp_path / "i.idx") as ix:
        mine = ix.load_docs(["full", "naive"], writable=True)
    mine[0].sent_vecs[0, 0] = 1.0
    assert mine[0].sent_vecs[0, 0] == 1.0
    assert_same_doc(back[1], mine[1])


def test_pairs_round_trip_and_runs(tmp_path: Path) -> None:
    docs = [make_doc(f"d{i}", i) for i in range(4)]
    pairs = [make_pair("d0", "d1", 0), make_pair("d1", "d2", 1)]
    with Index.open(tmp_path / "i.idx") as ix:
        ix.add(docs[:3], pairs)
        ix.add(docs[3:], [make_pair("d3", "d0", 2)])  # a later run may pair with older docs
        back = ix.load_pairs()
        runs = ix.runs()
    expected = pairs + [make_pair("d3", "d0", 2)]
    assert len(back) == 3
    for p, q in zip(expected, back, strict=True):
        assert (q.a, q.b, q.relation, q.score, q.coverage_a, q.coverage_b, q.direction) == (
            p.a, p.b, p.relation, p.score, p.coverage_a, p.coverage_b, p.direction)
        assert q.passages == p.passages
        assert q.features.keys() == p.features.keys()
        assert math.isnan(q.features["nan_feature"])
        assert q.features["verbatim_share"] == p.features["verbatim_share"]
    assert [(r.docs_added, r.pairs_added) for r in runs] == [(3, 2), (1, 1)]
    assert runs[0].time <= runs[1].time and runs[0].time.tzinfo is not None


def _pair_key(p: Pair) -> tuple:
    return (p.a, p.b, p.relation, p.score, p.direction, list(p.passages), sorted(p.features))


def test_an_index_kept_in_memory_reads_once_and_stays_equal_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    with Index.open(path) as ix:
        ix.add([make_doc("d0", 0), make_doc("d1", 1)], [make_pair("d0", "d1", 0)])
    held = Index.open(path, keep_in_memory=True)
    try:
        first, pairs = held.load_docs(), held.load_pairs()
        read = held._read_docs
        held._read_docs = lambda *a: pytest.fail("read the whole index again")  # type: ignore[method-assign]
        again = held.load_docs()
        assert [id(d) for d in again] == [id(d) for d in first], "the same docs, not read again"
        pairs[0].relation = "related"  # callers relabel pairs in place (stories): the held ones stay
        assert held.load_pairs()[0].relation == "rewrite"
        # our own add extends what is held, exactly as a fresh read would give it
        held.add([make_doc("d2", 2)], [make_pair("d2", "d0", 1)], refreshed=[])
        mine, my_pairs = held.load_docs(), held.load_pairs()
        held._read_docs = read  # type: ignore[method-assign]
        with Index.open(path) as fresh:
            disk, disk_pairs = fresh.load_docs(), fresh.load_pairs()
        assert [d.id for d in mine] == ["d0", "d1", "d2"]
        for x, y in zip(disk, mine, strict=True):
            assert_same_doc(x, y)
        assert [_pair_key(p) for p in my_pairs] == [_pair_key(p) for p in disk_pairs]
        # a commit by another connection (another process) is noticed: the next load reads the file
        with Index.open(path) as other:
            other.add([make_doc("d3", 3)], [make_pair("d3", "d1", 2)])
        assert [d.id for d in held.load_docs()] == ["d0", "d1", "d2", "d3"]
        assert len(held.load_pairs()) == 3
        # and an add after such a commit does not build on the stale memory
        with Index.open(path) as other:
            other.add([make_doc("d4", 4)], [])
        held.add([make_doc("d5", 5)], [])
        assert [d.id for d in held.load_docs()] == ["d0", "d1", "d2", "d3", "d4", "d5"]
    finally:
        held.close()


def test_load_subset_keeps_index_order_and_names_missing(tmp_path: Path) -> None:
    with Index.open(tmp_path / "i.idx") as ix:
        ix.add([make_doc(f"d{i}", i) for i in range(5)], [])
        assert [d.id for d in ix.load_docs(["d4", "d1", "d4"])] == ["d1", "d4"]
        assert ix.ids() == {f"d{i}" for i in range(5)} and len(ix) == 5 and "d3" in ix
        with pytest.raises(KeyError, match="nope"):
            ix.load_docs(["d1", "nope"])


# --- refusals ------------------------------------------------------------------
def test_other_signature_settings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    with Index.open(path, Settings(num_perm=128), encoder_name="use-m3") as ix:
        ix.add([make_doc("a")], [])
    with pytest.raises(IndexSettingsError) as e:
        Index.open(path, Settings(num_perm=64))
    assert str(path) in str(e.value) and "num_perm" in str(e.value) and "shingle_size" not in str(e.value)
    with pytest.raises(IndexSettingsError, match="encoder"):
        Index.open(path, Settings(), encoder_name="minilm")
    # settings that only change candidates or runs are not signature settings
    with Index.open(path, Settings(max_bucket=5, threads=1), encoder_name="use-m3") as ix:
        assert len(ix) == 1
    with Index.open(path) as ix:  # no settings: adopt the index's own
        assert ix.settings.num_perm == 128 and ix.encoder_name == "use-m3"


def test_encoder_is_recorded_by_the_first_add_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    Index.open(path).close()
    with Index.open(path, encoder_name="use-m3") as ix:
        ix.add([make_doc("a")], [])
    with pytest.raises(IndexSettingsError, match="use-m3"):
        Index.open(path, encoder_name="other")


def test_bad_adds_leave_the_index_unchanged(tmp_path: Path) -> None:
    with Index.open(tmp_path / "i.idx") as ix:
        ix.add([make_doc("a", 1)], [])
        with pytest.raises(ValueError, match="already in the index"):
            ix.add([make_doc("b", 2), make_doc("a", 3)], [])
        with pytest.raises(ValueError, match="given twice"):
            ix.add([make_doc("c", 2), make_doc("c", 3)], [])
        with pytest.raises(ValueError, match="ghost"):
            ix.add([make_doc("b", 2)], [make_pair("b", "ghost")])
        bad = make_doc("d", 4)
        bad.exact_hash = -1
        with pytest.raises(ValueError, match="exact_hash"):
            ix.add([bad], [])
        obj = make_doc("e", 5)
        obj.anchors = np.array(["x"], dtype=object)
        with pytest.raises(ValueError, match="'e'.*anchors"):
            ix.add([obj], [])
        assert ix.ids() == {"a"} and ix.load_pairs() == [] and len(ix.runs()) == 1


def test_non_index_files_are_refused_by_path(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("this is not a database\n" * 10)
    with pytest.raises(IndexFileError) as e:
        Index.open(text)
    assert str(text) in str(e.value)
    assert text.read_text().startswith("this is not")  # untouched

    foreign = tmp_path / "other.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = foreign.read_bytes()
    with pytest.raises(IndexFileError, match="not a retold index") as e:
        Index.open(foreign)
    assert str(foreign) in str(e.value) and foreign.read_bytes() == before

    damaged = tmp_path / "damaged.idx"
    with Index.open(damaged) as ix:
        ix.add([make_doc(f"d{i}", i) for i in range(20)], [])
    raw = bytearray(damaged.read_bytes())
    raw[100:] = os.urandom(len(raw) - 100)  # keep the SQLite header, garble the rest
    damaged.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError) as e:
        with Index.open(damaged) as ix:
            ix.load_docs()
    assert str(damaged) in str(e.value)

    with pytest.raises(IndexFileError, match="folder"):
        Index.open(tmp_path)


def test_tampered_array_blob_names_the_doc(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    with Index.open(path) as ix:
        ix.add([make_doc("a", 1), make_doc("b", 2)], [])
    con = sqlite3.connect(path)
    con.execute("UPDATE docs SET arrays = substr(arrays, 1, 60) WHERE id = 'b'")
    con.commit()
    con.close()
    with Index.open(path) as ix:
        assert [d.id for d in ix.load_docs(["a"])] == ["a"]
        with pytest.raises(IndexFileError, match=r"doc 'b'") as e:
            ix.load_docs()
        assert str(path) in str(e.value)


def test_array_blob_rejects_object_dtypes_and_garbage() -> None:
    blob = pack_arrays({"vec": np.arange(3, dtype=np.float32), "anchors": np.arange(2, dtype=">u8")})
    back = unpack_arrays(blob)
    assert back["anchors"].dtype == np.dtype("<u8") and list(back["anchors"]) == [0, 1]
    forged = blob.replace(b"<f4", b"|O8")
    with pytest.raises(ArrayBlobError, match="dtype"):
        unpack_arrays(forged)
    for cut in (3, 10, len(blob) - 1):
        with pytest.raises(ArrayBlobError):
            unpack_arrays(blob[:cut])
    with pytest.raises(ArrayBlobError, match="trailing"):
        unpack_arrays(blob + b"\0" * 8)


# --- atomicity and concurrency with real processes -------------------------------
_WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_index import make_doc
from retold.index import Index

path, signal_file, start, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pause = sys.argv[5] == "pause"
docs = [make_doc(f"new{{i}}", i, n_sent=25, n_tok=300, dim=512) for i in range(start, start + n)]

def midway():
    Path(signal_file).touch()
    time.sleep(120)

with Index.open(path) as ix:
    ix.add(docs, [], _midway=midway if pause else None)
print("done")
"""


def _writer(path: Path, signal_file: Path, start: int, n: int, pause: bool) -> subprocess.Popen:
    code = _WRITER.format(tests=str(REPO / "tests"))
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(signal_file), str(start), str(n), "pause" if pause else "go"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _wait_inside(proc: subprocess.Popen, signal_file: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not signal_file.exists():
        if proc.poll() is not None:
            raise AssertionError(f"writer exited early: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("writer never reached the middle of its add")
        time.sleep(0.05)


def _seed_index(path: Path) -> tuple[set[str], int]:
    with Index.open(path) as ix:
        ix.add([make_doc(f"old{i}", 1000 + i) for i in range(5)], [make_pair("old0", "old1")])
        return ix.ids(), len(ix.runs())


def test_killed_add_leaves_index_as_before_and_next_add_completes(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    before, n_runs = _seed_index(path)
    flag = tmp_path / "inside"
    proc = _writer(path, flag, 0, 200, pause=True)
    _wait_inside(proc, flag)
    wal = Path(str(path) + "-wal")
    assert wal.stat().st_size > 1_000_000  # uncommitted pages really reached the disk
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with Index.open(path) as ix:
        assert ix.ids() == before
        assert len(ix.load_docs()) == len(before)
        assert len(ix.load_pairs()) == 1 and len(ix.runs()) == n_runs
        # the candidate tables are in the same transaction: none of the killed batch's rows
        assert ix._read("SELECT count(*) FROM light")[0][0] == len(before)
        assert ix._read("SELECT count(DISTINCT seq) FROM postings")[0][0] == len(before)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    done = tmp_path / "unused"
    proc = _writer(path, done, 0, 60, pause=False)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    with Index.open(path) as ix:
        assert ix.ids() == before | {f"new{i}" for i in range(60)}
        loaded = {d.id: d for d in ix.load_docs()}
        assert_same_doc(loaded["new7"], make_doc("new7", 7, n_sent=25, n_tok=300, dim=512))
        assert [r.docs_added for r in ix.runs()][-1] == 60
        assert ix._read("SELECT count(*) FROM light")[0][0] == len(before) + 60


def test_second_writer_waits_then_fails_clearly_and_readers_see_old_state(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    before, _ = _seed_index(path)
    flag = tmp_path / "inside"
    proc = _writer(path, flag, 0, 40, pause=True)
    try:
        _wait_inside(proc, flag)
        with Index.open(path, busy_timeout=0.3) as ix:
            assert ix.ids() == before  # a reader never sees half an add
            t = time.monotonic()
            with pytest.raises(IndexBusyError) as e:
                ix.add([make_doc("mine", 99)], [])
            assert time.monotonic() - t >= 0.25  # it waited for the lock first
            assert str(path) in str(e.value)
            assert ix.ids() == before
    finally:
        proc.kill()
        proc.wait(timeout=30)
    with Index.open(path) as ix:
        ix.add([make_doc("mine", 99)], [])  # lock released by the killed writer
        assert ix.ids() == before | {"mine"}
