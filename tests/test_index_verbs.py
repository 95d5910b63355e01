"""The verbs of an index: info (counts, settings, size, history), remove (a takedown: all or
nothing, under SIGKILL too, seen by a process holding the index in memory) and export (the
output contract, equal to what the scan that filled the index wrote)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from retold.cli import app
from retold.cli.scan import sample_dir
from retold.config import Settings
from retold.index import Index, IndexBusyError, Removal, Run
from retold.index.schema import SIGNATURE_FIELDS
from retold.show.jsonl import read_contract_records

from test_index import assert_same_doc, make_doc, make_pair

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _invoke(*args: str):  # noqa: ANN202
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> tuple[Path, Path]:
    """The bundled sample scanned once into an index: (index file, the scan's output folder)."""
    root = tmp_path_factory.mktemp("scanned")
    idx, out = root / "sample.idx", root / "scan"
    r = _invoke("scan", sample_dir(), "--index", idx, "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    return idx, out


def _copy(idx: Path, to: Path) -> Path:
    dst = to / idx.name
    shutil.copy(idx, dst)  # the scan closed the index: the WAL is folded into the file
    return dst


# --- info ----------------------------------------------------------------------
def test_info_of_an_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "empty.idx"
    before = datetime.now(timezone.utc)
    Index.open(path, Settings(num_perm=64)).close()
    with Index.open(path) as ix:
        info = ix.info()
    assert (info.articles, info.pairs, info.pairs_by_relation, info.second_vectors) == (0, 0, {}, 0)
    assert info.encoder is None and info.format_version == 2
    assert info.signature == {f: getattr(Settings(num_perm=64), f) for f in SIGNATURE_FIELDS}
    assert info.created is not None and before - timedelta(seconds=1) <= info.created <= datetime.now(timezone.utc)
    assert info.last_written is None and info.last_runs == [] and (info.adds, info.removals) == (0, 0)
    assert info.file_bytes == path.stat().st_size > 0

    r = _invoke("index", "info", path, "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["articles"] == 0 and got["pairs_by_relation"] == {} and got["signature"]["num_perm"] == 64
    assert got["last_runs"] == [] and got["created"] == info.created.isoformat()
    r = _invoke("index", "info", path)
    assert r.exit_code == 0 and "articles" in r.stdout and "num_perm=64" in r.stdout

    missing = tmp_path / ("a-folder-name-long-enough-to-pass-the-edge-of-a-terminal-" * 2) / "nothing.idx"
    r = _invoke("index", "info", missing)
    assert r.exit_code == 2
    assert f"{missing}: no such index file" in r.output.splitlines()[0]  # one line, never wrapped at a path
    assert not missing.exists(), "looking at an index must not create one"


def test_info_of_a_filled_index_counts_relations_vectors_size_and_history(tmp_path: Path) -> None:
    path = tmp_path / "filled.idx"
    docs = [make_doc(f"d{i}", i) for i in range(6)]
    docs[1].second_vecs = np.ones((2, 8), dtype=np.float32)
    docs[4].second_vecs = np.ones((3, 8), dtype=np.float32)
    pairs = [make_pair("d0", "d1"), make_pair("d1", "d2"), make_pair("d2", "d3")]
    pairs[2].relation = "translation"
    with Index.open(path, encoder_name="use-m3") as ix:
        ix.add(docs[:4], pairs)
        ix.add(docs[4:], [make_pair("d4", "d0")])
        ix.remove(["d5"])
        info = ix.info(last_runs=2)
        runs, removals = ix.runs(), ix.removals()
        wal = Path(str(path) + "-wal")
        assert info.wal_bytes == (wal.stat().st_size if wal.exists() else 0)
    assert (info.articles, info.pairs, info.second_vectors) == (5, 4, 2)
    assert info.pairs_by_relation == {"rewrite": 3, "translation": 1}
    assert info.encoder == "use-m3" and (info.adds, info.removals) == (2, 1)
    assert [type(r) for r in info.last_runs] == [Run, Removal], "the latest two, oldest first"
    assert info.last_runs == [runs[-1], removals[-1]] and removals[-1].docs_removed == 1
    assert info.last_written == removals[-1].time and info.created <= runs[0].time
    assert info.graph_files == 0 and info.total_bytes == info.file_bytes + info.wal_bytes  # no graphs in a small index

    r = _invoke("index", "info", path, "--json", "--last", "3")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert [x["action"] for x in got["last_runs"]] == ["add", "add", "remove"]
    assert [x["articles"] for x in got["last_runs"]] == [4, 2, 1]
    assert got["second_vectors"] == 2 and got["pairs_by_relation"]["translation"] == 1
    r = _invoke("index", "info", path)
    assert r.exit_code == 0 and "use-m3" in r.stdout and "translation" in r.stdout and "remove" in r.stdout


# --- export --------------------------------------------------------------------
def test_export_of_an_index_equals_the_scan_that_filled_it(scanned: tuple[Path, Path], tmp_path: Path) -> None:
    idx, scan_out = scanned
    r = _invoke("index", "export", _copy(idx, tmp_path), "--out", tmp_path / "export", "--quiet")
    assert r.exit_code == 0, r.output
    for name in ("pairs", "groups", "articles"):
        assert _jsonl(tmp_path / "export" / f"{name}.jsonl") == _jsonl(scan_out / f"{name}.jsonl"), name
    pairs = _jsonl(scan_out / "pairs.jsonl")
    # the comparison covers what a scan adds to the stored pairs: implied pairs and story agreement
    assert {p["basis"] for p in pairs} >= {"compared", "story"} and any(p["decided"] for p in pairs)
    assert not (tmp_path / "export" / "problems.jsonl").exists()


def test_export_of_a_copies_only_index_equals_its_scan(tmp_path: Path) -> None:
    idx = tmp_path / "copies.idx"
    r = _invoke("scan", sample_dir(), "--copies-only", "--index", idx, "--out", tmp_path / "scan", "--quiet")
    assert r.exit_code == 0, r.output
    r = _invoke("index", "export", idx, "--out", tmp_path / "export", "--quiet")
    assert r.exit_code == 0, r.output
    for name in ("pairs", "groups", "articles"):
        assert _jsonl(tmp_path / "export" / f"{name}.jsonl") == _jsonl(tmp_path / "scan" / f"{name}.jsonl"), name
    assert {g["kind"] for g in _jsonl(tmp_path / "export" / "groups.jsonl")} == {"family"}


def test_export_as_parquet_holds_the_same_records(scanned: tuple[Path, Path], tmp_path: Path) -> None:
    idx, scan_out = scanned
    r = _invoke("index", "export", _copy(idx, tmp_path), "--out", tmp_path / "pq", "--format", "parquet", "--quiet")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == ["articles.parquet", "groups.parquet", "pairs.parquet"]
    pairs = read_contract_records(tmp_path / "pq" / "pairs.parquet")
    want = _jsonl(scan_out / "pairs.jsonl")
    assert [(p["a"], p["b"], p["relation"], p["basis"]) for p in pairs] == [(p["a"], p["b"], p["relation"], p["basis"]) for p in want]
    groups = read_contract_records(tmp_path / "pq" / "groups.parquet")
    assert [sorted(g["members"]) for g in groups] == [sorted(g["members"]) for g in _jsonl(scan_out / "groups.jsonl")]
    r = _invoke("index", "export", idx, "--out", tmp_path / "x", "--format", "csv")
    assert r.exit_code == 2


# --- remove --------------------------------------------------------------------
GONE = "02_valleygazette_copy"  # the exact copy of 01: a member of the sample's one family


def test_removing_one_member_of_a_family(scanned: tuple[Path, Path], tmp_path: Path) -> None:
    idx = _copy(scanned[0], tmp_path)
    with Index.open(idx) as ix:
        before = ix.load_pairs()
    named = [p for p in before if GONE in (p.a, p.b)]
    kept = [p for p in before if GONE not in (p.a, p.b)]
    assert len(named) >= 3 and kept
    old_groups = _jsonl(scanned[1] / "groups.jsonl")
    old_family = next(g for g in old_groups if g["kind"] == "family" and GONE in g["members"])

    r = _invoke("index", "remove", idx, GONE, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["removed"] == [GONE] and rep["unknown"] == [] and rep["pairs_removed"] == len(named)
    assert rep["partners"] == sorted({x for p in named for x in (p.a, p.b)} - {GONE}) and rep["scrubbed"]

    with Index.open(idx) as ix:
        assert GONE not in ix and len(ix) == 10
        after = ix.load_pairs()
        assert [(p.a, p.b, p.relation, p.score, p.direction) for p in after] == [
            (p.a, p.b, p.relation, p.score, p.direction) for p in kept
        ], "every other pair intact, in its order"
        assert ix.removals()[-1].pairs_removed == len(named)
    r = _invoke("index", "export", idx, "--out", tmp_path / "export", "--quiet")
    assert r.exit_code == 0, r.output
    pairs = _jsonl(tmp_path / "export" / "pairs.jsonl")
    groups = _jsonl(tmp_path / "export" / "groups.jsonl")
    arts = _jsonl(tmp_path / "export" / "articles.jsonl")
    assert not [p for p in pairs if GONE in (p["a"], p["b"])], "neither compared nor implied pairs name it"
    assert not [g for g in groups if GONE in g["members"]] and GONE not in {a["id"] for a in arts}
    family = next(g for g in groups if g["kind"] == "family" and old_family["origin"] in g["members"])
    assert family["members"] == [m for m in old_family["members"] if m != GONE]
    assert family["origin"] == old_family["origin"] == "01_northwire_original"
    assert raw_count(idx, b"Valley Gazette") == 0, "its text is gone from the file, not just unlinked"


def raw_count(idx: Path, needle: bytes) -> int:
    """Occurrences of ``needle`` in the index file and its WAL, byte for byte."""
    n = 0
    for p in (idx, Path(str(idx) + "-wal")):
        if p.exists():
            n += p.read_bytes().count(needle)
    return n


def test_remove_of_unknown_ids_reports_them_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    with Index.open(path) as ix:
        ix.add([make_doc(f"d{i}", i) for i in range(4)], [make_pair("d0", "d1"), make_pair("d2", "d3")])
        rep = ix.remove(["ghost", "phantom", "ghost"])
        assert (rep.removed, rep.unknown, rep.pairs_removed, rep.partners) == ([], ["ghost", "phantom"], 0, [])
        assert len(ix) == 4 and len(ix.load_pairs()) == 2 and ix.removals() == [], "nothing to record"
    ids = tmp_path / "takedown.txt"
    ids.write_text("d0\n\n  ghost  \nd0\n", encoding="utf-8")
    r = _invoke("index", "remove", path, "d3", "--from-file", ids)
    assert r.exit_code == 0, r.output
    assert "removed 2 article(s) and 2 pair(s)" in r.stdout and "ghost" in r.output
    with Index.open(path) as ix:
        assert ix.ids() == {"d1", "d2"} and ix.load_pairs() == []
    assert _invoke("index", "remove", path).exit_code == 2, "no ids: a usage error"
    assert _invoke("index", "remove", tmp_path / "none.idx", "d1").exit_code == 2
    assert not (tmp_path / "none.idx").exists()


_REMOVER = """
import sys, time
from pathlib import Path
from retold.index import Index

path, signal_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

def midway():
    Path(signal_file).touch()
    time.sleep(120)

with Index.open(path) as ix:
    print(ix.remove([f"new{i}" for i in range(n)], _midway=midway).removed[:1])
"""


def _seed(path: Path, n: int) -> None:
    docs = [make_doc(f"new{i}", i, n_sent=25, n_tok=300, dim=512) for i in range(n)]
    pairs = [make_pair(f"new{i}", f"new{i + 1}", i) for i in range(n - 1)]
    with Index.open(path) as ix:
        ix.add(docs, pairs)


def test_killed_remove_leaves_index_as_before_and_next_remove_completes(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    _seed(path, 160)
    with Index.open(path) as ix:
        ids, pairs, runs = ix.ids(), ix.load_pairs(), ix.runs()
    flag = tmp_path / "inside"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _REMOVER, str(path), str(flag), "120"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"remover exited early: {proc.stderr.read().decode()}")
        assert time.monotonic() < deadline, "remover never reached the middle of its remove"
        time.sleep(0.05)
    # pages the half-done deletes overwrote spilled from the page cache: uncommitted frames on disk
    assert Path(str(path) + "-wal").stat().st_size > 100_000
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with Index.open(path) as ix:
        assert ix.ids() == ids and ix.removals() == [] and ix.runs() == runs
        assert [(p.a, p.b) for p in ix.load_pairs()] == [(p.a, p.b) for p in pairs]
        assert_same_doc(ix.load_docs(["new60"])[0], make_doc("new60", 60, n_sent=25, n_tok=300, dim=512))
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    with Index.open(path) as ix:  # the writer lock died with the killed process
        rep = ix.remove([f"new{i}" for i in range(120)], timeout=10)
        assert len(rep.removed) == 120 and rep.pairs_removed == 120 and rep.partners == ["new120"]
        assert ix.ids() == {f"new{i}" for i in range(120, 160)} and len(ix.load_pairs()) == 39


def test_an_index_held_in_memory_sees_a_removal_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    with Index.open(path) as ix:
        ix.add([make_doc(f"d{i}", i) for i in range(4)], [make_pair("d0", "d1"), make_pair("d1", "d2"), make_pair("d2", "d3")])
    held = Index.open(path, keep_in_memory=True)
    try:
        assert len(held.load_docs()) == 4 and len(held.load_pairs()) == 3
        with Index.open(path) as other:  # another connection: as another process commits
            other.remove(["d0"])
        assert [d.id for d in held.load_docs()] == ["d1", "d2", "d3"]
        assert [(p.a, p.b) for p in held.load_pairs()] == [("d1", "d2"), ("d2", "d3")]
        # its own removal: what it holds drops the article at once, equal to a fresh read
        read = held._read_docs
        held._read_docs = lambda *a: pytest.fail("read the whole index again")  # type: ignore[method-assign]
        held.remove(["d3"])
        assert [d.id for d in held.load_docs()] == ["d1", "d2"] and [(p.a, p.b) for p in held.load_pairs()] == [("d1", "d2")]
        held._read_docs = read  # type: ignore[method-assign]
        # an add after another's removal does not bring the removed article back
        with Index.open(path) as other:
            other.remove(["d2"])
        held.add([make_doc("d9", 9)], [])
        assert [d.id for d in held.load_docs()] == ["d1", "d9"] and held.load_pairs() == []
    finally:
        held.close()


def test_remove_waits_for_the_writer_lock(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    with Index.open(path) as ix:
        ix.add([make_doc("a", 1), make_doc("b", 2)], [make_pair("a", "b")])
    scan, remover = Index.open(path), Index.open(path)
    try:
        with scan.writing():  # a scan between its read of the index and its add
            t = time.monotonic()
            with pytest.raises(IndexBusyError):
                remover.remove(["a"], timeout=0.3)
            assert time.monotonic() - t >= 0.25 and "a" in remover
            waited = []
            done = threading.Event()

            def later() -> None:  # a connection belongs to its thread: this one opens its own
                with Index.open(path) as mine:
                    mine.remove(["a"], on_wait=lambda: waited.append(1))
                done.set()

            th = threading.Thread(target=later)
            th.start()
            time.sleep(0.5)
            assert not done.is_set() and "a" in scan, "no removal while the scan holds the lock"
            with scan.writing():  # the lock holder may remove too: the lock is not taken twice
                scan.remove(["b"])
        th.join(timeout=10)
        assert done.is_set() and waited == [1]
        assert remover.ids() == set() and remover.load_pairs() == []
    finally:
        scan.close()
        remover.close()


def test_removed_texts_leave_no_trace_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    docs = [make_doc(f"d{i}", i, n_tok=200) for i in range(8)]
    for i, d in enumerate(docs):
        d.article.text = f"MARK{i:02d}TEXT " * 400  # spills onto overflow pages
    with Index.open(path) as ix:
        # asked for, not left to how SQLite was built (some builds overwrite deletes by default)
        assert ix._db.execute("PRAGMA secure_delete").fetchone()[0] == 1
        ix.add(docs, [])
        assert raw_count(path, b"MARK03TEXT") > 0
        rep = ix.remove(["d3", "d6"])
        assert rep.scrubbed and raw_count(path, b"MARK03TEXT") == raw_count(path, b"MARK06TEXT") == 0
        assert raw_count(path, b"MARK04TEXT") > 0
        # an index whose free pages hold an old copy (written without overwriting deletes): --vacuum
        ix._db.execute("PRAGMA secure_delete = OFF")
        ix._db.execute("UPDATE docs SET text = 'rewritten' WHERE id = 'd5'")
        assert raw_count(path, b"MARK05TEXT") > 0
        ix._db.execute("PRAGMA secure_delete = ON")
        ix.remove(["d1"], vacuum=True)
        assert raw_count(path, b"MARK05TEXT") == raw_count(path, b"MARK01TEXT") == 0
        assert ix.ids() == {"d0", "d2", "d4", "d5", "d7"}
