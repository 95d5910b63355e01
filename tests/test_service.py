"""The HTTP service over an index: what a client posts, what comes back, and a killed service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from service_process import free_port, serve, wait_up

from retold.cli.scan import sample_dir
from retold.index import Index
from retold.service import MAX_ARTICLES, BodyError, IndexService, create_app, parse_articles

SAMPLE = Path(sample_dir())


def _rec(name: str) -> dict:
    return {"id": name, "text": (SAMPLE / f"{name}.txt").read_text(encoding="utf-8")}


def test_body_formats_and_bad_records_are_reported_by_line():
    good = json.dumps({"id": "a", "text": "A text about the river."})
    body = "\n".join([good, "{not json", json.dumps({"id": "b"}), "", json.dumps({"id": "c", "text": "Another one."})])
    arts, probs = parse_articles(body.encode(), "application/x-ndjson")
    assert [a.id for a in arts] == ["a", "c"]
    assert [(p.line, p.reason) for p in probs] == [(2, "broken_json"), (3, "missing_text")]
    assert all(p.path == "request" for p in probs)
    arts, probs = parse_articles(json.dumps([{"id": "x", "text": "t"}, 5]).encode(), "application/json")
    assert [a.id for a in arts] == ["x"] and [(p.line, p.reason) for p in probs] == [(2, "broken_json")]
    arts, _ = parse_articles(json.dumps({"id": "y", "text": "t", "published": "2024-03-14"}).encode())
    assert arts[0].published is not None
    with pytest.raises(BodyError):
        parse_articles(b'[{"id": "x"', "application/json")
    with pytest.raises(BodyError):
        parse_articles(b"\xff\xfe\x00", "")
    with pytest.raises(BodyError):
        parse_articles(json.dumps([{"id": str(i), "text": "t"} for i in range(MAX_ARTICLES + 1)]).encode())


@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")  # starlette's TestClient would rather have httpx2
def test_post_then_post_again_finds_pairs_against_earlier_articles(tmp_path):
    from starlette.testclient import TestClient

    service = IndexService.open(tmp_path / "svc.idx")
    client = TestClient(create_app(service))
    assert client.get("/health").json()["articles"] == 0

    r = client.post("/articles", json=[_rec("01_northwire_original"), _rec("08_unrelated_tech_results")])
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["added"] == 2 and first["articles_total"] == 2 and first["pairs"] == []
    # the service holds the index in memory: later requests never read the whole file again
    service.index._read_docs = lambda *a: pytest.fail("the service read the whole index again")

    lines = "\n".join(json.dumps(x) for x in (_rec("02_valleygazette_copy"), _rec("10_rheinbote_translation_de"), {"id": "bad"}))
    r = client.post("/articles", content=lines, headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["added"] == 2 and second["articles_total"] == 4
    assert [(p["line"], p["reason"]) for p in second["problems"]] == [(3, "missing_text")]
    got = {frozenset((p["a"], p["b"])): p["relation"] for p in second["pairs"]}
    assert got[frozenset(("01_northwire_original", "02_valleygazette_copy"))] == "duplicate"
    assert got[frozenset(("01_northwire_original", "10_rheinbote_translation_de"))] == "translation"
    assert not any("08_unrelated_tech_results" in k for k in got)  # old-old and unrelated pairs are not reported
    fam = next(g for g in second["groups"] if g["kind"] == "family")
    assert fam["origin"] == "01_northwire_original" and "10_rheinbote_translation_de" in fam["members"]

    r = client.get("/articles/01_northwire_original/pairs")
    assert r.status_code == 200 and {p["relation"] for p in r.json()["pairs"]} == {"duplicate", "translation"}
    assert client.get("/articles/nope/pairs").status_code == 404

    again = client.post("/articles", json=_rec("02_valleygazette_copy")).json()  # already indexed: skipped, said so
    assert again["added"] == 0 and again["problems"][0]["reason"] == "duplicate_id"
    assert client.post("/articles", content=b"{broken", headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/articles", json={"id": "z"}).status_code == 422
    assert client.get("/health").json() == {"status": "ok", "articles": 4, "scans": 3, "busy": False, "encoder": "use-multilingual-v3"}


def _wait_up(port: int, proc: subprocess.Popen, limit: float = 120.0) -> None:
    wait_up(port, proc, limit, poll_timeout=1)



def _serve(idx: Path, port: int) -> subprocess.Popen:
    return serve(idx, port)


@pytest.mark.slow
def test_a_killed_service_leaves_the_index_whole(tmp_path):
    """kill -9 while a batch is being scanned: the index is as before that batch, and a new
    service goes on from there (loopback only, bounded waits)."""
    import httpx

    idx = tmp_path / "svc.idx"
    port = free_port()
    proc = _serve(idx, port)
    try:
        _wait_up(port, proc)
        r = httpx.post(f"http://127.0.0.1:{port}/articles", json=[_rec("01_northwire_original")], timeout=120)
        assert r.status_code == 200 and r.json()["added"] == 1
        # a batch big enough to be in flight when the kill comes
        text = (SAMPLE / "06_coastal_times_independent.txt").read_text(encoding="utf-8")
        batch = [{"id": f"v{i}", "text": f"Variant {i}. " + text} for i in range(300)]
        with httpx.Client(timeout=120) as c:
            req = c.build_request("POST", f"http://127.0.0.1:{port}/articles", json=batch)
            import threading

            threading.Thread(target=lambda: _swallow(c, req), daemon=True).start()
            time.sleep(3.0)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    with Index.open(idx) as index:
        assert len(index) in (1, 301)  # all of the batch or none of it, never a part
        n = len(index)
        assert len(index.load_docs()) == n and all(len({p.a, p.b} - index.ids()) == 0 for p in index.load_pairs())
    print(f"index after the kill: {n} articles")
    port = free_port()
    proc = _serve(idx, port)
    try:
        _wait_up(port, proc)
        r = httpx.post(f"http://127.0.0.1:{port}/articles", json=[_rec("02_valleygazette_copy")], timeout=120)
        assert r.status_code == 200 and r.json()["articles_total"] == n + 1
        assert any(p["relation"] == "duplicate" for p in r.json()["pairs"])
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _swallow(client, req) -> None:
    try:
        client.send(req)
    except Exception:  # the server was killed under it: expected
        pass


def _small_articles(n: int, prefix: str) -> list[dict]:
    """``n`` short, distinct articles (names, places and numbers vary), to fill an index fast."""
    import random

    rng = random.Random(7)
    towns = ["Arlen", "Borovo", "Castelmar", "Dunrow", "Elsfield", "Farrowby", "Gisborne", "Harwich", "Ilford", "Jarrow"]
    topics = ["a new bridge", "the school budget", "a water main", "the harbour fees", "a night bus line",
              "the library hours", "a solar farm", "the market square", "a cycling lane", "the flood defences"]
    people = ["Mara Quell", "Oskar Brandt", "Ines Varga", "Tomas Reyes", "Lena Okafor", "Piet Haas", "Yara Celik"]
    out = []
    for i in range(n):
        t, p, c = rng.choice(towns), rng.choice(people), rng.choice(topics)
        out.append({
            "id": f"{prefix}{i}",
            "text": f"{t} council voted {rng.randint(3, 40)} to {rng.randint(1, 30)} on {c} on day {i}. "
                    f"{p} said the plan would cost {rng.randint(1, 900)} thousand and take {rng.randint(2, 60)} weeks.",
        })
    return out


@pytest.mark.slow
def test_a_batch_big_enough_for_the_workers_and_a_restart_on_a_large_index_answer_in_time(tmp_path):
    """The hang of `retold serve`: a batch of 2,000 or more items starts the worker processes
    (cleaning, names), which inherited uvicorn's SIGTERM handler and never stopped. Both the big
    batch and the first request after a restart (names of every stored article worked out
    again, on the workers) must answer within the bound."""
    import httpx

    idx = tmp_path / "big.idx"
    port = free_port()
    proc = _serve(idx, port)
    try:
        _wait_up(port, proc)
        t = time.time()
        r = httpx.post(f"http://127.0.0.1:{port}/articles", json=_small_articles(2100, "s"), timeout=300)
        assert r.status_code == 202, r.text  # over --job-over (500): a job, followed to its end
        job = r.json()
        while job.get("state") not in ("done", "failed") and time.time() - t < 600:  # ~250 s on 2 busy cores
            time.sleep(1.0)
            job = httpx.get(f"http://127.0.0.1:{port}/jobs/{r.json()['job']}", timeout=30).json()
        assert job["state"] == "done", job
        assert job["result"]["added"] == 2100
        print(f"2,100 articles in one request: {time.time() - t:.1f} s")
        r = httpx.post(f"http://127.0.0.1:{port}/articles", json=_small_articles(5, "t"), timeout=120)
        assert r.status_code == 200 and r.json()["articles_total"] == 2105
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)  # SIGTERM stops the service (and its workers): no kill needed
    port = free_port()
    proc = _serve(idx, port)
    try:
        _wait_up(port, proc)
        t = time.time()
        r = httpx.post(f"http://127.0.0.1:{port}/articles", json=[_rec("01_northwire_original")], timeout=300)
        assert r.status_code == 200 and r.json()["articles_total"] == 2106
        print(f"first request after a restart on 2,105 articles: {time.time() - t:.1f} s")
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).json()["busy"] is False
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


@pytest.mark.slow
def test_a_kill_during_a_coalesced_batch_leaves_the_index_as_before_it(tmp_path):
    """kill -9 while a batch of four coalesced requests scans: the index holds exactly what it
    held before that batch (none of its four requests), reads whole, and a new service takes
    the same requests."""
    import threading

    import httpx

    from test_service_load import _loadtest

    texts = _loadtest().synthetic_texts(460, seed=5)
    idx = tmp_path / "svc.idx"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(idx, port)
    coalesced = [[{"id": f"r{k}a{i}", "text": texts[60 + 100 * k + i]} for i in range(100)] for k in range(4)]
    try:
        _wait_up(port, proc)
        r = httpx.post(f"{url}/articles", json=[{"id": "base", "text": texts[0]}], timeout=120)
        assert r.status_code == 200
        first = [{"id": f"f{i}", "text": texts[1 + i]} for i in range(59)]
        threading.Thread(target=lambda: _swallow_post(url, first), daemon=True).start()
        running = None
        t = time.monotonic()
        while time.monotonic() - t < 120:  # the first request scans: the next four wait together
            running = httpx.get(f"{url}/stats", timeout=10).json()["running"]
            if running:
                break
            time.sleep(0.05)
        assert running and running["requests"] == 1, running
        for body in coalesced:
            threading.Thread(target=lambda b=body: _swallow_post(url, b), daemon=True).start()
        t = time.monotonic()
        while time.monotonic() - t < 180:
            stats = httpx.get(f"{url}/stats", timeout=10).json()
            running = stats["running"]
            if running and running["requests"] == 4:
                break
            time.sleep(0.05)
        assert running and running["requests"] == 4 and running["articles"] == 400, stats
        before = stats["articles"]  # the first request is committed (its answer is cut), the four are scanning
        time.sleep(1.0)
        running = httpx.get(f"{url}/stats", timeout=10).json()["running"]
        assert running and running["requests"] == 4, "the coalesced batch ended before the kill"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    with Index.open(idx) as index:
        ids = index.ids()
        assert len(ids) == before == 60, (len(ids), before)
        assert ids == {"base"} | {f"f{i}" for i in range(59)}  # none of the four requests, nothing half
        assert len(index.load_docs()) == 60 and all({p.a, p.b} <= ids for p in index.load_pairs())
        assert index.runs()[-1].docs_added == 59
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(idx, port)
    try:
        _wait_up(port, proc)
        r = httpx.post(f"{url}/articles", json=coalesced[0], timeout=300)
        assert r.status_code == 200 and r.json()["added"] == 100 and r.json()["articles_total"] == 160
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _swallow_post(url: str, body: list[dict]) -> None:
    import httpx

    try:
        httpx.post(f"{url}/articles", json=body, timeout=300)
    except httpx.HTTPError:  # the server was killed under it: expected
        pass
