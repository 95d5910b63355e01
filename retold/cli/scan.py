"""``retold scan``: the main job. Read, find every related pair, group, write the contract."""

from __future__ import annotations

import logging
from contextlib import ExitStack, contextmanager
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
    batch_size: int = typer.Option(0, "--batch-size", min=0, help="Scan this many articles at a time through an index, so that memory holds one batch (0: at once, unless the input is over 256 MB: then 2,000)"),
    part_docs: int = typer.Option(Settings.index_part_docs, "--part-docs", min=1, help="Against an index, read and compare at most this many indexed articles at a time (about 50 KB each): a batch's memory follows this, not the index"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars, no summary"),
) -> None:
    """Find copies, rewrites, translations and retellings among articles."""
    from retold.pipeline import scan
    from retold.progress import NullProgress, RichProgress
    from retold.show.jsonl import write_outputs
    from retold.show.terminal import print_summary
    from retold.cli.common import encoder_or_exit

    console = Console(stderr=True, soft_wrap=True)
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
        rescue_max_sentences=rescue_max_sentences, reproducible=reproducible, index_part_docs=part_docs,
    )
    enc = encoder_or_exit(encoder, settings) if semantic else None
    from retold.engines import make_engine

    eng = make_engine(engine, ray_address, settings.threads)
    from retold.ingest import input_bytes
    from retold.stream import DEFAULT_BATCH, STREAM_ABOVE_BYTES

    if batch_size == 0 and input_bytes(paths) > STREAM_ABOVE_BYTES:
        batch_size = DEFAULT_BATCH
        if not quiet:
            console.print(f"the input is over {STREAM_ABOVE_BYTES >> 20} MB: scanning {batch_size:,} articles at a time "
                          "through an index (--batch-size to choose)", highlight=False)

    def finish(result, files: dict) -> bool:  # noqa: ANN001 - the report, the summary; False: nothing was read
        if report is not None:
            if batch_size:  # the streamed result reads its articles from the index: the files have them
                from retold.show.report import write_report_from_dir

                write_report_from_dir(out, report)
            else:
                from retold.show.report import write_report

                write_report(result, report)
        if not quiet:
            print_summary(result, Console())
            console.print(f"wrote {files['pairs']}, {files['groups']}" + (f", {report}" if report else ""))
        return bool(result.docs)

    if batch_size:
        read = _scan_streamed(paths, out, index, batch_size, settings, enc, eng, fmt, quiet, finish)
    else:
        result = scan(paths, settings=settings, index=index, encoder=enc, engine=eng, progress=NullProgress() if quiet else RichProgress())
        files = write_outputs(result, out, format=fmt)  # problems too; an earlier run's files go first
        read = finish(result, files)
    if not read:
        console.print("[red]error:[/red] no readable article in the input")
        raise typer.Exit(1)


def _scan_streamed(paths, out, index, batch_size, settings, enc, eng, fmt, quiet, finish) -> bool:  # noqa: ANN001
    """``--batch-size``: the batches go into ``--index`` (the pairs of its new articles are
    written, the groups of everything in it) or into a scratch index in ``--out`` (everything is
    written, and the scratch index removed). ``finish(result, files)`` runs while it is open."""
    from retold.index import Index
    from retold.progress import NullProgress, RichProgress
    from retold.show.jsonl import clear_outputs, write_outputs
    from retold.stream import scan_in_batches, scratch_index, streamed_result

    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)  # an earlier run's files never sit beside a half-done one
    with ExitStack() as stack:
        stack.enter_context(_term_as_exit())  # SIGTERM unwinds too: the scratch index goes
        path = index if index is not None else stack.enter_context(scratch_index(out))
        run = scan_in_batches(paths, path, batch_size=batch_size, settings=settings, encoder=enc, engine=eng,
                              progress=NullProgress() if quiet else RichProgress(min_items=1))
        with Index.open(path) as idx, idx.reading():
            result = streamed_result(idx, run, settings, only_new=index is not None)
            return finish(result, write_outputs(result, out, format=fmt)) and run.articles + len(result.docs) > 0


@contextmanager
def _term_as_exit():  # noqa: ANN202
    """SIGTERM raises SystemExit(143) in this block, so that cleanup runs (the default ends the
    process at once); the handler before it is put back after."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):  # noqa: ANN001, ANN202
        raise SystemExit(128 + signum)

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
