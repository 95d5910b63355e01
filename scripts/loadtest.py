"""Load test of `retold serve`: concurrent writers and readers, then a check of the index.

It starts its own service on 127.0.0.1 (a free port, a new index in a temporary folder unless
--index is given), fills the index with --base articles by one batch scan first, then runs
--writers threads that post --requests requests in all (--min-articles to --max-articles
articles each) while --readers threads read pairs and health. Twins -- one text posted under two
ids, in requests of two different writers -- test that pairs between batches are found. When the
writers are done (or --timeout has passed) it stops the service with SIGTERM and opens the index
with retold.index.Index to check that

- every acknowledged article is in the index, and nothing else was added;
- no article was added twice (no id in two answers' added_ids);
- every twin pair whose two articles were acknowledged is stored, and was reported in the answer
  of one of its two requests;
- reads answered with status 200 and a p95 latency under --read-p95 seconds;
- the service exited with status 0 within a bound after SIGTERM.

With --compare-batch it also times one batch `retold.scan(..., index=...)` of the same articles into
a copy of the base index, and checks the service's write rate is at least --min-share of it.
Everything is bounded: request timeouts, the overall --timeout, the service's start and stop.
Loopback only. Exit status 0 when every check passes, 1 otherwise.

    python scripts/loadtest.py                                   # 8 writers, 200 requests, 8 readers, 300 base
    python scripts/loadtest.py --data ../shared/data --compare-batch --json out.json
    python scripts/loadtest.py --writers 3 --requests 15 --readers 2 --base 0   # what CI runs
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

#: common English words, for texts that are unrelated unless made so on purpose
WORDS = (
    "account action advice afternoon agency agreement airport analysis animal answer apartment area army art "
    "article attack attention audience author autumn balance bank basket battle beach bedroom bicycle bird "
    "birthday board boat body border bottle branch bread breakfast bridge brother budget building business "
    "cabinet camera campaign candidate capital captain card career castle category ceiling century chairman "
    "champion channel chapter chemistry chicken childhood church cinema circle citizen climate clinic coach "
    "coast coffee collection college colour committee community company competition concert conference "
    "contract council country county courage court cousin crowd culture customer damage dance daughter debate "
    "decade decision degree delivery department desert designer detective device diamond dinner director "
    "disease district doctor document dollar drawer driver economy editor election electricity employee "
    "energy engine engineer entrance equipment estate evening event evidence exhibition experience expert "
    "factory family farmer festival field finance fishing flight flower football forest fortune foundation "
    "freedom friendship frontier furniture garden gallery garage generation government governor grandmother "
    "guitar harbour harvest headline health heritage highway history hobby holiday hospital hotel household "
    "housing hunger husband income industry injury insurance interview island journal journey judge kitchen "
    "knowledge laboratory ladder landscape language lawyer leader lecture library license lighthouse literature "
    "lunch machine magazine manager market marriage meadow medicine meeting member memory message method "
    "minister minute mirror mission moment monument morning mountain museum music nation neighbour network "
    "newspaper night novel nurse ocean office officer opinion orchestra owner painting parliament passenger "
    "patient pattern payment pension people pepper percent performance permission person philosophy photograph "
    "physics piano picture pilot planet platform player pocket poetry police policy population port poverty "
    "president pressure prison producer profession professor program property province publisher quality "
    "quarter queen question railway reader reception recipe region relation religion report republic "
    "research resident restaurant revenue river road satellite schedule scholar school science season secretary "
    "senate sermon shelter shoulder signal silver singer sister society soldier solution song speech stadium "
    "station statue storm strategy street student studio subway summer supermarket surgeon surprise survey "
    "teacher technology telephone television temple tennis territory theatre theory ticket tourist tower "
    "tradition traffic tragedy trainer transport treasure treaty tribunal tunnel union university valley "
    "vegetable village violin visitor volunteer voyage wagon warehouse weather wedding weekend window winter "
    "witness worker writer youth"
).split()
VERBS = ("opened", "closed", "praised", "questioned", "visited", "funded", "delayed", "approved", "rejected",
         "described", "welcomed", "criticised", "reviewed", "announced", "defended", "expanded", "studied")


def synthetic_texts(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct, mutually unrelated English-looking news texts of 60-120 words."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sents = []
        for _ in range(rng.randint(5, 9)):
            w = rng.sample(WORDS, 6)
            sents.append(f"The {w[0]} {rng.choice(VERBS)} the {w[1]} of the {w[2]} near the {w[3]}, "
                         f"said a {w[4]} from the {w[5]} on day {rng.randint(1, 28)}.")
        out.append(f"Report {i}: " + " ".join(sents))
    return out


def real_texts(data: Path, seed: int = 7) -> list[str]:
    """Distinct real texts from the labelled data folder, shuffled (retold's speed-bench corpus)."""
    from retold.bench.corpora_speed import load_base_texts

    texts = [b.text for b in load_base_texts(data)]
    random.Random(seed).shuffle(texts)
    return texts


@dataclass
class Request:
    writer: int
    number: int
    articles: list[dict]
    status: int | None = None
    seconds: float | None = None
    attempts: int = 0
    answer: dict | None = None
    error: str | None = None


@dataclass
class Reads:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def plan(args: argparse.Namespace, texts: list[str]) -> tuple[list[dict], list[Request], list[tuple[str, str]]]:
    """Base articles, the requests (by writer), and the twin pairs split across writers."""
    rng = random.Random(args.seed)
    pool = iter(texts)
    base = [{"id": f"base{i}", "text": next(pool)} for i in range(args.base)]
    reqs: list[Request] = []
    for k in range(args.requests):
        n = rng.randint(args.min_articles, args.max_articles)
        reqs.append(Request(writer=k % args.writers, number=k, articles=[]))
        reqs[-1].articles = [{"id": f"w{k % args.writers}r{k}a{j}", "text": next(pool)} for j in range(n)]
    twins: list[tuple[str, str]] = []
    if args.writers > 1:
        for t in range(min(args.twins, args.requests // 2)):
            i = rng.randrange(len(reqs))
            j = rng.choice([x for x in range(len(reqs)) if reqs[x].writer != reqs[i].writer])
            text = next(pool)
            a, b = f"twin{t}a", f"twin{t}b"
            reqs[i].articles.insert(rng.randrange(len(reqs[i].articles) + 1), {"id": a, "text": text})
            reqs[j].articles.insert(rng.randrange(len(reqs[j].articles) + 1), {"id": b, "text": text})
            twins.append((a, b))
    return base, reqs, twins


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(index: Path, port: int, extra: list[str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [sys.executable, "-m", "retold", "serve", "--index", str(index), "--port", str(port), *extra],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def wait_up(url: str, proc: subprocess.Popen, limit: float) -> None:
    import httpx

    t = time.monotonic()
    while time.monotonic() - t < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with status {proc.returncode} before answering")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the service did not answer within {limit:.0f} s")


def writer(url: str, reqs: list[Request], acked: list[str], lock: threading.Lock, deadline: float, args: argparse.Namespace) -> None:
    import httpx

    with httpx.Client(timeout=args.request_timeout) as client:
        for r in reqs:
            t = time.monotonic()
            while r.attempts < args.attempts and time.monotonic() < deadline:
                r.attempts += 1
                try:
                    resp = client.post(f"{url}/articles", json=r.articles)
                except httpx.HTTPError as e:  # no answer: post the same request again (a retry)
                    r.error = f"{type(e).__name__}"
                    continue
                r.status = resp.status_code
                if resp.status_code == 200:
                    r.answer = resp.json()
                    r.error = None
                    break
                r.error = resp.text[:300]
                if resp.status_code != 503:
                    break
                time.sleep(1.0)  # at capacity or busy: come back
            r.seconds = time.monotonic() - t
            if r.answer is not None:
                with lock:
                    acked.extend(a["id"] for a in r.articles)


def reader(url: str, acked: list[str], lock: threading.Lock, stop: threading.Event, out: Reads, seed: int, interval: float) -> None:
    import httpx

    rng = random.Random(seed)
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            with lock:
                doc_id = rng.choice(acked) if acked else None
            path = "/health" if doc_id is None or rng.random() < 0.2 else f"/articles/{doc_id}/pairs"
            t = time.monotonic()
            try:
                resp = client.get(url + path)
                out.latencies.append(time.monotonic() - t)
                if resp.status_code != 200:
                    out.errors.append(f"{path}: {resp.status_code}")
            except httpx.HTTPError as e:
                out.errors.append(f"{path}: {type(e).__name__}")
            stop.wait(interval)


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def batch_scan(index: Path, articles: list[dict], rescue: int | None = None) -> tuple[float, dict[str, float]]:
    """Seconds one batch scan of ``articles`` into ``index`` takes (the default settings; with
    ``rescue``, that many texts and sentences for the second model's rescue), and its seconds by stage."""
    import retold
    from retold.config import Settings
    from retold.model import Article

    arts = [Article(id=a["id"], text=a["text"]) for a in articles]
    settings = Settings() if rescue is None else Settings(rescue_max_texts=rescue, rescue_max_sentences=rescue)
    t = time.monotonic()
    res = retold.scan(arts, index=index, settings=settings)
    return time.monotonic() - t, _stages(res.stats)


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds a process and its reaped children have used (Linux /proc), or None elsewhere.

    Why: on a shared machine the wall-clock rate moves with everyone else's load; the CPU
    seconds per article of the service and of a batch scan compare their work itself."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def _rusage_s() -> float:
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def _stages(stats: dict[str, float]) -> dict[str, float]:
    return {k[5:-2]: round(float(v), 1) for k, v in stats.items() if k.startswith("time_") and k != "time_total_s"}


def run(args: argparse.Namespace) -> dict:
    from retold.index import Index

    deadline = time.monotonic() + args.timeout
    work = Path(tempfile.mkdtemp(prefix="retold-load-"))
    index = Path(args.index) if args.index else work / "load.idx"
    n_twins = min(args.twins, args.requests // 2) if args.writers > 1 else 0
    need = args.base + args.requests * args.max_articles + n_twins
    texts = real_texts(Path(args.data), args.seed) if args.data else synthetic_texts(need, args.seed)
    if len(texts) < need:
        texts += synthetic_texts(need - len(texts), args.seed + 1)
    base, reqs, twins = plan(args, texts)
    result: dict = {"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if args.command is None else args.command,
                    "writers": args.writers, "requests": len(reqs), "readers": args.readers, "base": len(base),
                    "posted_articles": sum(len(r.articles) for r in reqs), "twins": len(twins),
                    "texts": "real" if args.data else "synthetic", "rescue": args.rescue}
    result["machine"] = {"cores": os.cpu_count(), "load_average_start": [round(x, 1) for x in os.getloadavg()],
                         "python": sys.version.split()[0], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if base:
        result["base_scan_s"] = round(batch_scan(index, base, args.rescue)[0], 1)
    copy = None
    if args.compare_batch:
        copy = work / "batch.idx"
        if index.exists():
            shutil.copy(index, copy)
    with Index.open(index) as idx:
        ids_before = idx.ids()
    before = len(ids_before)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    extra = list(args.serve_arg)
    if args.rescue is not None:
        extra += ["--rescue-max-texts", str(args.rescue), "--rescue-max-sentences", str(args.rescue)]
    proc = start_service(index, port, extra, work / "service.log")
    checks: dict[str, bool] = {}
    try:
        wait_up(url, proc, min(args.startup_timeout, max(1.0, deadline - time.monotonic())))
        acked: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        reads = [Reads() for _ in range(args.readers)]
        readers = [threading.Thread(target=reader, args=(url, acked, lock, stop, reads[k], args.seed + k, args.read_interval), daemon=True)
                   for k in range(args.readers)]
        writers = [threading.Thread(target=writer, args=(url, [r for r in reqs if r.writer == w], acked, lock, deadline, args), daemon=True)
                   for w in range(args.writers)]
        for t in readers:
            t.start()
        t0 = time.monotonic()
        cpu0 = process_cpu_s(proc.pid)
        for t in writers:
            t.start()
        for t in writers:
            t.join(max(0.0, deadline - time.monotonic()) + args.request_timeout)
        write_s = time.monotonic() - t0
        cpu1 = process_cpu_s(proc.pid)
        if cpu0 is not None and cpu1 is not None:
            result["service_cpu_s"] = round(cpu1 - cpu0, 1)
        stop.set()
        for t in readers:
            t.join(35)
        import httpx

        try:
            result["service_stats"] = httpx.get(f"{url}/stats", timeout=10).json()
        except (httpx.HTTPError, ValueError):
            result["service_stats"] = None
    finally:
        t_stop = time.monotonic()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=args.stop_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        stop_s = time.monotonic() - t_stop
    result["stop_s"] = round(stop_s, 1)
    checks["service stopped with status 0 after SIGTERM"] = proc.returncode == 0

    answered = [r for r in reqs if r.answer is not None]
    added_ids = [i for r in answered for i in r.answer["added_ids"]]
    acked_ids = {a["id"] for r in answered for a in r.articles}
    with Index.open(index) as idx:
        in_index = idx.ids()
        stored = {frozenset((p.a, p.b)) for p in idx.load_pairs()}
        after = len(idx)
    reported = {frozenset((p["a"], p["b"])) for r in answered for p in r.answer["pairs"]}
    twins_acked = [(a, b) for a, b in twins if a in acked_ids and b in acked_ids]
    lat = [r.seconds for r in answered if r.seconds is not None]
    read_lat = [x for rd in reads for x in rd.latencies]
    read_errors = [e for rd in reads for e in rd.errors]
    posted_acked = sum(len(r.articles) for r in answered)
    result.update({
        "answered": len(answered),
        "failed": [{"request": r.number, "status": r.status, "error": r.error} for r in reqs if r.answer is None][:10],
        "retried": sum(r.attempts > 1 for r in reqs),
        "index_before": before,
        "index_after": after,
        "write_s": round(write_s, 1),
        "write_articles_per_s": round(posted_acked / write_s, 2) if write_s > 0 else None,
        "write_latency_s": {"p50": _r(pct(lat, 0.5)), "p95": _r(pct(lat, 0.95)), "max": _r(max(lat) if lat else None)},
        "reads": len(read_lat),
        "read_errors": read_errors[:10],
        "read_latency_s": {"p50": _r(pct(read_lat, 0.5), 4), "p95": _r(pct(read_lat, 0.95), 4), "max": _r(max(read_lat) if read_lat else None, 4)},
        "twins_found": sum(frozenset(t) in stored for t in twins_acked),
        "twins_reported": sum(frozenset(t) in reported for t in twins_acked),
        "twins_acknowledged": len(twins_acked),
    })
    stats = result.get("service_stats") or {}
    batches = stats.get("batches")
    if batches:
        result["batches"] = batches
        result["requests_per_batch"] = round(len(answered) / batches, 2)
        recent = stats.get("recent_batches", [])
        secs = [b["seconds"] for b in recent]
        result["batch_seconds"] = {"p50": _r(pct(secs, 0.5), 1), "max": _r(max(secs) if secs else None, 1), "of_last": len(secs)}
        by_stage: dict[str, float] = {}
        for b in recent:
            for k, v in b.get("stages", {}).items():
                by_stage[k] = by_stage.get(k, 0.0) + v
        result["service_stage_seconds"] = {k: round(v, 1) for k, v in by_stage.items()}  # summed over the last batches
    posted_ids = {a["id"] for r in reqs for a in r.articles}
    checks["every request answered"] = len(answered) == len(reqs)
    checks["every acknowledged article is in the index"] = acked_ids <= in_index
    checks["nothing added twice"] = len(added_ids) == len(set(added_ids)) and not set(added_ids) & ids_before
    checks["the index gained posted articles only"] = in_index - ids_before <= posted_ids and ids_before <= in_index
    checks["every twin pair stored"] = result["twins_found"] == len(twins_acked)
    checks["every twin pair reported"] = result["twins_reported"] == len(twins_acked)
    checks["reads answered 200"] = not read_errors
    p95 = pct(read_lat, 0.95)
    checks[f"read p95 under {args.read_p95:g} s"] = p95 is None or p95 <= args.read_p95
    if args.compare_batch and copy is not None:
        arts = [a for r in reqs for a in r.articles]
        ru0 = _rusage_s()
        secs, stages = batch_scan(copy, arts, args.rescue)
        result["batch_scan_cpu_s"] = round(_rusage_s() - ru0, 1)
        result["batch_scan_s"] = round(secs, 1)
        result["batch_scan_stage_seconds"] = stages
        result["batch_articles_per_s"] = round(len(arts) / secs, 2)
        share = (result["write_articles_per_s"] or 0) / result["batch_articles_per_s"]
        result["write_share_of_batch"] = round(share, 2)
        if result.get("service_cpu_s") and result.get("batch_scan_cpu_s"):
            # CPU seconds per article, batch scan over service: the share of the rate an idle machine would give
            result["cpu_share_of_batch"] = round(result["batch_scan_cpu_s"] / result["service_cpu_s"], 2)
        checks[f"write rate at least {args.min_share:g} of a batch scan"] = share >= args.min_share
    result["machine"]["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    result["checks"] = checks
    result["ok"] = all(checks.values())
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        result["work"] = str(work)
    return result


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200, help="requests in all, shared out over the writers")
    ap.add_argument("--min-articles", type=int, default=5)
    ap.add_argument("--max-articles", type=int, default=20)
    ap.add_argument("--readers", type=int, default=8)
    ap.add_argument("--read-interval", type=float, default=0.1, help="seconds a reader waits between reads")
    ap.add_argument("--base", type=int, default=300, help="articles in the index before the writers start")
    ap.add_argument("--twins", type=int, default=20, help="texts posted twice, by two writers")
    ap.add_argument("--data", default=None, help="labelled data folder for real texts (default: synthetic texts)")
    ap.add_argument("--index", default=None, help="index file (default: a new one in a temporary folder)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--attempts", type=int, default=3, help="tries per request (a retry after no answer or a 503)")
    ap.add_argument("--request-timeout", type=float, default=600.0)
    ap.add_argument("--startup-timeout", type=float, default=300.0)
    ap.add_argument("--stop-timeout", type=float, default=120.0)
    ap.add_argument("--timeout", type=float, default=3600.0, help="overall bound on the writers, seconds")
    ap.add_argument("--read-p95", type=float, default=0.5)
    ap.add_argument("--compare-batch", action="store_true", help="also time a batch scan of the same articles")
    ap.add_argument("--min-share", type=float, default=0.5)
    ap.add_argument("--rescue", type=int, default=None,
                    help="the second model's rescue budget (texts and sentences) for the service and the batch scan alike; "
                         "the default's is per scan, so many small scans read more than one big one")
    ap.add_argument("--serve-arg", action="append", default=[], help="an argument passed on to retold serve (repeatable)")
    ap.add_argument("--json", default=None, help="write the result here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (index, service log)")
    ap.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.writers < 1 or args.requests < 1 or args.readers < 0 or not 1 <= args.min_articles <= args.max_articles:
        ap.error("need writers >= 1, requests >= 1, readers >= 0, 1 <= min-articles <= max-articles")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    res = run(args)
    text = json.dumps(res, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    summary = {k: v for k, v in res.items() if k != "service_stats"}
    print(json.dumps(summary, indent=2))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
