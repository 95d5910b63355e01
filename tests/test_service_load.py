"""The service under load: requests that arrive together are scanned as one batch, each gets
its own answer; reads never wait for a scan; large requests become jobs; a failed or stuck
batch costs only itself; and the load test of scripts/loadtest.py, small."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

from retold.config import Settings
from retold.engines.local import EngineError
from retold.model import Article
from retold.service import IndexService, ServiceConfig, ServiceError, create_app

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")


def _loadtest():
    """scripts/loadtest.py as a module (scripts/ is no package)."""
    if "retold_loadtest" in sys.modules:
        return sys.modules["retold_loadtest"]
    spec = importlib.util.spec_from_file_location("retold_loadtest", ROOT / "scripts" / "loadtest.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["retold_loadtest"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


TEXTS = _loadtest().synthetic_texts(80, seed=11)


def arts(prefix: str, idx: range | list[int]) -> list[Article]:
    return [Article(id=f"{prefix}{i}", text=TEXTS[i], where=f"request:{k}") for k, i in enumerate(idx, 1)]


def open_service(tmp_path: Path, **limits) -> IndexService:
    """A service over a new copies-only index (no encoder: fast) with the given limits."""
    return IndexService.open(tmp_path / "svc.idx", settings=Settings(semantic=False), config=ServiceConfig(**limits))


class Gate:
    """A scan that waits at a gate before its first batch runs, so that requests pile up."""

    def __init__(self, service: IndexService) -> None:
        from retold.pipeline import scan

        self.real = scan
        self.entered = threading.Event()
        self.release = threading.Event()
        self.batches: list[list[str]] = []
        service._scan = self

    def __call__(self, articles, **kw):  # noqa: ANN001, ANN204
        self.batches.append([a.id for a in articles])
        self.entered.set()
        assert self.release.wait(60), "the test never opened the gate"
        return self.real(articles, **kw)


def test_requests_arriving_together_are_one_batch_and_each_gets_its_own_answer(tmp_path):
    service = open_service(tmp_path)
    gate = Gate(service)
    try:
        first, _ = service.submit(arts("a", range(0, 3)), [])
        assert gate.entered.wait(30)
        # while the first batch scans, three requests arrive: twins of one text split over two of
        # them, one id posted by two of them, one id twice in one request
        twin = TEXTS[40]
        b = arts("b", range(3, 6)) + [Article(id="twin-b", text=twin, where="request:4")]
        c = arts("c", range(6, 8)) + [Article(id="twin-c", text=twin, where="request:3"), Article(id="both", text=TEXTS[41], where="request:4")]
        d = [Article(id="both", text=TEXTS[41], where="request:1"), Article(id="d8", text=TEXTS[8], where="request:2"),
             Article(id="d8", text=TEXTS[8], where="request:3")]
        futs = [service.submit(x, [])[0] for x in (b, c, d)]
        gate.release.set()
        ans_a = first.result(60)
        ans_b, ans_c, ans_d = (f.result(60) for f in futs)
    finally:
        service.close()
    assert gate.batches[0] == ["a0", "a1", "a2"] and len(gate.batches) == 2  # b, c and d: one scan
    assert ans_a["added_ids"] == ["a0", "a1", "a2"] and ans_a["batch"]["requests"] == 1
    assert ans_b["batch"] == {"requests": 3, "articles": 9} == ans_c["batch"]
    assert ans_b["added_ids"] == ["b3", "b4", "b5", "twin-b"]
    assert ans_c["added_ids"] == ["c6", "c7", "twin-c", "both"] and ans_c["problems"] == []
    assert ans_d["added_ids"] == ["d8"] and ans_d["added"] == 1
    assert [(p["line"], p["reason"]) for p in ans_d["problems"]] == [(1, "duplicate_id"), (3, "duplicate_id")]
    assert "given twice" in ans_d["problems"][1]["detail"]
    twins = {frozenset(("twin-b", "twin-c"))}
    assert twins <= {frozenset((p["a"], p["b"])) for p in ans_b["pairs"]}  # both requests hear of the pair
    assert twins <= {frozenset((p["a"], p["b"])) for p in ans_c["pairs"]}
    assert not any("twin-b" in (p["a"], p["b"]) for p in ans_d["pairs"])  # and no one else
    assert all({"b3", "b4", "b5", "twin-b"} & set(g["members"]) for g in ans_b["groups"])
    assert ans_b["articles_total"] == ans_d["articles_total"] == 3 + 9
    assert ans_b["waited_seconds"] > 0


def test_reads_answer_from_the_snapshot_while_a_batch_scans(tmp_path):
    from starlette.testclient import TestClient

    service = open_service(tmp_path)
    client = TestClient(create_app(service))
    assert client.post("/articles", json=[{"id": "x", "text": TEXTS[0]}, {"id": "y", "text": TEXTS[0]}]).status_code == 200
    gate = Gate(service)
    try:
        out: dict = {}
        t = threading.Thread(target=lambda: out.update(r=client.post("/articles", json={"id": "z", "text": TEXTS[0]})))
        t.start()
        assert gate.entered.wait(30)  # the writer is inside its scan, holding the index
        t0 = time.monotonic()
        for _ in range(20):
            r = client.get("/articles/x/pairs")
            assert r.status_code == 200 and [(p["a"], p["b"]) for p in r.json()["pairs"]] == [("x", "y")]
        h = client.get("/health").json()
        took = time.monotonic() - t0
        assert h["busy"] is True and h["articles"] == 2
        assert client.get("/articles/z/pairs").status_code == 404  # not committed yet: not seen
        assert took < 5.0, f"21 reads took {took:.2f} s while a batch scanned"
        gate.release.set()
        t.join(60)
        assert out["r"].status_code == 200
        # the new snapshot: z and its pairs, as soon as its answer is out
        assert {frozenset((p["a"], p["b"])) for p in client.get("/articles/z/pairs").json()["pairs"]} == {
            frozenset(("x", "z")), frozenset(("y", "z"))}
    finally:
        gate.release.set()
        service.close()


def test_a_retried_request_answers_with_the_stored_pairs(tmp_path):
    service = open_service(tmp_path)
    try:
        assert service.warm_up() > 0  # the bundled sample scanned in memory: nothing of it in the index
        assert service.index.ids() == set() and service.index.runs() == [] and service.health()["articles"] == 0
        first = service.add([Article(id="p", text=TEXTS[1]), Article(id="q", text=TEXTS[1])], [])
        again = service.add([Article(id="p", text=TEXTS[1], where="request:1"), Article(id="q", text=TEXTS[1], where="request:2")], [])
    finally:
        service.close()
    assert first["added"] == 2 and [(p["a"], p["b"]) for p in first["pairs"]] == [("p", "q")]
    assert again["added"] == 0 and again["added_ids"] == []
    assert [(p["line"], p["reason"]) for p in again["problems"]] == [(1, "duplicate_id"), (2, "duplicate_id")]
    assert [(p["a"], p["b"], p["relation"]) for p in again["pairs"]] == [("p", "q", "duplicate")]  # once, not twice
    assert [g["members"] for g in again["groups"] if g["kind"] == "family"] == [["p", "q"]]


def test_a_large_request_is_a_job_with_progress_and_result(tmp_path):
    from starlette.testclient import TestClient

    service = open_service(tmp_path, job_over=3, max_active_jobs=1, max_kept_jobs=2)
    client = TestClient(create_app(service))
    gate = Gate(service)
    try:
        body = [{"id": f"j{i}", "text": TEXTS[i]} for i in range(5)]
        r = client.post("/articles", json=body)
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == job["href"] == f"/jobs/{job['job']}" and job["articles"] == 5
        assert gate.entered.wait(30)
        running = client.get(job["href"]).json()
        assert running["state"] == "running" and "stage" in running["progress"] and "result" not in running
        busy = client.post("/articles", json=[{"id": f"k{i}", "text": TEXTS[10 + i]} for i in range(4)])
        assert busy.status_code == 503 and busy.json()["failed"] == "capacity" and busy.headers["retry-after"]
        gate.release.set()
        for _ in range(300):  # bounded poll
            done = client.get(job["href"]).json()
            if done["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert done["state"] == "done" and done["status"] == 200
        assert done["result"]["added_ids"] == [f"j{i}" for i in range(5)] and done["finished"]
        assert client.post("/articles", json=[{"id": "small", "text": TEXTS[20]}]).status_code == 200  # 3 or fewer: answered
        ids = [job["job"]]
        for k in range(2):  # two more jobs: only the newest two are kept
            r = client.post("/articles", json=[{"id": f"m{k}{i}", "text": TEXTS[30 + 4 * k + i]} for i in range(4)])
            ids.append(r.json()["job"])
            for _ in range(300):
                if client.get(f"/jobs/{ids[-1]}").json()["state"] == "done":
                    break
                time.sleep(0.1)
        assert [client.get(f"/jobs/{i}").status_code for i in ids] == [404, 200, 200]
        assert client.get("/jobs/nope").status_code == 404
    finally:
        gate.release.set()
        service.close()


def test_a_full_queue_answers_503_and_a_stopping_service_fails_what_waits(tmp_path):
    service = open_service(tmp_path, max_queued_requests=2)
    gate = Gate(service)
    try:
        running, _ = service.submit(arts("a", [0]), [])
        assert gate.entered.wait(30)
        waiting = [service.submit(arts(f"w{k}", [k + 1]), [])[0] for k in range(2)]
        with pytest.raises(ServiceError) as e:
            service.submit(arts("x", [5]), [])
        assert e.value.status == 503 and e.value.body["failed"] == "capacity"
        service.begin_shutdown(grace_s=30)
        for f in waiting:
            with pytest.raises(ServiceError) as e:
                f.result(10)
            assert e.value.status == 503 and e.value.body["failed"] == "shutdown"
        gate.release.set()  # the running batch finishes within its grace
        assert running.result(60)["added_ids"] == ["a0"]
    finally:
        gate.release.set()
        service.close()
    from retold.index import Index

    with Index.open(tmp_path / "svc.idx") as idx:
        assert idx.ids() == {"a0"}


def test_a_failing_scan_costs_its_batch_only_and_the_service_keeps_serving(tmp_path):
    from starlette.testclient import TestClient

    service = open_service(tmp_path)
    client = TestClient(create_app(service))
    real = service._scan
    from retold.pipeline import scan

    def broken(articles, **kw):  # noqa: ANN001, ANN202
        if any(a.id == "poison" for a in articles):
            raise ValueError(f"cannot read {tmp_path}/secret/file.txt")
        if any(a.id == "stuck" for a in articles):
            raise EngineError("compare: no result from a worker process in 1800 s (chunk 1 of 3); the batch was abandoned")
        return scan(articles, **kw)

    service._scan = broken
    gate = Gate(service)
    gate.real = broken
    try:
        first, _ = service.submit(arts("a", [0]), [])
        assert gate.entered.wait(30)
        good1, _ = service.submit(arts("g", [1]), [])
        bad, _ = service.submit([Article(id="poison", text=TEXTS[2])], [])
        good2, _ = service.submit(arts("h", [3]), [])
        gate.release.set()
        assert first.result(60)["added_ids"] == ["a0"]
        assert good1.result(60)["added_ids"] == ["g1"] and good2.result(60)["added_ids"] == ["h3"]  # scanned alone after the batch failed
        with pytest.raises(ServiceError) as e:
            bad.result(60)
        assert e.value.status == 500 and e.value.body["failed"] == "scan" and "ValueError" in e.value.body["error"]
        assert str(tmp_path) not in e.value.body["error"] and "file.txt" not in e.value.body["error"]
        service._scan = broken
        r = client.post("/articles", json=[{"id": "stuck", "text": TEXTS[4]}])
        assert r.status_code == 503 and r.json()["failed"] == "engine" and "worker" in r.json()["error"]
        assert r.headers["retry-after"]
        r = client.post("/articles", json=[{"id": "after", "text": TEXTS[5]}])
        assert r.status_code == 200 and r.json()["added_ids"] == ["after"]
        assert client.get("/health").json()["articles"] == 4
    finally:
        gate.release.set()
        service._scan = real
        service.close()


def test_a_batch_past_its_time_is_stopped_before_its_commit(tmp_path):
    service = open_service(tmp_path, batch_timeout_s=1.0)
    from retold.pipeline import scan

    def slow(articles, *, progress, **kw):  # noqa: ANN001, ANN202
        for _ in progress.track(range(100), label="slow stage"):
            time.sleep(0.05)
        return scan(articles, progress=progress, **kw)

    service._scan = slow
    try:
        with pytest.raises(ServiceError) as e:
            service.add(arts("a", [0, 1]), [], timeout=60)
        assert e.value.status == 503 and e.value.body["failed"] == "timeout" and e.value.body["stage"] == "slow stage"
        service._scan = None
        assert service.add(arts("b", [2]), [], timeout=60)["added_ids"] == ["b2"]
    finally:
        service.close()
    from retold.index import Index

    with Index.open(tmp_path / "svc.idx") as idx:
        assert idx.ids() == {"b2"}


def test_another_process_writing_is_seen_by_the_snapshot(tmp_path):
    import retold

    service = open_service(tmp_path)
    try:
        service.add(arts("a", [0]), [])
        retold.scan([Article(id="outside", text=TEXTS[0])], index=tmp_path / "svc.idx", settings=Settings(semantic=False))
        out = service.add([Article(id="inside", text=TEXTS[0])], [])
        assert out["articles_total"] == 3
        assert {frozenset((p["a"], p["b"])) for p in service.pairs_of("outside")} == {
            frozenset(("a0", "outside")), frozenset(("inside", "outside"))}
        from retold.index import Index

        with Index.open(tmp_path / "svc.idx") as other:  # a takedown by another process
            other.remove(["outside"])
        out = service.add([Article(id="later", text=TEXTS[3])], [])
        assert out["articles_total"] == 3 and service.pairs_of("outside") is None
        assert {frozenset((p["a"], p["b"])) for p in service.pairs_of("a0")} == {frozenset(("a0", "inside"))}
    finally:
        service.close()


def test_the_service_waits_for_another_writer_then_compares_against_its_articles(tmp_path):
    """A `retold scan --index` holding the writer lock: the service's batch waits for its commit
    (Settings.index_wait_s, from batch_timeout_s) instead of failing, then finds the pair with
    what the other writer added; past the wait, a 503 that says so, and nothing added."""
    import retold
    from retold.index import Index

    service = open_service(tmp_path)
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:  # another writer of the file (its own connection and lock, as another process has)
        with Index.open(tmp_path / "svc.idx", settings=Settings(semantic=False)) as other, other.writing():
            held.set()
            assert release.wait(30)
            retold.scan([Article(id="outside", text=TEXTS[5])], index=other, settings=Settings(semantic=False))

    try:
        assert service.settings.index_wait_s == service.config.batch_timeout_s
        service.add(arts("a", [0]), [])
        t = threading.Thread(target=other_writer)
        t.start()
        assert held.wait(30)
        fut, _ = service.submit([Article(id="inside", text=TEXTS[5], where="request:1")], [])
        time.sleep(1.0)
        assert not fut.done() and service.health()["busy"] is True  # waiting for the lock, not failed
        release.set()
        t.join(60)
        out = fut.result(60)
        assert out["added_ids"] == ["inside"] and out["articles_total"] == 3
        assert [({p["a"], p["b"]}, p["relation"]) for p in out["pairs"]] == [({"inside", "outside"}, "duplicate")]
    finally:
        release.set()
        service.close()
    service = IndexService.open(tmp_path / "svc.idx", settings=Settings(semantic=False), config=ServiceConfig(batch_timeout_s=1.5))
    other = Index.open(tmp_path / "svc.idx", settings=Settings(semantic=False))
    try:
        with other.writing():
            t0 = time.monotonic()
            with pytest.raises(ServiceError) as e:
                service.add(arts("late", [6]), [], timeout=30)
            assert time.monotonic() - t0 < 20
        assert e.value.status == 503 and e.value.body["failed"] == "index_busy" and e.value.body["retry"] is True
        assert str(tmp_path) not in e.value.body["error"]
        assert service.add(arts("late", [6]), [], timeout=60)["added_ids"] == ["late6"]  # the lock released: it goes in
    finally:
        other.close()
        service.close()


def test_health_counts_the_file_after_another_process_removed_articles(tmp_path):
    """A takedown by another process (`retold index remove`) shows in /health at once, and the
    writer, woken by it, drops the removed article from the read snapshot within a bound well
    under its idle check."""
    from starlette.testclient import TestClient

    from retold.index import Index
    from retold.service.writer import IDLE_CHECK_S

    service = open_service(tmp_path)
    client = TestClient(create_app(service))
    try:
        r = client.post("/articles", json=[{"id": "x", "text": TEXTS[0]}, {"id": "y", "text": TEXTS[0]}, {"id": "z", "text": TEXTS[1]}])
        assert r.status_code == 200 and client.get("/health").json()["articles"] == 3
        time.sleep(0.3)  # the writer is idle, waiting
        with Index.open(tmp_path / "svc.idx") as other:
            assert other.remove(["x"]).removed == ["x"]
        t0 = time.monotonic()
        assert client.get("/health").json()["articles"] == 2
        while client.get("/articles/x/pairs").status_code != 404 and time.monotonic() - t0 < IDLE_CHECK_S:
            time.sleep(0.05)
        took = time.monotonic() - t0
        assert client.get("/articles/x/pairs").status_code == 404 and took < IDLE_CHECK_S / 2, took
        assert client.get("/articles/y/pairs").json()["pairs"] == []
        assert client.post("/articles", json={"id": "w", "text": TEXTS[0]}).json()["articles_total"] == 3
    finally:
        service.close()


def test_a_worker_process_that_dies_fails_its_batch_with_a_503_and_the_service_goes_on(tmp_path, monkeypatch):
    """A real engine failure: the compare stage's forked worker dies. The request gets a 503
    naming the engine (never a hang, never a 500), nothing of it is added, and the next
    request is served."""
    import os

    from starlette.testclient import TestClient

    from retold.decide import flow

    service = IndexService.open(tmp_path / "svc.idx", settings=Settings(semantic=False, threads=2),
                                config=ServiceConfig(parallel_min_items=1))
    client = TestClient(create_app(service))
    parent = os.getpid()
    real = flow.evaluate

    def dies_in_a_worker(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        if os.getpid() != parent:
            os._exit(7)
        return real(*a, **kw)

    try:
        assert client.post("/articles", json={"id": "a", "text": TEXTS[2]}).status_code == 200
        monkeypatch.setattr(flow, "evaluate", dies_in_a_worker)
        t0 = time.monotonic()
        r = client.post("/articles", json=[{"id": "b", "text": TEXTS[2]}, {"id": "c", "text": TEXTS[2]}])
        assert time.monotonic() - t0 < 60
        assert r.status_code == 503 and r.json()["failed"] == "engine" and r.json()["stage"] == "compare", r.text
        assert "worker process died" in r.json()["error"] and r.headers["retry-after"]
        assert client.get("/health").json()["articles"] == 1 and client.get("/articles/b/pairs").status_code == 404
        monkeypatch.setattr(flow, "evaluate", real)
        r = client.post("/articles", json=[{"id": "b", "text": TEXTS[2]}, {"id": "c", "text": TEXTS[2]}])
        assert r.status_code == 200 and r.json()["added_ids"] == ["b", "c"]
        assert {frozenset((p["a"], p["b"])) for p in r.json()["pairs"]} == {frozenset(x) for x in (("a", "b"), ("a", "c"), ("b", "c"))}
    finally:
        service.close()


@pytest.mark.slow
def test_the_load_test_small(tmp_path):
    """scripts/loadtest.py at CI size: 3 writers x 5 requests, 2 readers, twins across writers,
    against a real `retold serve` (default settings), then the index checked."""
    mod = _loadtest()
    args = mod.parse(["--writers", "3", "--requests", "15", "--readers", "2", "--base", "20", "--max-articles", "12",
                      "--twins", "4", "--timeout", "600", "--startup-timeout", "180", "--request-timeout", "300"])
    res = mod.run(args)
    print({k: res[k] for k in ("write_s", "write_articles_per_s", "write_latency_s", "read_latency_s", "batches")})
    assert res["checks"] and all(res["checks"].values()), res["checks"]
    assert res["twins_acknowledged"] == 4 and res["index_after"] == 20 + res["posted_articles"]
    assert res["stop_s"] < 60
