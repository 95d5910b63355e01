"""``retold scan``: the main job. Read, find every related pair, group, write the contract."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from retold.cli import app
from retold.config import Settings


def sample_dir() -> Path:
    """The small corpus bundled with the package (fictional articles written for retold)."""
    from importlib import resources

    return Path(str(resources.files("retold").joinpath("data/sample")))


@app.command("scan")
def scan_cmd(
    inputs: Optional[list[Path]] = typer.Argument(None, help="Files or folders: .txt .md .html .json .jsonl .csv .parquet"),
    out: Path = typer.Option(Path("retold-out"), "--out", "-o", help="Folder for pairs.jsonl, groups.jsonl, articles.jsonl"),
    sample: bool = typer.Option(False, "--sample", help="Scan the bundled sample corpus"),
    index: Optional[Path] = typer.Option(None, "--index", help="On-disk index: compare new articles against everything in it, then add them"),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write a self-contained HTML report here"),
    semantic: bool = typer.Option(True, "--semantic/--copies-only", help="--copies-only: skip embeddings (duplicates, near-duplicates, partial copies only)"),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="'use' (default, numpy), 'use@cuda' (the same model on a GPU, needs torch) or a local sentence-transformers folder, optionally PATH@cuda"),
    engine: str = typer.Option("local", "--engine", help="'local' (this machine) or 'ray' (a Ray cluster; pip install \"retold[ray]\")"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join, e.g. auto or ray://head:10001 (default: start a local Ray)"),
    second: bool = typer.Option(True, "--second-opinion/--no-second-opinion", help="Ask multilingual-E5 about borderline pairs in languages the main encoder lacks (slower)"),
    rescue_max_texts: int = typer.Option(Settings.rescue_max_texts, "--rescue-max-texts", help="Texts the second model may read to find partners for texts nothing else placed (about 12/s); 0: never"),
    rescue_max_sentences: int = typer.Option(Settings.rescue_max_sentences, "--rescue-max-sentences", help="Sentences the second model may then read to align the pairs it proposed (about 35/s)"),
    implied: bool = typer.Option(True, "--implied/--no-implied", help="Also write pairs the stories imply but that were never compared (basis 'story'/'storyline')"),
    reproducible: bool = typer.Option(True, "--reproducible/--fast-ann", help="--fast-ann: build the nearest-neighbour graph on all cores (faster on many cores; a few pairs may differ between runs)"),
    fmt: str = typer.Option("jsonl", "--format", help="Output files as jsonl (default) or parquet: the same fields (docs/ARCHITECTURE.md)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars, no summary"),
) -> None:
    """Find copies, rewrites, translations and retellings among articles."""
    from retold.pipeline import scan
    from retold.progress import NullProgress, RichProgress
    from retold.show.jsonl import write_outputs
    from retold.show.terminal import print_summary
    from retold.cli.common import encoder_or_exit

    console = Console(stderr=True)
    paths = list(inputs or [])
    if sample:
        paths.append(sample_dir())
    if not paths:
        console.print("[red]error:[/red] give files or folders to scan, or --sample")
        raise typer.Exit(2)
    if fmt not in ("jsonl", "parquet"):
        console.print(f"[red]error:[/red] --format must be jsonl or parquet, got {fmt!r}")
        raise typer.Exit(2)
    for p in paths:
        if not p.exists():
            console.print(f"[red]error:[/red] {p}: no such file or folder")
            raise typer.Exit(2)
    logging.basicConfig(level=logging.ERROR)  # problems are summarised below, not logged one by one
    settings = Settings(
        semantic=semantic, implied_pairs=implied, second_opinion=second, rescue_max_texts=rescue_max_texts,
        rescue_max_sentences=rescue_max_sentences, reproducible=reproducible,
    )
    enc = encoder_or_exit(encoder, settings) if semantic else None
    from retold.engines import make_engine

    eng = make_engine(engine, ray_address, settings.threads)
    result = scan(paths, settings=settings, index=index, encoder=enc, engine=eng, progress=NullProgress() if quiet else RichProgress())
    files = write_outputs(result, out, format=fmt)  # problems too; an earlier run's files go first
    if report is not None:
        from retold.show.report import write_report

        write_report(result, report)
    if not quiet:
        print_summary(result, Console())
        console.print(f"wrote {files['pairs']}, {files['groups']}" + (f", {report}" if report else ""))
    if not result.docs:
        console.print("[red]error:[/red] no readable article in the input")
        raise typer.Exit(1)
