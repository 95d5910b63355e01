"""``retold index info|remove|export|add``: look into an index, take articles out of it, write it out, stream inputs into it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from retold.cli import app

index_app = typer.Typer(no_args_is_help=True, help="Look into an index file, remove articles from it, export it.")
app.add_typer(index_app, name="index")

_err = Console(stderr=True, soft_wrap=True)


def _existing_index(path: Path):  # noqa: ANN202 - Index is imported lazily
    """The index at ``path`` opened with its own settings; exit 2 when there is none (never create one)."""
    from retold.index import Index, IndexFileError

    if not path.is_file():
        _err.print(f"[red]error:[/red] {path}: no such index file", highlight=False)
        raise typer.Exit(2)
    try:
        return Index.open(path)
    except IndexFileError as e:
        _err.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    x = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        x /= 1024
        if x < 1024 or unit == "TB":
            break
    return f"{x:.1f} {unit}"


def _when(t) -> str:  # noqa: ANN001
    return t.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if t is not None else "-"


@index_app.command("info")
def info_cmd(
    index: Path = typer.Argument(..., help="The index file"),
    as_json: bool = typer.Option(False, "--json", help="Print the numbers as one JSON object"),
    last: int = typer.Option(5, "--last", help="How many of the latest adds and removals to list"),
) -> None:
    """What an index holds: counts, encoder, signature settings, size, history."""
    from retold.index import IndexFileError
    from retold.index.info import run_record

    with _existing_index(index) as idx:
        try:
            info = idx.info(last_runs=last)
        except IndexFileError as e:
            _err.print(f"[red]error:[/red] {e}", highlight=False)
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(info.to_dict(), ensure_ascii=False))
        return
    t = Table(title=str(info.path), show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    t.add_row("articles", str(info.articles))
    t.add_row("pairs", str(info.pairs))
    for rel, n in sorted(info.pairs_by_relation.items(), key=lambda kv: (-kv[1], kv[0])):
        t.add_row(f"  {rel}", str(n))
    t.add_row("second-model vectors", f"{info.second_vectors} articles")
    t.add_row("encoder", info.encoder or "- (none recorded: copies-only scans)")
    t.add_row("signatures", ", ".join(f"{k}={v}" for k, v in info.signature.items()))
    t.add_row("format version", str(info.format_version))
    t.add_row(
        "size",
        f"{_size(info.total_bytes)} ({_size(info.file_bytes)} file + {_size(info.wal_bytes)} WAL"
        f" + {_size(info.graph_bytes)} in {info.graph_files} vector graph(s))",
    )
    t.add_row("created", _when(info.created) if info.created else "- (not recorded)")
    t.add_row("last written", _when(info.last_written))
    t.add_row("adds / removals", f"{info.adds} / {info.removals}")
    Console().print(t)
    if info.last_runs:
        runs = Table(title="latest runs", title_justify="left")
        for col in ("time", "action", "articles", "pairs", "retold"):
            runs.add_column(col, justify="right" if col in ("articles", "pairs") else "left")
        for r in info.last_runs:
            rec = run_record(r)
            runs.add_row(_when(r.time), rec["action"], str(rec["articles"]), str(rec["pairs"]), rec["version"])
        Console().print(runs)


def _ids_from(file: Path) -> list[str]:
    """One id a line (``-``: standard input); blank lines skipped."""
    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@index_app.command("remove")
def remove_cmd(
    index: Path = typer.Argument(..., help="The index file"),
    ids: Optional[list[str]] = typer.Argument(None, help="Ids of the articles to remove"),
    from_file: Optional[Path] = typer.Option(None, "--from-file", help="Also the ids in this file, one a line ('-': standard input)"),
    wait: float = typer.Option(0.0, "--wait", help="Longest wait in seconds for a scan writing to the index (0: as long as it takes)"),
    vacuum: bool = typer.Option(False, "--vacuum", help="Also rewrite the whole file (slow): for indexes written by a retold that left deleted rows in free pages"),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as one JSON object"),
) -> None:
    """Remove articles (a takedown): their texts, every pair naming them, their place in the groups."""
    from retold.index import IndexFileError

    wanted = list(ids or [])
    if from_file is not None:
        if str(from_file) != "-" and not from_file.is_file():
            _err.print(f"[red]error:[/red] {from_file}: no such file", highlight=False)
            raise typer.Exit(2)
        wanted += _ids_from(from_file)
    if not wanted:
        _err.print("[red]error:[/red] give the ids to remove, or --from-file")
        raise typer.Exit(2)
    with _existing_index(index) as idx:
        try:
            rep = idx.remove(
                wanted, timeout=wait or None, vacuum=vacuum,
                on_wait=lambda: _err.print(f"{index.name}: waiting for another writer", highlight=False),
            )
        except IndexFileError as e:  # busy past --wait, or a failed write: nothing was removed
            _err.print(f"[red]error:[/red] {e}", highlight=False)
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(rep.to_dict(), ensure_ascii=False))
        return
    out = Console()
    out.print(f"removed {len(rep.removed)} article(s) and {rep.pairs_removed} pair(s) from {index}", highlight=False)
    if rep.partners:
        out.print(f"{len(rep.partners)} article(s) lost a pair; their groups change: {', '.join(rep.partners[:10])}"
                  + (" ..." if len(rep.partners) > 10 else ""), highlight=False)
    if rep.unknown:
        _err.print(f"[yellow]not in the index[/yellow] ({len(rep.unknown)}): {', '.join(rep.unknown[:10])}"
                   + (" ..." if len(rep.unknown) > 10 else ""), highlight=False)
    if rep.removed and not rep.scrubbed:
        _err.print("[yellow]note:[/yellow] a reader kept the WAL from being emptied; the removed texts leave it "
                   "when the last process using the index closes it", highlight=False)


@index_app.command("export")
def export_cmd(
    index: Path = typer.Argument(..., help="The index file"),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for pairs, groups and articles, as retold scan writes them"),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (default) or parquet: the same fields (docs/ARCHITECTURE.md)"),
    implied: bool = typer.Option(True, "--implied/--no-implied", help="Also write pairs the stories imply but that were never compared"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary"),
) -> None:
    """Write the whole index as a scan of all its articles reports it (pairs, groups, articles)."""
    from dataclasses import replace

    from retold.index import IndexFileError
    from retold.index.export import index_result
    from retold.show.jsonl import write_outputs

    if fmt not in ("jsonl", "parquet"):
        _err.print(f"[red]error:[/red] --format must be jsonl or parquet, got {fmt!r}")
        raise typer.Exit(2)
    with _existing_index(index) as idx:
        settings = replace(idx.settings, semantic=idx.encoder_name is not None, implied_pairs=implied)
        try:
            with idx.reading():  # the articles are read while written, from the groups' snapshot
                result = index_result(idx, settings)
                files = write_outputs(result, out, format=fmt)
        except IndexFileError as e:
            _err.print(f"[red]error:[/red] {e}", highlight=False)
            raise typer.Exit(1) from None
    if not quiet:
        _err.print(
            f"{len(result.docs)} articles, {len(result.pairs)} pairs, {len(result.groups)} groups: "
            f"wrote {files['pairs']}, {files['groups']}, {files['articles']}", highlight=False,
        )


@index_app.command("add")
def add_cmd(
    index: Path = typer.Argument(..., help="The index file (made if missing)"),
    inputs: list[Path] = typer.Argument(..., help="Files or folders of articles (JSONL, CSV, Parquet shards, texts...)"),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Articles read, scanned and committed at a time"),
    semantic: bool = typer.Option(True, "--semantic/--copies-only", help="--copies-only: skip embeddings (copies only)"),
    problems: Optional[Path] = typer.Option(None, "--problems", help="Also write every skipped record here (JSONL)"),
) -> None:
    """Scan inputs of any size into an index a batch at a time: what is held is one batch (and
    the ids seen), each batch is one transaction, progress is in bytes of the input. The input's
    boilerplate is learned first, from all of it (``retold.stream``)."""
    from retold.config import Settings
    from retold.progress import RichProgress
    from retold.show.jsonl import problem_records
    from retold.stream import scan_in_batches

    for p in inputs:
        if not p.exists():
            _err.print(f"[red]error:[/red] {p}: no such file or folder", highlight=False)
            raise typer.Exit(2)
    run = scan_in_batches(inputs, index, batch_size=batch_size, settings=Settings(semantic=semantic),
                          progress=RichProgress(min_items=1))
    n_art, n_pairs, n_prob = run.articles, run.pairs, len(run.problems)
    if problems is not None:
        with problems.open("w", encoding="utf-8") as sink:
            for rec in problem_records(run.problems):
                sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
    _err.print(f"added {n_art} article(s) and {n_pairs} pair(s) to {index}; {n_prob} record(s) skipped", highlight=False)
