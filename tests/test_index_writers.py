"""Two writers on one index see each other: the second waits for the first's commit, then
compares its articles against the first's and skips the ids it indexed (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retold.index import Index

STORY = (
    "The harbour board of {town} approved a {n} million plan to rebuild the north pier on {day}. "
    "Board chair {who} said the work would start in spring and last {w} weeks. "
    "Fishing crews had asked for the repair since a storm damaged the pier last winter."
)


def _batch(path: Path, prefix: str, k0: int, k1: int) -> None:
    towns = ["Arnvik", "Belmora", "Calder", "Dunholt", "Eskby", "Fenwick", "Garrow", "Holm"]
    people = ["Ida Brandt", "Omar Quell", "Lena Varga", "Tom Reyes"]
    with path.open("w", encoding="utf-8") as f:
        for k in range(k0, k1):
            text = STORY.format(town=towns[k % 8], n=k + 3, day=f"day {k}", who=people[k % 4], w=k + 5)
            f.write(json.dumps({"id": f"{prefix}{k}", "text": text}) + "\n")


def _scan(inp: Path, idx: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "retold", "scan", str(inp), "--index", str(idx), "--out", str(out), "--quiet", "--copies-only"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_two_concurrent_scans_compare_their_batches_with_each_other(tmp_path: Path) -> None:
    """Batch A and batch B hold copies of each other's texts (a_k and b_k are one text); run at
    once, every a_k-b_k pair must be found, by whichever run commits second."""
    _batch(tmp_path / "a.jsonl", "a", 0, 12)
    _batch(tmp_path / "b.jsonl", "b", 0, 12)
    idx = tmp_path / "shared.idx"
    procs = [_scan(tmp_path / f"{x}.jsonl", idx, tmp_path / f"out_{x}") for x in "ab"]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    with Index.open(idx) as index:
        assert len(index) == 24
        found = {frozenset((p.a, p.b)) for p in index.load_pairs() if p.relation == "duplicate"}
    missing = [k for k in range(12) if frozenset((f"a{k}", f"b{k}")) not in found]
    assert not missing, f"pairs between the two batches never compared: {missing}"


@pytest.mark.slow
def test_a_concurrent_scan_of_the_same_articles_lists_them_as_indexed(tmp_path: Path) -> None:
    """The same batch twice at once: one run adds it, the other says each id is already
    indexed (a problem per record, exit 0), no traceback."""
    _batch(tmp_path / "a.jsonl", "a", 0, 10)
    idx = tmp_path / "same.idx"
    procs = [_scan(tmp_path / "a.jsonl", idx, tmp_path / f"out_{k}") for k in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    assert not any("Traceback" in e for _, e in outs)
    probs = [
        [json.loads(line)["reason"] for line in (tmp_path / f"out_{k}" / "problems.jsonl").read_text().splitlines()]
        if (tmp_path / f"out_{k}" / "problems.jsonl").exists() else []
        for k in range(2)
    ]
    assert sorted(len(p) for p in probs) == [0, 10] and set(sum(probs, [])) == {"duplicate_id"}
    with Index.open(idx) as index:
        assert len(index) == 10


def test_the_writer_lock_makes_a_second_writer_wait_and_can_time_out(tmp_path: Path) -> None:
    from retold.index import IndexBusyError

    idx = tmp_path / "lock.idx"
    with Index.open(idx) as one, Index.open(idx) as two:
        waited: list[float] = []
        with one.writing():
            with pytest.raises(IndexBusyError):
                with two.writing(timeout=0.5):
                    pass

            def second() -> None:
                t = time.monotonic()
                with two.writing(on_wait=lambda: None):
                    waited.append(time.monotonic() - t)

            th = threading.Thread(target=second)
            th.start()
            time.sleep(0.6)
            assert not waited, "the second writer went in while the first held the lock"
        th.join(10)
        assert waited and waited[0] >= 0.5



def _open_each(paths: list[str], barrier, errors) -> None:
    for path in paths:
        barrier.wait()
        try:
            with Index.open(path) as index:
                len(index)
        except Exception as e:  # reported to the parent, which names it
            errors.put(repr(e))


def test_processes_that_open_a_new_index_at_once_all_get_it(tmp_path: Path) -> None:
    """Four processes open one new file at the same instant, 60 times: while one creates it or
    switches it to WAL, SQLite says "database is locked" to the others without waiting; each
    must wait and open it (before, 2 of 30 such rounds lost a process)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier, errors = ctx.Barrier(4), ctx.Queue()
    paths = [str(tmp_path / f"new_{k}.idx") for k in range(60)]
    procs = [ctx.Process(target=_open_each, args=(paths, barrier, errors)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert [proc.exitcode for proc in procs] == [0] * 4
    assert not found, found
