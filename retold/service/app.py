"""The Starlette application: routes, and the checks a request passes before it reaches the index.

Checks, in order (each refusal a JSON body ``{"error": ...}``):

- ``Host`` must name the service (its bound address, a loopback address or ``localhost``, or a
  name given with ``--allow-host``): else 421. A page on a foreign name that resolves to this
  machine (DNS rebinding) is refused.
- a write (``POST``) whose ``Origin`` is foreign (not the service's own address, nor one given
  with ``--allow-origin``; ``null`` too): 403. No CORS headers are sent, ever.
- with a token set, ``Authorization: Bearer <token>`` on every route but ``/health``: else 401.
- a write must be ``application/json``, ``application/x-ndjson`` or ``application/jsonl``: else
  415 (a web page can send ``text/plain`` and form bodies anywhere without asking).
- the body: at most ``max_body_bytes`` (413), all of it within ``body_timeout_s`` (408),
  at most ``max_articles`` records (413), readable (400), with an article in it (422).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json

from retold.service.body import BodyError, TooManyArticles, parse_articles
from retold.service.config import WRITE_TYPES, ServiceConfig, host_allowed, origin_allowed
from retold.service.writer import IndexService, ServiceError, problem_dict


def create_app(service: IndexService, config: ServiceConfig | None = None):  # noqa: ANN201 - starlette is imported lazily
    """The Starlette application for ``service`` (run it with uvicorn, or ``retold serve``).
    ``config``: the limits and access rules; by default the service's own."""
    import anyio
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    cfg = config or service.config
    token = cfg.token.encode("utf-8") if cfg.token else None

    def refuse(status: int, message: str, headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
        return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)

    def guard(request: Request, write: bool, open_route: bool = False) -> Response | None:
        """The refusal for a request that fails a check, or None."""
        if not host_allowed(request.headers.get("host"), cfg):
            if not request.headers.get("host"):
                return refuse(400, "no Host header")
            return refuse(421, "this service does not answer for that Host name (see `retold serve --allow-host`)")
        if write and not origin_allowed(request.headers.get("origin"), request.headers.get("host"), cfg):
            return refuse(403, "writes from another origin are refused (see `retold serve --allow-origin`)")
        if token is not None and not open_route:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), token):
                return refuse(401, "a bearer token is needed: Authorization: Bearer <token>",
                              headers={"WWW-Authenticate": 'Bearer realm="retold"'})
        if write:
            media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media not in WRITE_TYPES:
                return refuse(415, f"content type {media or 'missing'!r}; a write must be one of {', '.join(WRITE_TYPES)}")
        return None

    def error_response(e: ServiceError) -> JSONResponse:
        headers = {"Retry-After": "5"} if e.status == 503 and e.body.get("retry") else None
        return JSONResponse(e.body, status_code=e.status, headers=headers)

    async def read_body(request: Request) -> bytes | Response:
        try:
            size = int(request.headers.get("content-length") or 0)
        except ValueError:
            return refuse(400, "a Content-Length that is not a number")
        if size > cfg.max_body_bytes:
            return refuse(413, f"body of {size:,} bytes; at most {cfg.max_body_bytes:,}")
        chunks: list[bytes] = []
        got = 0
        try:
            with anyio.fail_after(cfg.body_timeout_s):
                async for chunk in request.stream():
                    got += len(chunk)
                    if got > cfg.max_body_bytes:
                        return refuse(413, f"body over {cfg.max_body_bytes:,} bytes")
                    chunks.append(chunk)
        except TimeoutError:
            return refuse(408, f"the body did not arrive within {cfg.body_timeout_s:g} s", headers={"Connection": "close"})
        return b"".join(chunks)

    async def post_articles(request: Request) -> Response:
        refused = guard(request, write=True)
        if refused is not None:
            return refused
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        try:
            articles, problems = await run_in_threadpool(
                parse_articles, body, request.headers.get("content-type", ""), cfg.max_articles
            )
        except TooManyArticles as e:
            return refuse(413, str(e))
        except BodyError as e:
            return refuse(400, str(e))
        if not articles:
            return refuse(422, "no article in the request", problems=[problem_dict(p) for p in problems])
        try:
            fut, job = service.submit(articles, problems, as_job=len(articles) > cfg.job_over)
        except ServiceError as e:
            return error_response(e)
        if job is not None:
            return JSONResponse(
                {"job": job.id, "state": job.state, "articles": job.articles, "href": f"/jobs/{job.id}"},
                status_code=202, headers={"Location": f"/jobs/{job.id}"},
            )
        try:
            out = await asyncio.wrap_future(fut)
        except ServiceError as e:
            return error_response(e)
        return JSONResponse(out)

    async def get_pairs(request: Request) -> Response:
        refused = guard(request, write=False)
        if refused is not None:
            return refused
        doc_id = request.path_params["doc_id"]
        pairs = service.pairs_of(doc_id)
        if pairs is None:
            return refuse(404, f"no article {doc_id!r} in the index")
        return JSONResponse({"id": doc_id, "pairs": pairs})

    async def get_job(request: Request) -> Response:
        refused = guard(request, write=False)
        if refused is not None:
            return refused
        job = service.job(request.path_params["job_id"])
        if job is None:
            return refuse(404, "no such job (finished jobs are kept for a while only: see GET /stats, limits)")
        if job.get("result") is not None:  # a big answer: encoded off the event loop
            return Response(await run_in_threadpool(_dumps, job), media_type="application/json")
        return JSONResponse(job)

    async def health(request: Request) -> Response:
        refused = guard(request, write=False, open_route=True)
        if refused is not None:
            return refused
        return JSONResponse(await run_in_threadpool(service.health))  # counts the file's articles: off the loop

    async def stats(request: Request) -> Response:
        refused = guard(request, write=False)
        if refused is not None:
            return refused
        return JSONResponse(service.stats())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # noqa: ANN202
        service.start()
        yield
        await run_in_threadpool(service.close)  # uvicorn stopping: finish or stop the batch, release the index

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/articles", post_articles, methods=["POST"]),
            Route("/articles/{doc_id:path}/pairs", get_pairs, methods=["GET"]),
            Route("/jobs/{job_id}", get_job, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/stats", stats, methods=["GET"]),
        ],
    )


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
