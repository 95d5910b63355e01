"""The local engine gives the same results, in the same order, in-process and with forked workers."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from retold.engines import LocalEngine


def _square_with_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_in_process_for_small_batches():
    out = list(LocalEngine(processes=2, min_items=100).map(_square_with_pid, list(range(10))))
    assert [v for v, _ in out] == [x * x for x in range(10)]
    assert {pid for _, pid in out} == {os.getpid()}


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_forked_workers_keep_order_and_share_parent_data():
    table = {i: i * 3 for i in range(5000)}  # a closure over parent data, never pickled

    def lookup(i: int) -> tuple[int, int]:
        return table[i], os.getpid()

    out = list(LocalEngine(processes=2, min_items=100, chunk=64).map(lookup, list(range(5000))))
    assert [v for v, _ in out] == [i * 3 for i in range(5000)]
    assert os.getpid() not in {pid for _, pid in out}, "the work ran in worker processes"


def test_ray_engine_gives_the_local_results():
    """A real local Ray: the sample scanned on Ray, its sentences embedded on Ray's workers and its
    pairs compared there, gives exactly the pairs, groups and vectors of the local engine."""
    pytest.importorskip("ray")
    import numpy as np

    import retold
    from retold.cli.scan import sample_dir
    from retold.engines.ray_engine import RayEngine

    eng = RayEngine(num_cpus=2)
    try:
        table = {i: i + 1 for i in range(3000)}
        assert list(eng.map(lambda i: table[i], list(range(3000)))) == [i + 1 for i in range(3000)]
        local = retold.scan([sample_dir()])
        remote = retold.scan([sample_dir()], engine=eng)
    finally:
        eng.shutdown()
    assert remote.stats.get("embed_remote_batches", 0) >= 1 and "embed_remote_batches" not in local.stats
    # scores to 9 places: a worker's BLAS runs on one thread, which may move a sum's last bit
    key = lambda r: sorted((p.a, p.b, p.relation, round(p.score, 9), round(p.coverage_a, 9), round(p.coverage_b, 9), len(p.passages)) for p in r.pairs)  # noqa: E731
    assert key(remote) == key(local) and key(local)
    assert sorted(g.members for g in remote.groups) == sorted(g.members for g in local.groups)
    for doc_id, d in local.docs.items():
        r = remote.docs[doc_id]
        for f in ("sent_vecs", "vec"):
            x, y = getattr(d, f), getattr(r, f)
            assert (x is None) == (y is None) and (x is None or np.array_equal(x, y)), (doc_id, f)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_cleaning_and_names_on_workers_equal_the_serial_ones():
    """Clean's per-article pass and the name signatures run on the engine; nothing may differ."""
    import numpy as np

    from retold.clean import prepare
    from retold.config import Settings
    from retold.model import Article
    from retold.sign.names import doc_names, doc_words, sign_names

    texts = [
        "Officials in Kaikoura said on Monday that 1,200 homes lost power.\nThe storm moved east.",
        "Der Bürgermeister von Linz eröffnete am Dienstag die neue Brücke über die Donau.",
        "Menu | Home | Sport\nThe Warriors beat the Celtics 101-99 in Boston on Sunday night.\nMenu | Home | Sport",
        "Presidentti Niinistö tapasi Obaman Helsingissä keskiviikkona.",
    ] * 40
    arts = [Article(id=str(i), text=t + f" Item {i}.") for i, t in enumerate(texts)]
    engine = LocalEngine(processes=2, min_items=10, chunk=16)
    serial, forked = prepare(arts, Settings()), prepare(arts, Settings(), engine=engine)
    for a, b in zip(serial, forked):
        assert a.lang == b.lang and a.id == b.id
        for f in ("sent_spans", "sent_boiler", "tok_hash", "tok_spans", "tok_sent", "tok_quoted"):
            assert np.array_equal(getattr(a, f), getattr(b, f)), f
    sign_names(forked, engine)
    assert all("_names" in d.__dict__ for d in forked)
    assert [d.__dict__["_names"] for d in forked] == [doc_names(d) for d in serial]
    assert [d.__dict__["_words"] for d in forked] == [doc_words(d) for d in serial]
    assert any(forked[1].__dict__["_names"])  # not trivially empty: Linz, Donau...
    # against an index: words of the new docs only, names of all (candidates read every doc's)
    again = prepare(arts, Settings())
    sign_names(again, engine, words_of=[i % 2 == 0 for i in range(len(again))])
    assert all("_names" in d.__dict__ for d in again)
    assert [("_words" in d.__dict__) for d in again] == [i % 2 == 0 for i in range(len(again))]
    assert [d.__dict__["_words"] for d in again[::2]] == [doc_words(d) for d in serial[::2]]


def test_ann_neighbours_are_the_same_run_after_run():
    """Above EXACT_BELOW articles the HNSW graph is built on one thread: no run-to-run drift."""
    import numpy as np

    from retold.candidates.semantic import EXACT_BELOW, _neighbours

    rng = np.random.default_rng(3)
    centres = rng.standard_normal((100, 64)).astype(np.float32)
    v = centres[rng.integers(0, 100, EXACT_BELOW + 500)] + 0.8 * rng.standard_normal((EXACT_BELOW + 500, 64)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    runs = [_neighbours(v, v, 11)[0] for _ in range(3)]
    assert all(np.array_equal(runs[0], r) for r in runs[1:])
    assert (runs[0][:, 0] == np.arange(len(v))).mean() > 0.99  # and it is a real search: each finds itself


_HANG_SCRIPT = r"""
import signal
from retold.engines import LocalEngine
# a server's handler, as uvicorn installs one: workers that inherited it never died of SIGTERM
# (the engine before this test hung within the first ten batches here)
signal.signal(signal.SIGTERM, lambda *a: None)
table = list(range(3000))
for trial in range(40):
    out = list(LocalEngine(processes=2, min_items=100, chunk=256).map(lambda i: table[i] + 1, list(range(3000))))
    assert out == [i + 1 for i in range(3000)]
print("done", flush=True)
"""


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_workers_stop_though_the_parent_has_a_sigterm_handler():
    """The hang of `retold serve`: forked workers inherited uvicorn's SIGTERM handler, and
    the pool's SIGTERM never stopped them. Forty batches must finish well within the bound."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", _HANG_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent ignores SIGTERM, and so would its workers
        proc.communicate()
        pytest.fail("the batches hung: workers did not stop")
    assert proc.returncode == 0, err
    assert out.strip().endswith("done")


def _die_on_seven(x: int) -> int:
    if x == 7:
        os.kill(os.getpid(), 9)
    return x


def _stuck_on_seven(x: int) -> int:
    if x == 7:
        import time

        time.sleep(120)
    return x


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_dead_worker_fails_the_batch_with_a_clear_error():
    from retold.engines.local import EngineError

    with pytest.raises(EngineError, match="died"):
        list(LocalEngine(processes=2, min_items=10, chunk=4).map(_die_on_seven, list(range(200)), label="compare"))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_stuck_worker_fails_the_batch_in_time_and_is_killed():
    import time

    from retold.engines.local import EngineError

    before = {p.pid for p in multiprocessing.active_children()}
    t = time.monotonic()
    with pytest.raises(EngineError, match="no result"):
        list(LocalEngine(processes=2, min_items=10, chunk=4, timeout_s=2).map(_stuck_on_seven, list(range(200))))
    assert time.monotonic() - t < 60
    from retold.engines.local import running

    left = [p for p in multiprocessing.active_children() if p.pid not in before and running(p.pid)]
    assert not left, f"the stuck worker was left running: {left}"


def test_running_asks_the_system_not_multiprocessing():
    """A child whose exit was collected behind multiprocessing's back (here: by os.waitpid) is
    called alive by multiprocessing for good; ``running`` tells it is gone."""
    from retold.engines.local import running

    p = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    p.start()
    assert running(p.pid)
    os.kill(p.pid, 9)
    os.waitpid(p.pid, 0)  # another waiter collects the exit first
    assert p.is_alive()  # what multiprocessing believes
    assert not running(p.pid)
    assert not running(None)


class _StopAfter:
    """A progress that stops the work (as the service's does) once ``after_s`` have passed."""

    def __init__(self, after_s: float) -> None:
        self.until = time.monotonic() + after_s
        self.checks = 0

    def track(self, items, total=None, label=""):
        yield from items

    def check(self) -> None:
        self.checks += 1
        if time.monotonic() > self.until:
            raise KeyboardInterrupt("stop")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_stop_asked_while_a_chunk_is_awaited_ends_the_map_at_once():
    """A worker busy with a long chunk does not hold a stop: the engine asks the progress while
    it waits, and the abandoned workers are killed without a grace period."""
    from retold.engines.local import running

    stop = _StopAfter(0.5)
    before = {p.pid for p in multiprocessing.active_children()}
    t = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        list(LocalEngine(processes=2, min_items=10, chunk=4, timeout_s=600).map(_stuck_on_seven, list(range(200)), progress=stop))
    assert time.monotonic() - t < 8  # not the chunk's 120 s, nor the 10 s grace of a finished map
    assert stop.checks >= 2
    left = [p for p in multiprocessing.active_children() if p.pid not in before and running(p.pid)]
    assert not left


class _Recording(LocalEngine):
    """The local engine, noting each map's label and size."""

    def __init__(self, **kw) -> None:  # noqa: ANN003
        super().__init__(**kw)
        self.maps: list[tuple[str, int]] = []

    def map(self, fn, items, *, progress=None, label=""):  # noqa: ANN001, ANN201
        self.maps.append((label, len(items)))
        return super().map(fn, items, progress=progress, label=label)


def _pair_rows(res) -> list[tuple]:  # noqa: ANN001
    return sorted(
        (p.a, p.b, p.relation, p.direction, round(p.score, 9), round(p.coverage_a, 9), round(p.coverage_b, 9),
         tuple((q.a_start, q.a_end, q.b_start, q.b_end, q.kind) for q in p.passages))
        for p in res.pairs
    )


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_scan_with_every_stage_on_forked_workers_equals_one_process():
    """Cleaning, names, embedding, comparing and the second opinions all on workers (every
    batch forks): the pairs are those of one process, to the passage."""
    import retold
    from retold.config import Settings
    from retold.sign.second import cheap

    sample = Path(retold.__file__).parent / "data" / "sample"
    forked = _Recording(processes=2, min_items=1, chunk=2)
    one = retold.scan([sample], settings=Settings(), engine=LocalEngine(processes=1))
    many = retold.scan([sample], settings=Settings(parallel_min_items=1), engine=forked)
    assert _pair_rows(many) == _pair_rows(one)
    assert {g.id: sorted(g.members) for g in many.groups} == {g.id: sorted(g.members) for g in one.groups}
    labels = dict(forked.maps)
    assert labels.get("compare", 0) > 0
    if cheap():  # the static second model's opinions go to the workers too
        assert labels.get("second opinion", 0) > 0, forked.maps
