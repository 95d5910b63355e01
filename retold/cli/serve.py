"""``retold serve``: the HTTP service over one index (``retold.service``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from retold.cli import app
from retold.service.config import ServiceConfig

_D = ServiceConfig()  # the defaults, shown in --help


@app.command("serve")
def serve_cmd(
    index: Path = typer.Option(..., "--index", help="Index file to check new articles against and add them to (created if missing)"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; beyond loopback a token is required"),
    port: int = typer.Option(8765, "--port", help="Port to listen on"),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="'use' (default), 'use@cuda' (the same model on a GPU) or a local sentence-transformers folder, optionally PATH@cuda; must be the index's"),
    rescue_max_texts: Optional[int] = typer.Option(None, "--rescue-max-texts", help="Texts the second model may read per batch to find partners for texts nothing else placed (default 300, as for retold scan); 0: never"),
    rescue_max_sentences: Optional[int] = typer.Option(None, "--rescue-max-sentences", help="Sentences the second model may then read per batch to align the pairs it proposed (default 2000, as for retold scan)"),
    token_file: Optional[Path] = typer.Option(None, "--token-file", help="File whose first line is the bearer token that writes need (else $RETOLD_TOKEN); required beyond loopback"),
    allow_host: List[str] = typer.Option([], "--allow-host", help="A Host name the service answers for besides localhost and its address (repeatable; '*': any)"),
    allow_origin: List[str] = typer.Option([], "--allow-origin", help="An Origin (scheme://host:port) writes may come from besides the service's own (repeatable)"),
    max_articles: int = typer.Option(_D.max_articles, "--max-articles", help="Most articles in one request (413 beyond)"),
    max_body_mb: float = typer.Option(_D.max_body_bytes / 2**20, "--max-body-mb", help="Largest request body, MiB (413 beyond)"),
    job_over: int = typer.Option(_D.job_over, "--job-over", help="A request of more articles is answered 202 with a job (GET /jobs/ID)"),
    batch_max_articles: int = typer.Option(_D.batch_max_articles, "--batch-max-articles", help="Requests waiting together are scanned as one batch of up to this many articles"),
    batch_linger: float = typer.Option(_D.batch_linger_s, "--batch-linger", help="Seconds the writer waits for more requests before it starts a batch"),
    parallel_min_items: int = typer.Option(_D.parallel_min_items, "--parallel-min-items", help="A stage of a batch with this many items or more (pairs to compare) runs on worker processes"),
    max_queued: int = typer.Option(_D.max_queued_requests, "--max-queued", help="Requests waiting for the writer (503 beyond)"),
    max_jobs: int = typer.Option(_D.max_active_jobs, "--max-jobs", help="Jobs queued or running (503 beyond)"),
    kept_jobs: int = typer.Option(_D.max_kept_jobs, "--kept-jobs", help="Finished jobs kept for GET /jobs/ID"),
    job_ttl: float = typer.Option(_D.job_ttl_s, "--job-ttl", help="Seconds a finished job is kept"),
    batch_timeout: float = typer.Option(_D.batch_timeout_s, "--batch-timeout", help="Seconds after which a running batch is stopped, nothing of it added (503)"),
    shutdown_grace: float = typer.Option(_D.shutdown_grace_s, "--shutdown-grace", help="Seconds the running batch may finish after SIGTERM before it is stopped"),
    body_timeout: float = typer.Option(_D.body_timeout_s, "--body-timeout", help="Seconds for a whole request body to arrive (408 beyond)"),
    header_timeout: float = typer.Option(_D.header_timeout_s, "--header-timeout", help="Seconds for a request's line and headers to arrive (connection closed beyond)"),
    keep_alive: float = typer.Option(_D.keep_alive_s, "--keep-alive", help="Seconds an idle keep-alive connection stays open"),
    max_header_kb: int = typer.Option(_D.max_header_bytes // 1024, "--max-header-kb", help="Largest request line plus headers, KiB (400 beyond)"),
    limit_concurrency: int = typer.Option(_D.limit_concurrency, "--limit-concurrency", help="Connections and requests at once (503 beyond); one still sending its headers does not count"),
    max_pending: int = typer.Option(_D.max_pending_connections, "--max-pending", help="Connections held while their headers arrive (the oldest is closed beyond)"),
) -> None:
    """Serve an index over HTTP: POST /articles (JSON, JSON array or JSON lines), GET /articles/ID/pairs,
    GET /jobs/ID, GET /health, GET /stats. Loopback only unless a token is given; see the README."""
    from retold.config import Settings
    from retold.index.errors import IndexFileError
    from retold.service import IndexService, ServiceConfigError, serve
    from retold.service.config import TOKEN_ENV, is_loopback, read_token, token_file_is_open
    from retold.cli.common import encoder_or_exit

    console = Console(stderr=True, soft_wrap=True)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:  # every check that needs no index first: a refusal costs no model load
        token = read_token(token_file)
        config = ServiceConfig.for_bind(
            host, token=token, allow_hosts=tuple(allow_host), allowed_origins=tuple(allow_origin),
            max_articles=max_articles, max_body_bytes=int(max_body_mb * 2**20), job_over=job_over,
            batch_max_articles=batch_max_articles, batch_linger_s=batch_linger,
            parallel_min_items=parallel_min_items, max_queued_requests=max_queued, max_active_jobs=max_jobs,
            max_kept_jobs=kept_jobs, job_ttl_s=job_ttl, batch_timeout_s=batch_timeout, shutdown_grace_s=shutdown_grace,
            body_timeout_s=body_timeout, header_timeout_s=header_timeout, keep_alive_s=keep_alive,
            max_header_bytes=max_header_kb * 1024, limit_concurrency=limit_concurrency,
            max_pending_connections=max_pending,
        )
    except ServiceConfigError as e:
        console.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
    if token_file is not None and token_file_is_open(token_file):
        console.print("[yellow]warning:[/yellow] the token file can be read by other users (chmod 600 it)", highlight=False)
    loopback = is_loopback(host)
    if not loopback:
        console.print(
            f"[yellow]warning:[/yellow] listening on {host}, beyond this machine, over plain HTTP: the token and the "
            "articles cross the network in the clear; put a TLS proxy in front",
            highlight=False,
        )
    try:
        overrides = {k: v for k, v in (("rescue_max_texts", rescue_max_texts), ("rescue_max_sentences", rescue_max_sentences)) if v is not None}
        service = IndexService.open(index, encoder=encoder_or_exit(encoder, Settings()) if encoder else None, config=config,
                                    overrides=overrides)
    except (IndexFileError, OSError, ValueError) as e:
        console.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
    service.warm_up()  # before the port opens: the first request does not pay for lazy loads
    who = "token required for every route but /health" if config.token else "no token (loopback only)"
    source = "" if not config.token else (" from --token-file" if token_file is not None else f" from ${TOKEN_ENV}")
    console.print(f"retold: serving {index} ({service.articles:,} articles) on http://{host}:{port}; {who}{source}", highlight=False)
    serve(service, host, port, config)
    ok = service.close()
    console.print(f"retold: stopped; the index holds {service.articles:,} articles" + ("" if ok else " (a batch did not stop in time)"),
                  highlight=False)
    if not ok:
        raise typer.Exit(3)
