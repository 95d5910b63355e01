"""Write a corpus back in its own format, keeping only some of its articles.

``retold dedup`` gives back the dataset it was given, less the articles that reuse another:
the same files under the same relative names, each kept record exactly as it was.

- JSONL: the kept lines, byte for byte (line endings, key order, unknown fields, a BOM on
  line 1 included);
- CSV/TSV: the header and the kept rows as they stand in the file (quoting and embedded
  newlines included), byte for byte;
- Parquet: the kept rows of every column with the file's schema (metadata included) and
  compression; values are unchanged, the file's bytes are Parquet's own;
- one-article files (``.txt``, ``.md``, ``.html``, ``.json``): copied when kept.

An input record is matched to its article by the place the readers name
(``Article.where``: ``path:line`` for JSONL and CSV, ``path:row`` for Parquet, the path
for a one-article file), so the rows are found as the readers number them. Records that
could not be read (``problems.jsonl``) are not written, nor are files retold does not
read (other extensions, hidden files). Each output file appears whole or not at all.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retold.ingest import MAX_LINE_BYTES
from retold.ingest.formats import HTML_SUFFIXES, TEXT_SUFFIXES, reader_for, walk

LINE_SUFFIXES = frozenset({".jsonl", ".ndjson"})
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
PARQUET_SUFFIXES = frozenset({".parquet"})
FILE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json"}
PARQUET_BATCH_ROWS = 4096


class CorpusError(ValueError):
    """The corpus cannot be written as asked (two inputs to one output name, an output over an input)."""


@dataclass(frozen=True)
class CorpusFile:
    """One input file and the output file its kept records go to (``name``: relative to the output folder)."""

    src: Path
    name: Path


def plan_corpus(inputs: Sequence[str | Path], out_dir: str | Path, reserved: Iterable[str] = ()) -> list[CorpusFile]:
    """Which output file each input file becomes, checked before any work is done.

    A file given by itself keeps its name; the files of a folder keep their names relative
    to that folder (``news/2024/a.jsonl`` from ``news/`` becomes ``OUT/2024/a.jsonl``).

    Parameters
    ----------
    inputs:
        The paths given to the run (files or folders), in the order ingest reads them.
    out_dir:
        The output folder.
    reserved:
        Names in the output folder that the run writes itself (``removed.jsonl``...).

    Returns
    -------
    The files to write, in input order.

    Raises
    ------
    CorpusError
        When two inputs would go to one output file, an output file would replace an input,
        or the output folder lies inside an input folder (a later run would read it back).
    """
    out = Path(out_dir)
    out_real = Path(os.path.realpath(out))
    files: list[CorpusFile] = []
    for p in map(Path, inputs):
        if p.is_dir():
            real = Path(os.path.realpath(p))
            if out_real == real or real in out_real.parents:
                raise CorpusError(f"--out {out} lies inside the input folder {p}: a later run would read the output back")
            files += [CorpusFile(f, f.relative_to(p)) for f in walk(p) if reader_for(f) is not None]
        elif p.exists() and reader_for(p) is not None:
            files.append(CorpusFile(p, Path(p.name)))
    taken: dict[str, Path] = {r: Path("(the run's own output)") for r in reserved}
    srcs = {os.path.realpath(f.src) for f in files}
    for f in files:
        key = f.name.as_posix()
        if key in taken:
            raise CorpusError(f"{f.src} and {taken[key]} would both be written to {out / f.name}")
        taken[key] = f.src
        if os.path.realpath(out / f.name) in srcs:
            raise CorpusError(f"writing {out / f.name} would replace the input {f.src}: choose another --out")
    return files


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _publish(tmp: Path, dst: Path) -> None:
    os.replace(tmp, dst)


def write_lines(src: Path, dst: Path, kept: set[str]) -> int:
    """The kept lines of a JSONL file, byte for byte; lines numbered as the reader numbers them.

    Parameters
    ----------
    src, dst:
        Input and output file.
    kept:
        ``where`` of the kept articles (``"<src>:<line>"``).

    Returns
    -------
    The number of lines written.
    """
    prefix = f"{src}:"
    n = written = 0
    tmp = _tmp(dst)
    with open(src, "rb") as f, open(tmp, "wb") as g:
        while True:
            line = f.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            n += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while True:  # a line over the limit was skipped unread, and is not written
                    rest = f.readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
                continue
            if f"{prefix}{n}" in kept:
                g.write(line)
                written += 1
    _publish(tmp, dst)
    return written


def _csv_text_codec(src: Path) -> tuple[str, bytes]:
    """A codec that reads the file's rows as the CSV reader does, and gives its bytes back.

    UTF-16 (by its BOM) is read as UTF-16 of that byte order, the BOM kept aside. Every other
    file the reader takes (UTF-8 with or without BOM, cp1252) is ASCII-compatible, so Latin-1
    reads it with the same rows (quotes, separators and line ends are ASCII) and writes back
    the very same bytes.
    """
    with open(src, "rb") as f:
        head = f.read(2)
    if head == b"\xff\xfe":
        return "utf-16-le", head
    if head == b"\xfe\xff":
        return "utf-16-be", head
    return "latin-1", b""


def write_csv(src: Path, dst: Path, kept: set[str]) -> int:
    """The header and the kept rows of a CSV/TSV file, as they stand in the file.

    Rows are found with the same ``csv`` reader and line count as ``read_csv_file``, the
    text of each row taken from the lines the reader consumed for it.

    Parameters
    ----------
    src, dst:
        Input and output file.
    kept:
        ``where`` of the kept articles (``"<src>:<line the row starts on>"``).

    Returns
    -------
    The number of rows written (the header not counted).
    """
    codec, bom = _csv_text_codec(src)
    prefix = f"{src}:"
    tmp = _tmp(dst)
    written = 0
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with open(src, encoding=codec, newline="") as f, open(tmp, "wb") as g:
            if bom:
                f.read(1)  # the BOM, as one character
                g.write(bom)
            consumed: list[str] = []

            def lines():
                for line in f:
                    consumed.append(line)
                    yield line

            def take() -> bytes:
                raw = "".join(consumed).encode(codec)
                consumed.clear()
                return raw

            reader = csv.reader(lines(), delimiter="\t" if src.suffix.lower() == ".tsv" else ",")
            try:
                next(reader)
            except (StopIteration, csv.Error):
                pass
            g.write(take())
            while True:
                start = reader.line_num + 1
                try:
                    next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    take()
                    continue
                raw = take()
                if f"{prefix}{start}" in kept:
                    g.write(raw)
                    written += 1
    finally:
        csv.field_size_limit(old_limit)
    _publish(tmp, dst)
    return written


def _compression(pf) -> str:
    try:
        c = pf.metadata.row_group(0).column(0).compression
    except (IndexError, ValueError, AttributeError):
        return "snappy"
    c = str(c).lower()
    return "none" if c == "uncompressed" else c


def write_parquet(src: Path, dst: Path, kept: set[str]) -> int:
    """The kept rows of a Parquet file, every column, with its schema and compression.

    Parameters
    ----------
    src, dst:
        Input and output file.
    kept:
        ``where`` of the kept articles (``"<src>:<row>"``, rows from 0).

    Returns
    -------
    The number of rows written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    prefix = f"{src}:"
    pf = pq.ParquetFile(src)
    tmp = _tmp(dst)
    row = written = 0
    try:
        comp = _compression(pf)
        try:
            w = pq.ParquetWriter(tmp, pf.schema_arrow, compression=comp)
        except (ValueError, pa.ArrowException):  # a codec this pyarrow does not write
            w = pq.ParquetWriter(tmp, pf.schema_arrow)
        with w:
            for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                mask = [f"{prefix}{row + k}" in kept for k in range(batch.num_rows)]
                row += batch.num_rows
                if any(mask):
                    w.write_batch(batch.filter(pa.array(mask, type=pa.bool_())))
                    written += sum(mask)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    _publish(tmp, dst)
    return written


def write_file(src: Path, dst: Path, kept: set[str]) -> int:
    """A one-article file (``.txt``, ``.html``, ``.json``...) copied unchanged when its article is kept.

    Parameters
    ----------
    src, dst:
        Input and output file.
    kept:
        ``where`` of the kept articles (a one-article file's is its path).

    Returns
    -------
    1 when written, else 0.
    """
    if str(src) not in kept:
        return 0
    tmp = _tmp(dst)
    shutil.copyfile(src, tmp)
    _publish(tmp, dst)
    return 1


def writer_for(path: Path):
    """The writer of a corpus file, chosen by its extension as ingest chooses its reader.

    Parameters
    ----------
    path:
        An input file.

    Returns
    -------
    ``write_lines``, ``write_csv``, ``write_parquet`` or ``write_file``; None for a format
    retold does not read.
    """
    s = path.suffix.lower()
    if s in LINE_SUFFIXES:
        return write_lines
    if s in CSV_SUFFIXES:
        return write_csv
    if s in PARQUET_SUFFIXES:
        return write_parquet
    if s in FILE_SUFFIXES:
        return write_file
    return None


def write_corpus(files: Sequence[CorpusFile], kept: set[str], out_dir: str | Path) -> dict[Path, int]:
    """Write the kept records of every planned file (:func:`plan_corpus`).

    Parameters
    ----------
    files:
        The plan.
    kept:
        ``Article.where`` of every article to keep.
    out_dir:
        The output folder.

    Returns
    -------
    ``{output path: records written}``; a one-article file that is not kept is not written
    (and not listed), a record file is written even when none of its records is kept.
    """
    out = Path(out_dir)
    done: dict[Path, int] = {}
    for f in files:
        w = writer_for(f.src)
        if w is None:
            continue
        dst = out / f.name
        if w is write_file and str(f.src) not in kept:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        done[dst] = w(f.src, dst, kept)
    return done


__all__ = ["CorpusError", "CorpusFile", "plan_corpus", "write_corpus", "write_lines", "write_csv", "write_parquet", "write_file"]
