"""``retold serve``: the HTTP service over one index (``retold.service``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from retold.cli import app


@app.command("serve")
def serve_cmd(
    index: Path = typer.Option(..., "--index", help="Index file to check new articles against and add them to (created if missing)"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8765, "--port", help="Port to listen on"),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="'use' (default), 'use@cuda' (the same model on a GPU) or a local sentence-transformers folder, optionally PATH@cuda; must be the index's"),
) -> None:
    """Serve an index over HTTP: POST /articles (JSON, JSON array or JSON lines), GET /articles/ID/pairs, GET /health."""
    import uvicorn

    from retold.config import Settings
    from retold.index.errors import IndexFileError
    from retold.service import IndexService, create_app
    from retold.cli.common import encoder_or_exit

    console = Console(stderr=True)
    logging.basicConfig(level=logging.WARNING)
    try:
        service = IndexService.open(index, encoder=encoder_or_exit(encoder, Settings()) if encoder else None)
    except (IndexFileError, OSError) as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(f"retold: serving {index} ({service.articles:,} articles) on http://{host}:{port}")
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning")
