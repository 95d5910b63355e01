"""``retold report DIR``: turn a scan's output folder into one HTML file to read offline."""

from __future__ import annotations

from pathlib import Path

import typer

from retold.cli import app


@app.command("report")
def report(
    out_dir: Path = typer.Argument(..., metavar="DIR", help="Output folder of `retold scan --out DIR`."),
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file to write [default: DIR/report.html]."),
    title: str | None = typer.Option(None, "--title", help="Title shown in the page [default: from DIR]."),
) -> None:
    """Write a self-contained HTML report: stories, families, and each pair's passages side by side."""
    from retold.show.report import write_report_from_dir

    try:
        path = write_report_from_dir(out_dir, out, title=title)
    except (FileNotFoundError, ValueError) as e:
        typer.echo(f"retold report: {e}", err=True)
        raise typer.Exit(2) from None
    size = path.stat().st_size
    typer.echo(f"wrote {path} ({size / 1e6:.1f} MB); open it in a browser, no server needed")
