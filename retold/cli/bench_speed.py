"""``retold bench speed``: the copy engine's throughput, memory and recall vs datasketch."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from retold.cli import bench_app


def _sizes(text: str, name: str = "--sizes") -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"{name} must be comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) < 10:
        raise typer.BadParameter(f"{name} needs at least one size of 10 articles or more")
    return sizes


@bench_app.command("speed")
def speed(
    sizes: str = typer.Option("1000,10000,100000", help="Corpus sizes (articles), comma-separated."),
    data: Path = typer.Option(Path("../shared/data"), help="Folder with ecbplus/, wmt16_enfi_docs/, wmt22_general_docs/."),
    out: Path = typer.Option(Path("docs/benchmarks.md"), help="Markdown file; only the speed section is replaced."),
    png: Path = typer.Option(Path("docs/bench-speed.png"), help="Plot of articles/s and time vs N."),
    full_sizes: str = typer.Option(
        "1000", "--full-sizes", help="Sizes at which the WHOLE pipeline (scan, semantic layer on) is timed on real texts; '' for none."
    ),
    encoder: str = typer.Option("", "--encoder", help="The whole pipeline's encoder, e.g. use@cuda (default: the numpy USE)."),
    section: str = typer.Option("", "--section", help="Write a section of this name (e.g. gpu) instead of the main speed section."),
) -> None:
    """Time retold's copy engine and datasketch MinHash LSH on the same corpora.

    ``--sizes ''`` times only the whole pipeline (``--full-sizes``)."""
    from retold.bench.speed import bench_speed
    from retold.cli.common import encoder_or_exit

    if not data.is_dir():
        raise typer.BadParameter(f"{data}: no such folder (expected the shared benchmark data)")
    if section and not section.replace("-", "").isalnum():
        raise typer.BadParameter(f"--section must be letters, digits and '-', got {section!r}")
    command = "retold bench speed " + shlex.join(sys.argv[3:]) if len(sys.argv) > 3 else f"retold bench speed --sizes {sizes}"
    full = _sizes(full_sizes, "--full-sizes") if full_sizes.strip() else []
    copy_sizes = _sizes(sizes) if sizes.strip() or not full else []
    enc = encoder_or_exit(encoder) if encoder else None
    bench_speed(copy_sizes, data, out, png, command=command.strip(), log=lambda m: typer.echo(m, err=True), full_sizes=full, encoder=enc, section=section)
    typer.echo(f"wrote {out}" + (f" and {png}" if copy_sizes else ""))
