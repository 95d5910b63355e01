"""``retold compare A B``: one pair in the terminal, with its evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from retold.cli import app


def _one_article(path: Path, wanted: str | None, console: Console):
    from retold.ingest import read_articles

    arts, problems = read_articles([path])
    for p in problems:
        console.print(f"[yellow]skipped[/yellow] {p}")
    if wanted is not None:
        arts = [a for a in arts if a.id == wanted]
    if len(arts) != 1:
        what = f"id {wanted!r}" if wanted else "exactly one article"
        console.print(f"[red]error:[/red] {path}: expected {what}, found {len(arts)} (use FILE#ID for a file holding many)")
        raise typer.Exit(2)
    return arts[0]


def _split(spec: str) -> tuple[Path, str | None]:
    path, _, wanted = spec.partition("#")
    return Path(path), (wanted or None)


@app.command("compare")
def compare_cmd(
    a: str = typer.Argument(..., help="An article file, or FILE#ID for one record of a JSONL/CSV/Parquet file"),
    b: str = typer.Argument(..., help="The other article, same forms"),
    semantic: bool = typer.Option(True, "--semantic/--copies-only"),
    as_json: bool = typer.Option(False, "--json", help="Print the pair as one JSON object"),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="'use' (default), 'use@cuda' (the same model on a GPU) or a local sentence-transformers folder, optionally PATH@cuda"),
) -> None:
    """Show how two articles relate: relation, coverage both ways, aligned passages."""
    import json

    from retold.config import Settings
    from retold.pipeline import compare
    from retold.show.terminal import print_pair
    from retold.cli.common import encoder_or_exit

    err = Console(stderr=True, soft_wrap=True)
    pa, ia = _split(a)
    pb, ib = _split(b)
    for p in (pa, pb):
        if not p.exists():
            err.print(f"[red]error:[/red] {p}: no such file")
            raise typer.Exit(2)
    art_a, art_b = _one_article(pa, ia, err), _one_article(pb, ib, err)
    settings = Settings(semantic=semantic)
    enc = encoder_or_exit(encoder, settings) if semantic else None
    pair = compare(art_a, art_b, settings=settings, encoder=enc)
    if as_json:
        print(json.dumps(pair.to_dict(), ensure_ascii=False))
    else:
        print_pair(pair, art_a.text, art_b.text, Console())
