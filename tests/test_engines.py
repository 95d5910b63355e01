"""The local engine gives the same results, in the same order, in-process and with forked workers."""

from __future__ import annotations

import multiprocessing
import os

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
    """A real local Ray: the sample scanned on Ray gives exactly the pairs of the local engine."""
    pytest.importorskip("ray")
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
    key = lambda r: sorted((p.a, p.b, p.relation, len(p.passages)) for p in r.pairs)  # noqa: E731
    assert key(remote) == key(local) and key(local)
