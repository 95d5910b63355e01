"""An HTTP service over one index: post articles, get back how they relate to everything seen before.

A thin layer over :func:`retold.scan` with an index, like the CLI: the same ingest rules
(:func:`retold.ingest.formats.item_from_record`), the same pairs and groups as ``pairs.jsonl``
and ``groups.jsonl``. What it adds is what a long-running process needs:

- one writer thread (``writer.py``): each scan is one SQLite write transaction over the whole
  index, so scans run one at a time, and requests that arrive while one runs are scanned
  together as the next batch; each request gets its own answer;
- reads that never wait for a write: ``GET /articles/ID/pairs`` and ``/health`` answer from a
  snapshot of the stored pairs that the writer replaces after each commit;
- jobs for large requests (``202`` and ``GET /jobs/ID``), kept in memory, bounded;
- limits with defaults (``config.py``: body size and time, header time, articles per request,
  queue and jobs), and who may write (``app.py``: Host, Origin, content type, bearer token);
- the encoder loaded once, not per request; bad records reported per line or item, never
  failing the rest of the request;
- a killed service leaves the index as it was before the batch in flight (the index commits
  each scan in one transaction); SIGTERM finishes or stops the running batch and exits
  (``server.py``); a retried request of ids already indexed answers with their stored pairs;
- the index held open and in memory (``Index.open(..., keep_in_memory=True)``): a batch reads
  only what it adds, not the whole index again; a commit by another process (a
  ``retold scan --index`` on the same file) is noticed and read afresh.

Routes: ``POST /articles`` (a JSON object, a JSON array of objects, or JSON lines),
``GET /articles/{id}/pairs``, ``GET /jobs/{id}``, ``GET /health``, ``GET /stats``.
Run it with ``retold serve``.
"""

from __future__ import annotations

from retold.service.app import create_app
from retold.service.body import MAX_ARTICLES, MAX_BODY_BYTES, REQUEST, BodyError, TooManyArticles, parse_articles
from retold.service.config import ServiceConfig, ServiceConfigError, is_loopback, read_token
from retold.service.server import serve
from retold.service.writer import IndexService, Job, ServiceError, Snapshot

__all__ = [
    "IndexService", "create_app", "parse_articles", "BodyError", "TooManyArticles", "MAX_ARTICLES", "MAX_BODY_BYTES",
    "REQUEST", "ServiceConfig", "ServiceConfigError", "ServiceError", "Job", "Snapshot", "serve", "is_loopback",
    "read_token",
]
