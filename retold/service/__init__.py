"""An HTTP service over one index: post articles, get back how they relate to everything seen before.

A thin layer over :func:`retold.scan` with an index, like the CLI: the same ingest rules
(:func:`retold.ingest.formats.item_from_record`), the same pairs and groups as ``pairs.jsonl``
and ``groups.jsonl``. What it adds is what a long-running process needs:

- one scan at a time (a lock), since each scan is one SQLite write transaction over the
  whole index; requests that arrive meanwhile wait their turn;
- the encoder loaded once, not per request;
- bad records reported per line or item, never failing the rest of the request;
- a killed service leaves the index as it was before the scan in flight (the index
  commits each scan in one transaction), so restarting it loses nothing already answered;
- the index held open and in memory (``Index.open(..., keep_in_memory=True)``): a request
  reads only what it adds, not the whole index again; a commit by another process (a
  ``retold scan --index`` on the same file) is noticed and the next request reads afresh.

Routes: ``POST /articles`` (a JSON object, a JSON array of objects, or JSON lines),
``GET /articles/{id}/pairs``, ``GET /health``. Run it with ``retold serve``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retold.config import Settings
from retold.ingest.formats import items_from_record
from retold.ingest.jsontext import MAX_JSON_DEPTH, JsonError, array_items
from retold.ingest.jsontext import loads as loads_json
from retold.model import Article, Problem

if TYPE_CHECKING:
    from retold.index import Index
    from retold.sign import Encoder

#: Largest request body accepted, in bytes.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Most articles accepted in one request: a bigger batch belongs to ``retold scan --index``.
MAX_ARTICLES = 10_000
#: Where problems in a request body say they are.
REQUEST = "request"


class BodyError(ValueError):
    """A request body that cannot be read at all (as opposed to one bad record in it)."""


def _body_lines(text: str) -> list[tuple[int, object]]:
    """(line number, value or JsonError) per non-blank line of a JSON-lines body.

    Lines end at ``\n`` only: JSON strings may hold U+2028 and the other characters
    ``str.splitlines`` also breaks at.
    """
    out: list[tuple[int, object]] = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            out.append((n, loads_json(line)))
        except JsonError as e:
            out.append((n, e))
    return out


def _starts_a_line_of_json(text: str) -> bool:
    """Whether the body's first line is a JSON value by itself (so the body is JSON lines)."""
    try:
        loads_json(text.lstrip().split("\n", 1)[0])
    except JsonError as e:
        return not e.syntax
    return True


def parse_articles(body: bytes, content_type: str = "") -> tuple[list[Article], list[Problem]]:
    """The articles in a request body, and a Problem for each record that is not one.

    A JSON object is one article, a JSON array a list of them; anything else (or a content
    type naming JSON lines) is read as one JSON object per line, where a broken line costs
    only itself. Problems name the line (JSON lines) or the item number (arrays), from 1.
    Records follow the ingest's rules (:mod:`retold.ingest.records`): a record nested too
    deep, or with a bad id or text, is a Problem; a bad optional field costs only itself.
    Only a body that cannot be read at all raises, and only :class:`BodyError`.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BodyError(f"the body is not UTF-8 (byte {e.start})") from None
    lines_type = any(k in content_type for k in ("ndjson", "jsonl", "json-seq", "x-json-lines"))
    head = text.lstrip()[:1]
    records: list[tuple[int, object]] = []
    if not lines_type and head in ("[", "{"):
        try:
            data = loads_json(text, MAX_JSON_DEPTH + (head == "["))
        except JsonError as e:
            if head == "[":  # one item too deep, or with an endless number: read the items one by one
                try:
                    records = list(array_items(text))
                except JsonError as e2:
                    raise BodyError(e2.detail) from None
            elif "\n" in text.strip() and (e.syntax or _starts_a_line_of_json(text)):
                lines_type = True  # JSON lines sent as application/json
            elif e.syntax:
                raise BodyError(f"{e.detail}, at line {e.lineno} of the body") from None
            else:
                records = [(1, e)]  # one object, too deep: a bad record, not a bad body
        else:
            records = list(enumerate(data, 1)) if isinstance(data, list) else [(1, data)]
    if lines_type or (not records and head not in ("[", "{", "")):
        records = _body_lines(text)
    if len(records) > MAX_ARTICLES:
        raise BodyError(f"{len(records):,} records in one request; at most {MAX_ARTICLES:,} (use `retold scan --index` for bulk)")
    articles: list[Article] = []
    problems: list[Problem] = []
    for n, rec in records:  # the same checks and problems as a JSONL file's records
        if isinstance(rec, JsonError):
            problems.append(Problem(REQUEST, n, rec.reason, rec.detail))
            continue
        for item in items_from_record(rec, Path(REQUEST), n, None):
            (problems if isinstance(item, Problem) else articles).append(item)  # type: ignore[arg-type]
    return articles, problems


@dataclass
class IndexService:
    """The service's state: one open index, its settings and encoder, one scan at a time."""

    index: Index
    settings: Settings
    encoder: Encoder | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    articles: int = 0
    scans: int = 0

    @property
    def index_path(self) -> Path:
        return self.index.path

    @classmethod
    def open(cls, index_path: str | Path, settings: Settings | None = None, encoder: Encoder | None = None) -> IndexService:
        """Open (or create) the index and keep it open; fail early on a bad file or another encoder."""
        from retold.index import Index
        from retold.sign import default_encoder

        p = Path(index_path)
        with Index.open(p, settings=settings) as idx:  # learn the settings the index was built with
            own = idx.settings
        if own.semantic:
            encoder = encoder or default_encoder(own)
        enc_name = encoder.name if own.semantic and encoder is not None else None
        # opening with the encoder's name refuses an index built with another encoder
        idx = Index.open(p, settings=own, encoder_name=enc_name, keep_in_memory=True)
        try:
            n = len(idx)
        except BaseException:
            idx.close()
            raise
        return cls(idx, own, encoder, articles=n)

    def close(self) -> None:
        with self.lock:
            self.index.close()

    def add(self, articles: list[Article], problems: list[Problem]) -> dict:
        """Scan ``articles`` against the index and add them; the response body."""
        from retold.pipeline import scan

        t = time.perf_counter()
        with self.lock:
            waited = time.perf_counter() - t
            res = scan(articles, settings=self.settings, index=self.index, encoder=self.encoder)
            self.articles = int(res.stats.get("articles_total", self.articles))
            self.scans += 1
        posted = {a.id for a in articles}  # an id already indexed is skipped, but its groups still answer
        groups = [g.to_dict() for g in res.groups if posted & set(g.members)]
        return {
            "added": int(res.stats.get("articles_new", 0)),
            "articles_total": self.articles,
            "problems": [_problem(p) for p in problems + res.problems],
            "pairs": [p.to_dict() for p in res.pairs],
            "groups": groups,
            "seconds": round(time.perf_counter() - t, 3),
            "waited_seconds": round(waited, 3),
        }

    def pairs_of(self, doc_id: str) -> list[dict] | None:
        """Every indexed pair that names ``doc_id`` (None when the id is not indexed)."""
        with self.lock:
            if doc_id not in self.index:
                return None
            return [p.to_dict() for p in self.index.load_pairs() if doc_id in (p.a, p.b)]

    def health(self) -> dict:
        enc = getattr(self.encoder, "name", None)
        return {"status": "ok", "articles": self.articles, "scans": self.scans, "busy": self.lock.locked(), "encoder": enc}


def _problem(p: Problem) -> dict:
    return {"where": p.path, "line": p.line, "reason": p.reason, "detail": p.detail}


def create_app(service: IndexService):  # noqa: ANN201 - starlette is imported lazily
    """The Starlette application for ``service`` (run it with uvicorn, or ``retold serve``)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from retold.index.errors import IndexFileError

    async def post_articles(request: Request) -> JSONResponse:
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_BODY_BYTES:
            return JSONResponse({"error": f"body of {size:,} bytes; at most {MAX_BODY_BYTES:,}"}, status_code=413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return JSONResponse({"error": f"body over {MAX_BODY_BYTES:,} bytes"}, status_code=413)
        try:
            articles, problems = parse_articles(body, request.headers.get("content-type", ""))
        except BodyError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        if not articles:
            return JSONResponse(
                {"error": "no article in the request", "problems": [_problem(p) for p in problems]}, status_code=422
            )
        try:
            out = await run_in_threadpool(service.add, articles, problems)
        except IndexFileError as e:  # busy (another writer), damaged, or built otherwise: nothing was added
            return JSONResponse({"error": str(e)}, status_code=503)
        return JSONResponse(out)

    async def get_pairs(request: Request) -> JSONResponse:
        doc_id = request.path_params["doc_id"]
        pairs = await run_in_threadpool(service.pairs_of, doc_id)
        if pairs is None:
            return JSONResponse({"error": f"no article {doc_id!r} in the index"}, status_code=404)
        return JSONResponse({"id": doc_id, "pairs": pairs})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(service.health())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # noqa: ANN202
        yield
        service.close()  # uvicorn stopping: release the index file

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/articles", post_articles, methods=["POST"]),
            Route("/articles/{doc_id:path}/pairs", get_pairs, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


__all__ = ["IndexService", "create_app", "parse_articles", "BodyError", "MAX_ARTICLES", "MAX_BODY_BYTES"]
