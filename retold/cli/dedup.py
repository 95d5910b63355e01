"""``retold dedup``: the corpus without the articles that reuse another, in its own format."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from retold.cli import app
from retold.config import Settings


@app.command("dedup")
def dedup_cmd(
    inputs: list[Path] = typer.Argument(..., help="Files or folders: .jsonl .csv .tsv .parquet .txt .md .html .json"),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the de-duplicated corpus (same files, same names), removed.jsonl, problems.jsonl"),
    drop: str = typer.Option(
        "duplicate,near_duplicate,rewrite", "--drop", help="Relations that make a copy: duplicate,near_duplicate,partial,rewrite,translation"
    ),
    keep: str = typer.Option("origin", "--keep", help="Which member of each cluster stays: origin, earliest, longest, first (ties by id)"),
    index: Optional[Path] = typer.Option(None, "--index", help="Index to dedup against: a new article that copies an indexed one is removed; new articles are added to it"),
    semantic: bool = typer.Option(True, "--semantic/--copies-only", help="--copies-only: no embeddings; finds duplicate, near_duplicate, partial only (much faster)"),
    fmt: str = typer.Option("jsonl", "--format", help="Format of removed and problems: jsonl or parquet (the corpus keeps its own)"),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="As for retold scan: 'use', 'use@cuda' or a local sentence-transformers folder"),
    engine: str = typer.Option("local", "--engine", help="'local' or 'ray' (pip install \"retold[ray]\")"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join, e.g. auto (default: start a local Ray)"),
    second: bool = typer.Option(True, "--second-opinion/--no-second-opinion", help="As for retold scan"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars, no summary"),
) -> None:
    """Write the corpus without the articles that reuse another: one article of every reuse cluster stays."""
    from retold.cli.common import encoder_or_exit
    from retold.engines import make_engine
    from retold.progress import NullProgress, RichProgress
    from retold.show.corpus import CorpusError
    from retold.pipeline import dedup
    from retold.show.dedup import DedupError, check_keep, parse_drop, summary

    console = Console(stderr=True, soft_wrap=True)
    for p in inputs:
        if not p.exists():
            console.print(f"[red]error:[/red] {p}: no such file or folder")
            raise typer.Exit(2)
    try:
        drops = parse_drop(drop)
        check_keep(keep)
        if fmt not in ("jsonl", "parquet"):
            raise DedupError(f"--format must be jsonl or parquet, got {fmt!r}")
    except DedupError as e:
        console.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
    logging.basicConfig(level=logging.ERROR)
    settings = Settings(semantic=semantic, second_opinion=second)
    enc = encoder_or_exit(encoder, settings) if semantic else None
    eng = make_engine(engine, ray_address, settings.threads)
    try:
        res = dedup(
            inputs, out, drop=drops, keep=keep, settings=settings, index=index, encoder=enc, engine=eng,
            progress=NullProgress() if quiet else RichProgress(), format=fmt,
        )
    except CorpusError as e:
        console.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
    if not quiet:
        console.print(summary(res), highlight=False)
        console.print(f"wrote {out}/ ({len(res.files) - ('removed' in res.files) - ('problems' in res.files)} corpus files, {res.files['removed'].name})", highlight=False)
    if not res.stats.get("read"):
        console.print("[red]error:[/red] no readable article in the input")
        raise typer.Exit(1)


from retold.cli import bench_app  # noqa: E402


@bench_app.command("dedup")
def bench_dedup_cmd(
    size: int = typer.Option(10000, "--size", help="Articles in the speed bench's corpus"),
    repeat: int = typer.Option(3, "--repeat", help="Runs of each tool, in turn; medians are compared"),
    data: Path = typer.Option(Path("../shared/data"), help="Folder with ecbplus/, wmt16_enfi_docs/, wmt22_general_docs/"),
    out: Path = typer.Option(Path("docs/benchmarks.md"), help="Markdown file; only the de-duplication section is replaced"),
) -> None:
    """Time retold dedup --copies-only against datasketch MinHash LSH + union-find on the same corpus."""
    import shlex
    import sys

    from retold.bench.dedup import bench_dedup

    if not data.is_dir():
        raise typer.BadParameter(f"{data}: no such folder (expected the shared benchmark data)")
    if size < 10 or repeat < 1:
        raise typer.BadParameter("--size must be at least 10 and --repeat at least 1")
    command = "retold bench dedup " + shlex.join(sys.argv[3:]) if len(sys.argv) > 3 else f"retold bench dedup --size {size} --repeat {repeat}"
    bench_dedup(data, out, size=size, repeat=repeat, command=command.strip(), log=lambda m: typer.echo(m, err=True))
    typer.echo(f"wrote {out}")
