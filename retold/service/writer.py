"""The service's state: one index, one writer thread, a read snapshot, and jobs.

Why a writer thread and a snapshot. Each scan is one SQLite write transaction over the whole
index, and its fixed cost (reading the candidate tables, the commit; the groups follow only the
components a batch touches, ``retold.group.held``) dwarfs that of a few articles. So requests are queued, and the writer scans all that arrived while it was busy
as one batch (up to ``batch_max_articles``): eight clients posting at once cost about one scan,
not eight in a row. Each request still gets its own answer, cut from the batch's result: its
added ids, its problems, the pairs that name its articles, the groups they joined.
Reads (``GET /articles/ID/pairs``) never touch the index: they answer from a snapshot of
every stored pair, by article, that the writer replaces after each commit, so a read never
waits for a scan and never sees half of one. ``/health`` counts the articles in the file on a
connection of its own (a WAL reader: it never waits for a writer either), so that a takedown
by another process (``retold index remove``) shows at once; a count other than the snapshot's
wakes the writer, which reads the snapshot afresh.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import InvalidStateError
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from retold.config import Settings
from retold.engines.local import EngineError
from retold.index.errors import IndexBusyError, IndexFileError
from retold.index.hooks import WriteHooks
from retold.model import Article, Doc, Pair, Problem
from retold.service.body import REQUEST
from retold.service.config import ServiceConfig

if TYPE_CHECKING:
    from retold.index import Index
    from retold.sign import Encoder

log = logging.getLogger("retold.service")
T = TypeVar("T")

#: seconds the idle writer waits between checks that no other process changed the index
IDLE_CHECK_S = 5.0
#: batches GET /stats lists (requests, articles, seconds, seconds by stage), the newest last
RECENT_BATCHES = 50
#: seconds past the grace period a stopping writer gets before ``close`` gives up on it
STOP_MARGIN_S = 15.0

_ABS_PATH = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:)?[/\\](?:[^\s'\"<>|:,;()]+[/\\])*[^\s'\"<>|:,;()]*")


class ServiceError(Exception):
    """A request the service could not answer; ``status`` is its HTTP status, ``body`` its JSON.

    Messages never hold a file path (:func:`scrub`): an error body goes to whoever asked.
    """

    def __init__(self, status: int, message: str, *, failed: str, retry: bool = False, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": message, "failed": failed, "retry": retry, **extra}


def scrub(text: str, *paths: Path | str) -> str:
    """``text`` without file paths: the given ones by their last part, any other absolute one as <path>."""
    for p in paths:
        for form in {str(p), str(Path(p).resolve()) if str(p) else ""}:
            if form:
                text = text.replace(form, Path(form).name)
    return _ABS_PATH.sub("<path>", text)


@dataclass(frozen=True)
class Snapshot:
    """What reads answer from: every stored pair (as a dict) by each id it names; every indexed
    id is a key (with no pairs, an empty tuple). Replaced whole after each commit, never changed."""

    articles: int
    pairs: Mapping[str, tuple[dict, ...]]

    def extended(self, new_ids: Iterable[str], stored: list[dict]) -> Snapshot:
        by_id = dict(self.pairs)
        n = len(by_id)
        for i in new_ids:
            by_id.setdefault(i, ())
        for p in stored:
            for i in {p["a"], p["b"]}:
                by_id[i] = by_id.get(i, ()) + (p,)
        return Snapshot(self.articles + len(by_id) - n, MappingProxyType(by_id))


class Stopped(Exception):
    """A batch stopped at a step between stages (shutting down, or past its time)."""

    def __init__(self, why: str, stage: str) -> None:
        super().__init__(why)
        self.why = why
        self.stage = stage


class Watch:
    """The progress of one batch (stage, items done of total), which also stops it when asked:
    each step of a stage checks, so a batch stops within one step, before its commit."""

    def __init__(self, stop: threading.Event, deadline: float | None) -> None:
        self.stop = stop
        self.deadline = deadline
        self.stage = "reading the index"
        self.done = 0
        self.total: int | None = None
        self.committing = False  # from the commit on, nothing stops the batch: it is written or not

    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        self.stage, self.done, self.total = label or "work", 0, total
        self.check()
        for x in items:
            yield x
            self.done += 1
            self.check()

    def check(self) -> None:
        if self.committing:
            return
        if self.stop.is_set():
            raise Stopped("shutdown", self.stage)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Stopped("timeout", self.stage)

    def to_dict(self) -> dict:
        return {"stage": self.stage, "done": self.done, "total": self.total}


@dataclass
class Job:
    """A large request, answered 202 at once; its answer is fetched with GET /jobs/ID."""

    id: str
    articles: int
    created: float = field(default_factory=time.time)
    state: str = "queued"  # queued, running, done, failed
    started: float | None = None
    finished: float | None = None
    result: dict | None = None
    error: dict | None = None
    status: int | None = None  # the HTTP status the answer would have had
    watch: Watch | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "state": self.state, "articles": self.articles,
                               "created": _iso(self.created), "started": _iso(self.started), "finished": _iso(self.finished)}
        if self.state == "running" and self.watch is not None:
            out["progress"] = self.watch.to_dict()
        if self.state in ("done", "failed"):
            out["status"] = self.status
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class _Work:
    """One request in the writer's queue."""

    articles: list[Article]
    problems: list[Problem]
    future: Future
    arrived: float
    job: Job | None = None
    solo: bool = False  # scanned alone (after a batch it was in failed)


@dataclass
class _Plan:
    """Who adds what in one batch: first come first served for an id."""

    new: list[Article]
    new_ids: list[list[str]]  # per work item
    known_ids: list[list[str]]  # per work item: ids already indexed (or taken earlier in the batch)
    problems: list[list[Problem]]


def _resolve(fut: Future, result: object = None, error: BaseException | None = None) -> None:
    try:
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)
    except InvalidStateError:  # the asker gave up (its connection was cancelled): nothing to tell
        pass


def _line(a: Article) -> int | None:
    tail = (a.where or "").rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


class IndexService:
    """One open index, its settings and encoder, a writer thread, the read snapshot and jobs.

    ``submit`` queues articles for the writer and returns a Future of the answer;
    ``add`` does the same and waits. ``pairs_of`` and ``health`` read the snapshot only.
    """

    def __init__(
        self,
        index: Index,
        settings: Settings,
        encoder: Encoder | None = None,
        config: ServiceConfig | None = None,
    ) -> None:
        self.index = index
        self.config = config or ServiceConfig()
        if settings.index_wait_s == 0:  # another writer on the file: wait for it at most a batch's time, then 503
            settings = replace(settings, index_wait_s=self.config.batch_timeout_s)
        # a service's batches are small: its compare goes to worker processes from a few hundred pairs on
        settings = replace(settings, parallel_min_items=self.config.parallel_min_items)
        self.settings = settings
        self.encoder = encoder
        self.scans = 0
        self.batches = 0
        self.last_batch: dict | None = None
        self.recent_batches: deque[dict] = deque(maxlen=RECENT_BATCHES)
        self._last_requests = 1  # requests in the last batch: as many are likely to come back together
        self._scan: Callable[..., Any] | None = None  # retold.pipeline.scan unless a test puts another
        self._cond = threading.Condition()
        self._queue: deque[_Work] = deque()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._stop_now = threading.Event()  # the running batch stops at its next step
        self._busy = False
        self._closed = False
        self._check_soon = False  # a read saw the file change: the idle writer looks at once
        self._running: dict | None = None  # the batch being scanned (requests, articles), for /stats
        self._watch: Watch | None = None
        self._snap = self._read_snapshot()
        from retold.index import Index

        # a second connection for /health's count; keep_in_memory only for check_same_thread=False (any
        # thread, one at a time: the lock)
        self._reader = Index.open(self.index.path, busy_timeout=2.0, keep_in_memory=True)
        self._reader_lock = threading.Lock()

    # --- opening and closing ---------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.index.path

    @property
    def articles(self) -> int:
        return self._snap.articles

    @classmethod
    def open(
        cls, index_path: str | Path, settings: Settings | None = None, encoder: Encoder | None = None,
        config: ServiceConfig | None = None, overrides: Mapping[str, Any] | None = None,
    ) -> IndexService:
        """Open (or create) the index and keep it open; fail early on a bad file or another encoder.

        ``overrides``: Settings fields to change from the index's own (not its signature fields),
        e.g. ``{"rescue_max_texts": 0}``."""
        from retold.index import Index
        from retold.sign import default_encoder

        p = Path(index_path)
        with Index.open(p, settings=settings) as idx:  # learn the settings the index was built with
            own = idx.settings
        if overrides:
            own = replace(own, **overrides)
        if own.semantic:
            encoder = encoder or default_encoder(own)
        enc_name = encoder.name if own.semantic and encoder is not None else None
        # opening with the encoder's name refuses an index built with another encoder
        idx = Index.open(p, settings=own, encoder_name=enc_name, keep_in_memory=True)
        try:
            return cls(idx, own, encoder, config)
        except BaseException:
            idx.close()
            raise

    def warm_up(self) -> float:
        """Scan the bundled sample in memory (not into the index), so that what a first batch
        would load lazily (word lists, language models, the tokenizer, the encoder's first call,
        the grouping code) is loaded before the first request; seconds it took.

        Why: the first batch after a start took 3-4 s more than the next ones (clean, names and
        embed loading their data), held up every client posting at that time, and counted against
        the service in the load test. E5, the fallback second model, stays lazy: it is big and
        most batches never need it; the static one, which signs every batch, is loaded.

        The index's own part of a first batch is done here too: the groups of every indexed
        article (held between batches, ``Index.hold_groups``) and the tables an add reads whole
        (``Index.held_tables``). On an index of 50,000 articles the first POST of 20 took 6.5 s
        and the next ones 1.7-1.9 s; grouping 50,000 articles alone was 1.7 s of the first.
        """
        from importlib import resources

        from retold.ingest import read_articles
        from retold.pipeline import scan
        from retold.sign import second

        t = time.monotonic()
        folder = Path(str(resources.files("retold").joinpath("data/sample")))
        articles, _ = read_articles([folder])
        light = replace(self.settings, second_opinion=False, rescue_max_texts=0, rescue_max_sentences=0)
        try:
            scan(articles, settings=light, encoder=self.encoder)
            if self.settings.second_opinion and second.cheap():
                second.available()  # loads the static model
            self._warm_index()
        except Exception as e:  # noqa: BLE001 - a warm-up that fails costs only the time it would have saved
            log.warning("warm-up scan failed (%s); the first batch loads what it needs", type(e).__name__)
        return time.monotonic() - t

    def _warm_index(self) -> None:
        """Group every indexed article and read the whole-read tables once, under the writer
        lock (no other writer can commit meanwhile, so what is held is of the file as it is)."""
        from retold.group.held import HeldGroups
        from retold.index.incremental import dated, hold_tables

        idx = self.index
        if not idx.keeps_memory or idx.postings_bands() is None:
            return
        with idx.writing(timeout=self.config.batch_timeout_s):
            light = hold_tables(idx)
            if idx.held_groups() is None:
                idx.hold_groups(HeldGroups.build(dated(light), idx.link_table(), self.settings))

    def _read_snapshot(self) -> Snapshot:
        """The snapshot from the index itself (at the start, and after another process wrote)."""
        with self.index.reading():
            ids = self.index.ids()
            pairs = self.index.load_pairs()
        by_id: dict[str, tuple[dict, ...]] = {i: () for i in ids}
        for pair in pairs:
            d = pair.to_dict()
            for i in {pair.a, pair.b}:
                by_id[i] = by_id.get(i, ()) + (d,)
        return Snapshot(len(ids), MappingProxyType(by_id))

    def start(self) -> None:
        """Start the writer thread (``submit`` starts it too)."""
        with self._cond:
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="retold-writer", daemon=True)
                self._thread.start()

    def begin_shutdown(self, grace_s: float | None = None) -> None:
        """Stop taking work; fail what waits (503); let the running batch finish for ``grace_s``
        seconds (default ``config.shutdown_grace_s``), then stop it before its commit. A second
        call changes nothing (``stop_now`` does not wait)."""
        grace = self.config.shutdown_grace_s if grace_s is None else grace_s
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            waiting = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for w in waiting:
            self._fail(w, ServiceError(503, "the service is shutting down; nothing of this request was added",
                                       failed="shutdown", retry=True))
        if grace <= 0:
            self._stop_now.set()
        else:
            t = threading.Timer(grace, self._stop_now.set)
            t.daemon = True
            t.start()

    def stop_now(self) -> None:
        """Shut down without waiting: the running batch stops at its next step, before its commit."""
        self.begin_shutdown(0.0)
        self._stop_now.set()

    def close(self, grace_s: float | None = None) -> bool:
        """Shut down (see ``begin_shutdown``), wait for the writer, release the index file.
        False when the writer did not stop in time (its batch is not committed: the index stays
        as it was, and the file is left to the process's exit)."""
        self.begin_shutdown(grace_s)
        grace = self.config.shutdown_grace_s if grace_s is None else grace_s
        t = self._thread
        if t is not None:
            t.join(grace + STOP_MARGIN_S)
            if t.is_alive():
                log.error("the writer did not stop within %.0f s", grace + STOP_MARGIN_S)
                return False
        with self._cond, self._reader_lock:
            if not self._closed:
                self._closed = True
                self.index.close()
                self._reader.close()
        return True

    # --- submitting --------------------------------------------------------------
    def submit(self, articles: list[Article], problems: list[Problem], *, as_job: bool = False) -> tuple[Future, Job | None]:
        """Queue a request for the writer: a Future of its answer (a dict, or ServiceError), and
        its Job when ``as_job``. Raises ServiceError when the service cannot take it (503)."""
        fut: Future = Future()
        job = None
        with self._cond:
            if self._stopping:
                raise ServiceError(503, "the service is shutting down", failed="shutdown", retry=True)
            if as_job:
                self._prune_jobs()
                active = sum(j.state in ("queued", "running") for j in self._jobs.values())
                if active >= self.config.max_active_jobs:
                    raise ServiceError(503, f"{active} jobs are queued or running, at most {self.config.max_active_jobs}; "
                                       "try again later", failed="capacity", retry=True)
                job = Job(secrets.token_urlsafe(12), len(articles))
                self._jobs[job.id] = job
            else:
                queued = sum(w.job is None for w in self._queue)
                if queued >= self.config.max_queued_requests:
                    raise ServiceError(503, f"{queued} requests are waiting, at most {self.config.max_queued_requests}; "
                                       "try again later", failed="capacity", retry=True)
            self._queue.append(_Work(articles, problems, fut, time.monotonic(), job))
            self._cond.notify_all()
        self.start()
        return fut, job

    def add(self, articles: list[Article], problems: list[Problem], timeout: float | None = None) -> dict:
        """Scan ``articles`` against the index and add them; the answer (raises ServiceError)."""
        fut, _ = self.submit(articles, problems)
        return fut.result(timeout)

    # --- reading -----------------------------------------------------------------
    def pairs_of(self, doc_id: str) -> list[dict] | None:
        """Every stored pair that names ``doc_id`` (None when the id is not indexed), from the snapshot."""
        got = self._snap.pairs.get(doc_id)
        return None if got is None else list(got)

    def file_articles(self) -> int | None:
        """Articles in the index file now (committed by anyone), or None when it cannot be read."""
        with self._reader_lock:
            if self._closed:
                return None
            try:
                return len(self._reader)
            except IndexFileError:
                return None

    def health(self) -> dict:
        """Status, the articles in the index file (not only those this service added), busy.
        A count other than the snapshot's (another process wrote or removed) wakes the writer
        to read the snapshot afresh."""
        enc = getattr(self.encoder, "name", None)
        n = self.file_articles()
        if n is None:
            n = self.articles
        elif n != self.articles:
            with self._cond:
                self._check_soon = True
                self._cond.notify_all()
        return {"status": "ok", "articles": n, "scans": self.scans, "busy": self._busy, "encoder": enc}

    def job(self, job_id: str) -> dict | None:
        with self._cond:
            self._prune_jobs()
            j = self._jobs.get(job_id)
            return None if j is None else j.to_dict()

    def running(self) -> dict | None:
        """The batch being scanned (requests, articles, stage, items done of total), or None.
        Takes no lock, so that a watchdog can ask while the writer is stuck."""
        running, watch = self._running, self._watch  # read once: the writer replaces them
        return None if running is None else {**running, **(watch.to_dict() if watch else {})}

    def stats(self) -> dict:
        with self._cond:
            queued = [w for w in self._queue]
            jobs = list(self._jobs.values())
        return {
            "articles": self.articles,
            "scans": self.scans,
            "batches": self.batches,
            "busy": self._busy,
            "running": self.running(),
            "stopping": self._stopping,
            "queued_requests": sum(w.job is None for w in queued),
            "queued_articles": sum(len(w.articles) for w in queued),
            "jobs": {s: sum(j.state == s for j in jobs) for s in ("queued", "running", "done", "failed")},
            "last_batch": self.last_batch,
            "recent_batches": list(self.recent_batches),
            "limits": self.config.public(),
        }

    def _prune_jobs(self) -> None:
        """Drop finished jobs past their time, then the oldest finished beyond the count (lock held)."""
        now = time.time()
        done = [j for j in self._jobs.values() if j.finished is not None]
        for j in done:
            if now - j.finished > self.config.job_ttl_s:  # type: ignore[operator]
                del self._jobs[j.id]
        done = [j for j in self._jobs.values() if j.finished is not None]
        for j in done[: max(0, len(done) - self.config.max_kept_jobs)]:
            del self._jobs[j.id]

    # --- the writer --------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._stopping and not self._check_soon:
                    self._cond.wait(IDLE_CHECK_S)
                if self._stopping:
                    return  # begin_shutdown failed whatever was queued
                self._check_soon = False
                self._linger()
                batch = self._take()
            try:
                if batch:
                    self._run_batch(batch)
                else:
                    self._refresh_if_changed()
            except BaseException as e:  # noqa: BLE001 - the writer never dies of one batch
                log.exception("writer: unexpected error")
                for w in batch:
                    self._fail(w, ServiceError(500, f"the service failed ({type(e).__name__})", failed="service"))

    def _linger(self) -> None:
        """Wait up to ``batch_linger_s`` for more requests before a batch starts (lock held):
        clients answered together by the last batch post again a few milliseconds apart, and
        without the wait the first of them would be scanned alone, the others after it. The wait
        ends as soon as as many requests wait as the last batch had, or the batch is full."""
        end = time.monotonic() + self.config.batch_linger_s
        while self._queue and not self._stopping and not self._queue[0].solo:
            if len(self._queue) >= self._last_requests:
                return
            if sum(len(w.articles) for w in self._queue) >= self.config.batch_max_articles:
                return
            left = end - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _take(self) -> list[_Work]:
        """The next batch (lock held): the first waiting request, and those after it while they fit."""
        if not self._queue:
            return []
        first = self._queue.popleft()
        batch = [first]
        n = len(first.articles)
        while self._queue and not first.solo:
            nxt = self._queue[0]
            if nxt.solo or n + len(nxt.articles) > self.config.batch_max_articles:
                break
            batch.append(self._queue.popleft())
            n += len(nxt.articles)
        return batch

    def _refresh_if_changed(self) -> None:
        """Another process added to (or removed from) the index: read the snapshot afresh."""
        try:
            ids = self.index.ids()
        except IndexFileError:
            return
        if len(ids) != self._snap.articles or not ids.issubset(self._snap.pairs.keys()):
            log.warning("the index changed outside this service; reading it afresh")
            self._snap = self._read_snapshot()

    def _plan(self, batch: list[_Work]) -> _Plan:
        indexed = self._snap.pairs
        taken: set[str] = set()
        plan = _Plan([], [], [], [])
        for w in batch:
            new: list[str] = []
            known: list[str] = []
            probs = list(w.problems)
            for a in w.articles:
                if a.id in new:
                    probs.append(Problem(REQUEST, _line(a), "duplicate_id", f"id {a.id!r} is given twice; the first is kept"))
                elif a.id in indexed or a.id in taken:  # taken: by a request before this one in the batch
                    if a.id not in known:
                        known.append(a.id)
                    probs.append(Problem(REQUEST, _line(a), "duplicate_id", f"id {a.id!r} is already in the index; skipped"))
                else:
                    taken.add(a.id)
                    new.append(a.id)
                    plan.new.append(a)
            plan.new_ids.append(new)
            plan.known_ids.append(known)
            plan.problems.append(probs)
        return plan

    def _run_batch(self, batch: list[_Work]) -> None:
        from retold.pipeline import scan as pipeline_scan

        scan = self._scan or pipeline_scan
        t0 = time.monotonic()
        watch = Watch(self._stop_now, t0 + self.config.batch_timeout_s)
        with self._cond:
            for w in batch:
                if w.job is not None:
                    w.job.state, w.job.started, w.job.watch = "running", time.time(), watch
            self._running = {"requests": len(batch), "articles": sum(len(w.articles) for w in batch)}
            self._watch = watch
        commit = _Commit(watch)
        self._busy = True
        try:
            self._refresh_if_changed()
            before = self._snap
            plan = self._plan(batch)
            res = scan(plan.new, settings=self.settings, index=self.index, encoder=self.encoder, progress=watch, hooks=commit)
            self.scans += 1
            self._publish(commit, res.stats.get("articles_total"))
        except BaseException as e:  # noqa: BLE001 - every failure becomes an answer
            if commit.done:
                self._publish(commit)
            self._busy = False
            self._running = self._watch = None
            self._failed_batch(batch, e, watch, commit.done)
            return
        self.batches += 1
        self._last_requests = len(batch)
        self.last_batch = {"requests": len(batch), "articles": len(plan.new), "seconds": round(time.monotonic() - t0, 3),
                           "finished": _iso(time.time()), "stats": {k: round(float(v), 3) for k, v in res.stats.items()}}
        self.recent_batches.append({k: v for k, v in self.last_batch.items() if k != "stats"} | {
            "stages": {k[5:-2]: round(float(v), 2) for k, v in res.stats.items() if k.startswith("time_") and k != "time_total_s"}})
        written = set(commit.new_ids)
        pair_dicts = [(p.a, p.b, p.to_dict()) for p in res.pairs]
        group_dicts = [(set(g.members), g.to_dict()) for g in res.groups]
        # the scan's own problems: duplicate_id for an id another process indexed meanwhile (said
        # below, by id), anything else concerns the whole batch
        general = [p for p in res.problems if p.reason != "duplicate_id"]
        self._busy = False
        self._running = self._watch = None
        for k, w in enumerate(batch):
            added = [i for i in plan.new_ids[k] if i in written]
            known = plan.known_ids[k] + [i for i in plan.new_ids[k] if i not in written]
            problems = plan.problems[k] + general + [
                Problem(REQUEST, None, "duplicate_id", f"id {i!r} is already in the index; skipped")
                for i in plan.new_ids[k] if i not in written
            ]
            mine = set(added) | set(known)
            pairs = [d for a, b, d in pair_dicts if a in mine or b in mine]
            seen = {(d["a"], d["b"]) for d in pairs}
            for i in known:  # already indexed: their stored pairs, as a retry of a committed request needs
                for d in before.pairs.get(i, ()) or self._snap.pairs.get(i, ()):
                    if (d["a"], d["b"]) not in seen:
                        seen.add((d["a"], d["b"]))
                        pairs.append(d)
            answer = {
                "added": len(added),
                "added_ids": added,
                "articles_total": self.articles,
                "problems": [problem_dict(p) for p in problems],
                "pairs": pairs,
                "groups": [g for members, g in group_dicts if mine & members],
                "seconds": round(time.monotonic() - w.arrived, 3),
                "waited_seconds": round(t0 - w.arrived, 3),
                "batch": {"requests": len(batch), "articles": len(plan.new)},
            }
            if w.job is not None:
                with self._cond:  # GET /jobs/ID sees the job before or after, never half way
                    w.job.result, w.job.status, w.job.finished, w.job.state = answer, 200, time.time(), "done"
                    w.job.watch = None
            _resolve(w.future, answer)

    def _publish(self, commit: _Commit, total: float | None = None) -> None:
        """The snapshot after a commit: the previous one and what the commit wrote."""
        snap = self._snap.extended(commit.new_ids, commit.stored)
        if total is not None and int(total) != snap.articles:  # another process wrote too
            snap = self._read_snapshot()
        self._snap = snap

    def _failed_batch(self, batch: list[_Work], e: BaseException, watch: Watch, committed: bool) -> None:
        """Answer every request of a failed batch, or, when a batch of several failed of an
        error of its own, scan each request alone so that one bad request costs only itself."""
        name = type(e).__name__
        paths = (self.index_path,)
        if committed:
            err = ServiceError(500, f"the articles were added, but their answer failed ({name}: {scrub(str(e), *paths)}); "
                               "post them again to get their pairs", failed="answer", retry=True, stage=watch.stage)
        elif isinstance(e, Stopped):
            if e.why == "shutdown":
                err = ServiceError(503, f"the service is shutting down: the scan was stopped at '{e.stage}' before "
                                   "its commit; nothing of this request was added", failed="shutdown", retry=True, stage=e.stage)
            else:
                err = ServiceError(503, f"the scan ran past batch_timeout_s ({self.config.batch_timeout_s:g} s) and was "
                                   f"stopped at '{e.stage}'; nothing of this request was added", failed="timeout",
                                   retry=True, stage=e.stage)
        elif isinstance(e, EngineError) and self._stopped_meanwhile():
            # a SIGTERM sent to the process group (kill -TERM -PGID, systemd's default) also ends the
            # workers: their death is the shutdown, not an engine failure
            err = ServiceError(503, f"the service is shutting down: the scan was stopped at '{watch.stage}' before its "
                               "commit; nothing of this request was added", failed="shutdown", retry=True, stage=watch.stage)
        elif isinstance(e, EngineError):
            err = ServiceError(503, f"the scan failed at '{watch.stage}': {scrub(str(e), *paths)}; nothing of this request "
                               "was added", failed="engine", retry=True, stage=watch.stage)
        elif isinstance(e, IndexBusyError):
            err = ServiceError(503, f"the index is busy (another writer): {scrub(str(e), *paths)}; nothing was added",
                               failed="index_busy", retry=True)
        elif isinstance(e, IndexFileError):
            err = ServiceError(503, f"the index cannot be used: {scrub(str(e), *paths)}; nothing was added", failed="index")
        elif len(batch) > 1 and isinstance(e, Exception):
            log.warning("a batch of %d requests failed (%s); scanning each alone", len(batch), name)
            with self._cond:
                if not self._stopping:
                    for w in reversed(batch):
                        w.solo = True
                        self._queue.appendleft(w)
                    self._cond.notify_all()
                    return
            err = ServiceError(503, "the service is shutting down; nothing of this request was added", failed="shutdown", retry=True)
        else:
            log.error("scan failed at %s", watch.stage, exc_info=e)
            err = ServiceError(500, f"the scan failed at '{watch.stage}' ({name}: {scrub(str(e), *paths)}); nothing of "
                               "this request was added", failed="scan", stage=watch.stage)
        for w in batch:
            self._fail(w, err)

    def _stopped_meanwhile(self, wait_s: float = 1.0) -> bool:
        """Whether the service is shutting down, waiting up to ``wait_s`` for it: workers die of a
        group's SIGTERM at once, while the main thread's handler that begins the shutdown may run
        a moment after the writer has seen them die."""
        with self._cond:
            return self._cond.wait_for(lambda: self._stopping, wait_s)

    def _fail(self, w: _Work, err: ServiceError) -> None:
        if w.job is not None:
            with self._cond:
                w.job.error, w.job.status, w.job.finished, w.job.state = err.body, err.status, time.time(), "failed"
                w.job.watch = None
        _resolve(w.future, error=err)


class _Commit(WriteHooks):
    """The service's hooks on one batch's write (``retold.index.WriteHooks``): a shutdown ends
    the wait for another writer's lock; from the commit on the batch can no longer be stopped;
    what was stored (the pairs as the index keeps them, before the stories relabel them in
    place) extends the read snapshot."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.done = False
        self.new_ids: list[str] = []
        self.stored: list[dict] = []

    def waiting(self) -> None:
        self.watch.stage = "waiting for another writer"
        if self.watch.stop.is_set():  # past its time, the wait ends by index_wait_s (an index_busy answer)
            raise Stopped("shutdown", self.watch.stage)

    def before_commit(self) -> None:
        self.watch.committing = True

    def committed(self, docs: Sequence[Doc], pairs: Sequence[Pair]) -> None:
        self.done = True
        self.new_ids = [d.id for d in docs]
        self.stored = [p.to_dict() for p in pairs]


def problem_dict(p: Problem) -> dict:
    return {"where": p.path, "line": p.line, "reason": p.reason, "detail": p.detail}

