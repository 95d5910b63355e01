"""Who may write, and what a refusal says: Host, Origin, content type, token, limits, error
bodies without file paths; a real `retold serve` that drops stalled connections, refuses to
listen beyond loopback without a token, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from service_process import free_port, serve, wait_up
from test_service_load import TEXTS

from retold.config import Settings
from retold.index import Index
from retold.index.errors import IndexFileError
from retold.service import IndexService, ServiceConfig, ServiceConfigError, create_app, is_loopback, read_token
from retold.service.config import host_allowed, origin_allowed, split_host
from retold.service.writer import scrub

pytestmark = pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")
TOKEN = "t0ken-for-the-tests-0123456789"
ONE = {"id": "one", "text": TEXTS[0]}


def client_for(tmp_path: Path, config: ServiceConfig, base_url: str = "http://127.0.0.1:8765"):
    from starlette.testclient import TestClient

    service = IndexService.open(tmp_path / "svc.idx", settings=Settings(semantic=False), config=config)
    return service, TestClient(create_app(service), base_url=base_url)


def post(client, body=ONE, **headers):  # noqa: ANN001, ANN201
    headers.setdefault("content-type", "application/json")
    return client.post("/articles", content=json.dumps(body).encode(), headers=headers)


def test_writes_need_a_json_content_type_and_no_foreign_origin(tmp_path):
    service, client = client_for(tmp_path, ServiceConfig.for_bind("127.0.0.1"))
    try:
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
            r = post(client, **{"content-type": ctype})
            assert r.status_code == 415, ctype
            assert "application/json" in r.json()["error"]
        for origin in ("http://evil.example", "null", "http://127.0.0.1:9999", "http://localhost:8765", "file://"):
            r = post(client, origin=origin)
            assert r.status_code == 403, origin
        assert client.get("/health").json()["articles"] == 0  # nothing of it was stored
        assert post(client, origin="http://127.0.0.1:8765").status_code == 200  # the service's own origin
        lines = json.dumps({"id": "two", "text": TEXTS[1]}) + "\n" + json.dumps({"id": "three", "text": TEXTS[2]})
        r = client.post("/articles", content=lines.encode(), headers={"content-type": "application/x-ndjson; charset=utf-8"})
        assert r.status_code == 200 and r.json()["added"] == 2
        assert client.get("/articles/one/pairs", headers={"origin": "http://evil.example"}).status_code == 200  # a read: no CORS, nothing leaks
        assert "access-control-allow-origin" not in client.get("/health").headers
    finally:
        service.close()


def test_the_host_header_must_name_the_service(tmp_path):
    service, client = client_for(tmp_path, ServiceConfig.for_bind("127.0.0.1", allow_hosts=("news.internal",)))
    try:
        for host in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.5"):
            r = client.get("/health", headers={"host": host})
            assert r.status_code == 421, host
            assert post(client, host=host).status_code == 421
        for host in ("localhost:8765", "LOCALHOST", "127.0.0.1:8765", "[::1]:8765", "127.0.0.2", "news.internal:8765"):
            assert client.get("/health", headers={"host": host}).status_code == 200, host
    finally:
        service.close()
    cfg = ServiceConfig.for_bind("0.0.0.0", token=TOKEN)  # every address: any IP literal, names only if given
    assert host_allowed("192.168.1.20:8765", cfg) and host_allowed("[fe80::1]", cfg) and not host_allowed("myhost", cfg)
    cfg = ServiceConfig.for_bind("192.168.1.20", token=TOKEN)
    assert host_allowed("192.168.1.20", cfg) and not host_allowed("192.168.1.21", cfg) and host_allowed("localhost", cfg)
    assert not host_allowed(None, cfg) and not host_allowed("a b", cfg)
    assert split_host("[::1]:80") == ("::1", 80) and split_host("Example.COM.") == ("example.com", None)
    assert origin_allowed("http://localhost:8765", "localhost:8765", cfg) and not origin_allowed("http://localhost:8765", "localhost:8766", cfg)
    assert origin_allowed("http://localhost", "localhost:80", cfg) and origin_allowed(None, "x", cfg)


def test_a_token_guards_every_route_but_health(tmp_path):
    with pytest.raises(ServiceConfigError, match="token"):
        ServiceConfig.for_bind("0.0.0.0")
    with pytest.raises(ServiceConfigError, match="at least"):
        ServiceConfig.for_bind("0.0.0.0", token="short")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.2") and not is_loopback("myhost")
    service, client = client_for(tmp_path, ServiceConfig.for_bind("127.0.0.1", token=TOKEN))  # loopback with a token: needed too
    try:
        for auth in (None, "Bearer wrong-token-wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"):
            headers = {} if auth is None else {"authorization": auth}
            r = post(client, **headers)
            assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), auth
        assert client.get("/articles/one/pairs").status_code == 401 and client.get("/stats").status_code == 401
        assert client.get("/health").status_code == 200
        r = post(client, authorization=f"Bearer {TOKEN}")
        assert r.status_code == 200 and r.json()["added"] == 1
        assert client.get("/articles/one/pairs", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        stats = client.get("/stats", headers={"authorization": f"Bearer {TOKEN}"}).json()
        assert stats["limits"]["token_required"] is True and TOKEN not in json.dumps(stats)
    finally:
        service.close()
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n", encoding="utf-8")
    assert read_token(f, {}) == TOKEN and read_token(None, {"RETOLD_TOKEN": TOKEN}) == TOKEN and read_token(None, {}) is None
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(ServiceConfigError, match="empty"):
        read_token(tmp_path / "empty", {})
    with pytest.raises(ServiceConfigError) as e:
        read_token(tmp_path / "missing", {})
    assert str(tmp_path) not in str(e.value)


def test_limits_and_error_bodies_carry_no_file_paths(tmp_path):
    cfg = ServiceConfig.for_bind("127.0.0.1", max_body_bytes=4096, max_articles=3, job_over=2)
    service, client = client_for(tmp_path, cfg)
    try:
        r = post(client, [{"id": f"x{i}", "text": "t" * 2000} for i in range(3)])
        assert r.status_code == 413 and "4,096" in r.json()["error"]
        r = post(client, [{"id": f"x{i}", "text": "t"} for i in range(4)])
        assert r.status_code == 413 and "at most 3" in r.json()["error"]
        assert post(client, {"id": "no text"}).status_code == 422
        assert client.post("/articles", content=b"{broken", headers={"content-type": "application/json"}).status_code == 400

        def damaged(articles, **kw):  # noqa: ANN001, ANN202
            raise IndexFileError(f"{service.index_path.resolve()}: cannot read the index (database disk image is malformed)")

        service._scan = damaged
        r = post(client)
        body = r.text
        assert r.status_code == 503 and r.json()["failed"] == "index"
        assert str(tmp_path) not in body and "/tmp" not in body and "svc.idx" in body
        service._scan = None
        assert post(client).status_code == 200  # and it goes on
    finally:
        service.close()
    assert scrub("open /home/me/news.idx failed, see C:\\data\\x.log", "/home/me/news.idx") == "open news.idx failed, see <path>"
    assert scrub("application/json and 3/4 of it") == "application/json and 3/4 of it"
    with pytest.raises(ServiceConfigError, match="job_over"):
        ServiceConfig(max_articles=10, job_over=20)
    with pytest.raises(ServiceConfigError, match="body_timeout_s"):
        ServiceConfig(body_timeout_s=0)


# --- a real `retold serve` -------------------------------------------------------------


def _serve(idx: Path, port: int, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return serve(idx, port, *extra, env=env, stdout=subprocess.PIPE)


def _wait_up(port: int, proc: subprocess.Popen, limit: float = 180.0) -> None:
    wait_up(port, proc, limit, poll_timeout=2)


def _recv(s: socket.socket) -> bytes:
    """What the service sent before it closed the connection (b"": nothing; a close with the
    request still unread in the server's buffer reaches the client as a reset: nothing too)."""
    try:
        return s.recv(100)
    except ConnectionResetError:
        return b""


def test_serve_refuses_to_listen_beyond_loopback_without_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RETOLD_TOKEN"}
    for args in (["--host", "0.0.0.0"], ["--host", "::"], ["--host", "192.0.2.1", "--token-file", str(tmp_path / "none")]):
        proc = _serve(tmp_path / "x.idx", free_port(), *args, env=env)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode == 2, err
        assert b"token" in err and str(tmp_path).encode() not in err.replace(b"\n", b"")
    assert not (tmp_path / "x.idx").exists()  # refused before the index was touched


@pytest.mark.slow
def test_a_real_service_drops_stalled_connections_and_stops_cleanly_on_sigterm(tmp_path):
    """Connections stalled in their headers are closed after --header-timeout (and do not keep
    others out); a body that stalls gets 408 after --body-timeout; SIGTERM in the middle of a
    batch stops it before its commit and the process exits 0 within a bound, the index whole."""
    import threading

    import httpx

    idx = tmp_path / "svc.idx"
    port = free_port()
    proc = _serve(idx, port, "--header-timeout", "1", "--body-timeout", "2", "--shutdown-grace", "1", "--max-pending", "150")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(port, proc)
        r = httpx.post(f"{url}/articles", json=[{"id": f"a{i}", "text": TEXTS[i]} for i in range(3)], timeout=120)
        assert r.status_code == 200 and r.json()["added"] == 3
        stalled = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            stalled.append(s)
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200  # still answers meanwhile
        t = time.monotonic()
        assert [_recv(s) for s in stalled[:50]] == [b""] * 50  # the oldest, past --max-pending: closed
        rest = [_recv(s) for s in stalled[50:]]  # the others: 408 after --header-timeout (or closed, pushed out by
        assert all(g == b"" or g.startswith(b"HTTP/1.1 408") for g in rest)  # the health request's own connection)
        assert sum(g.startswith(b"HTTP/1.1 408") for g in rest) >= 140
        assert time.monotonic() - t < 8
        for s in stalled:
            s.close()
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            s.sendall(b"POST /articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{")
            t = time.monotonic()
            assert s.recv(200).startswith(b"HTTP/1.1 408")
            assert time.monotonic() - t < 10
        # a batch big enough to be scanning when SIGTERM comes
        batch = [{"id": f"big{i}", "text": TEXTS[i % len(TEXTS)] + f" Item {i}."} for i in range(400)]
        out: dict = {}
        th = threading.Thread(target=lambda: out.update(r=httpx.post(f"{url}/articles", json=batch, timeout=300)), daemon=True)
        th.start()
        for _ in range(100):  # wait until the writer is busy with it
            if httpx.get(f"{url}/health", timeout=5).json()["busy"]:
                break
            time.sleep(0.2)
        t = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=90)
        stopped_in = time.monotonic() - t
        th.join(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    print(f"stopped {stopped_in:.1f} s after SIGTERM; the batch in flight: {out['r'].status_code if 'r' in out else None}")
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert stopped_in < 60
    r = out.get("r")
    assert r is not None and r.status_code in (200, 503), r
    with Index.open(idx) as index:
        n = len(index)
        assert n == (403 if r.status_code == 200 else 3)  # the whole batch or none of it
        assert all({p.a, p.b} <= index.ids() for p in index.load_pairs())
    if r.status_code == 503:
        assert r.json()["failed"] == "shutdown" and str(tmp_path) not in r.text


def test_sigterm_while_the_service_waits_for_another_writer_ends_cleanly(tmp_path):
    """A batch waiting for another writer's lock (a `retold scan --index` holding it) is stopped
    by SIGTERM at once: the process exits 0 well before its last-resort watchdog (status 3, at
    grace + 20 s), the request gets a 503 that says the service stopped, and nothing is written."""
    import threading

    import httpx

    import retold
    from retold.model import Article

    idx = tmp_path / "svc.idx"
    retold.scan([Article(id="a0", text=TEXTS[0])], index=idx, settings=Settings(semantic=False))
    port = free_port()
    proc = _serve(idx, port, "--shutdown-grace", "1")
    url = f"http://127.0.0.1:{port}"
    other = Index.open(idx, settings=Settings(semantic=False))
    out: dict = {}
    try:
        _wait_up(port, proc)
        with other.writing():  # another writer holds the lock until the service has stopped
            body = [{"id": "waits", "text": TEXTS[1]}]
            th = threading.Thread(target=lambda: out.update(r=httpx.post(f"{url}/articles", json=body, timeout=120)), daemon=True)
            th.start()
            for _ in range(100):  # until the writer has begun waiting for the lock
                stats = httpx.get(f"{url}/stats", timeout=5).json()
                if (stats.get("running") or {}).get("stage") == "waiting for another writer":
                    break
                time.sleep(0.2)
            else:
                raise AssertionError(f"the batch never waited for the lock: {stats}")
            t = time.monotonic()
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
            stopped_in = time.monotonic() - t
            th.join(30)
    finally:
        other.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert stopped_in < 10, stopped_in
    r = out.get("r")
    assert r is not None and r.status_code == 503 and r.json()["failed"] == "shutdown", r
    assert str(tmp_path) not in r.text
    with Index.open(idx) as index:
        assert index.ids() == {"a0"}
