"""``retold bench quality``: retold and its peers on the labelled corpora (eval split by default)."""

from __future__ import annotations

from pathlib import Path

import typer

from retold.cli import bench_app


@bench_app.command("quality")
def quality(
    data: Path = typer.Option(Path("../shared/data"), help="Folder laid out like the shared data (seeds/, ecbplus/, wmt16_enfi_docs/, ...)."),
    split: str = typer.Option("eval", help="eval (reported numbers) or tune (what thresholds were fitted on)."),
    out: Path = typer.Option(Path("docs/benchmarks.md"), help="Markdown file; only the quality section is replaced."),
    json_path: Path | None = typer.Option(None, "--json", help="Also dump the raw numbers here."),
    peers: bool = typer.Option(True, "--peers/--no-peers", help="Also run MinHash-LSH, TF-IDF and embedding-cosine peers."),
    max_units: int | None = typer.Option(None, help="Cap topics/documents per data set (quick runs)."),
    encoder: str = typer.Option("", "--encoder", help="Sentence encoder for retold and the embedding peer, e.g. use@cuda (default: the numpy USE)."),
) -> None:
    """Score relations, families, stories and the sentence matcher against human labels."""
    from rich.console import Console

    from retold.bench.quality import run_quality
    from retold.cli.common import encoder_or_exit

    if split not in ("eval", "tune"):
        raise typer.BadParameter(f"--split must be eval or tune, got {split!r}")
    if not data.is_dir():
        raise typer.BadParameter(f"{data}: no such folder (expected the shared benchmark data)")
    cmd = f"retold bench quality --data {data} --split {split}"
    cmd += "" if peers else " --no-peers"
    cmd += f" --max-units {max_units}" if max_units else ""
    cmd += f" --out {out}" if out != Path("docs/benchmarks.md") else ""
    cmd += f" --json {json_path}" if json_path else ""
    cmd += f" --encoder {encoder}" if encoder else ""
    enc = encoder_or_exit(encoder) if encoder else None
    run_quality(data, split, out, peers, json_path=json_path, max_units=max_units, command=cmd, console=Console(stderr=True), encoder=enc)
    typer.echo(f"wrote {out}" + (f" and {json_path}" if json_path else ""))
