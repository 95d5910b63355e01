"""``retold bench index``: the cost of adding k new articles to indexes of growing size."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer

from retold.cli import bench_app
from retold.cli.bench_speed import _sizes


@bench_app.command("index")
def index(
    sizes: str = typer.Option("1000,3000,10000", help="Indexed articles N, comma-separated."),
    k: int = typer.Option(100, "--k", min=1, help="New articles added to each index."),
    data: Path = typer.Option(Path("../shared/data"), help="Folder with the speed bench's corpora (ecbplus/, wmt16_enfi_docs/, ...)."),
    cache: Path = typer.Option(
        Path.home() / ".cache" / "retold" / "bench-index", help="Where the built indexes are kept between runs."
    ),
    code: Path = typer.Option(None, "--code", help="Time the add with the retold at this folder instead (a before/after run)."),
    out: Path = typer.Option(None, "--out", help="Also write the figures here as JSON."),
    side: bool = typer.Option(True, "--index-side/--no-index-side", help="Also time the part that reads the index, both ways, in this process."),
    design: str = typer.Option(
        "corpus", help="corpus: the new articles are the corpus's last copies (their relatives in the index grow with N); "
        "planted: copies of texts planted in every index, the same relatives at every N (the index's own cost)."),
) -> None:
    """Time and peak memory (RSS) of adding k articles to indexes of N articles, for each N.

    The indexes are built once (cleaned, signed and embedded by the pipeline) and cached;
    each add runs in a child process on a copy of one, so its peak memory is its own."""
    from retold.bench.index_add import bench_index, render

    if design not in ("corpus", "planted"):
        raise typer.BadParameter(f"--design must be corpus or planted, got {design!r}")
    if not data.is_dir():
        raise typer.BadParameter(f"{data}: no such folder (expected the shared benchmark data)")
    command = "retold bench index " + shlex.join(sys.argv[3:]) if len(sys.argv) > 3 else f"retold bench index --sizes {sizes}"
    def keep(res: dict) -> None:  # after each size: a long run that is stopped keeps what it measured
        if out is not None:
            out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")

    res = bench_index(_sizes(sizes), k, data, cache, code, log=lambda m: typer.echo(m, err=True), side=side and code is None,
                      design=design, on_row=keep)
    keep(res)
    typer.echo(render(res, command.strip()))
