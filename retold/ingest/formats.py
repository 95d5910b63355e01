"""Readers, one per input format. Each yields Articles and Problems in input order.

A reader never raises for bad input: whatever is wrong with one record becomes a
:class:`~retold.model.Problem` naming the file and line, and reading goes on with the
next record. Line numbers are 1-based file lines (for CSV, the line the row starts
on); for Parquet ``line`` is the 0-based row index.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

from retold.ingest.decode import DecodeError, decode_bytes
from retold.ingest.records import MAX_TEXT_CHARS, RecordError, make_article
from retold.model import Article, Problem

#: Longest JSONL line or CSV field read, in bytes; longer ones are skipped unread.
MAX_LINE_BYTES = 50 * 1024 * 1024
PARQUET_BATCH_ROWS = 1024

Item = Article | Problem

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet"}


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def item_from_record(record: object, path: Path, line: int | None, default_id: str | None) -> Item:
    if not isinstance(record, dict):
        return Problem(str(path), line, "broken_json", f"expected a JSON object, found {type(record).__name__}")
    try:
        return make_article(record, _where(path, line), default_id)
    except RecordError as e:
        return Problem(str(path), line, e.reason, e.detail)


def _read_bytes(path: Path, limit: int) -> bytes | Problem:
    try:
        size = path.stat().st_size
        if size > limit:
            return Problem(str(path), None, "text_too_long", f"file has {size:,} bytes (limit {limit:,})")
        return path.read_bytes()
    except OSError as e:
        return Problem(str(path), None, "unreadable_file", f"cannot read: {e.strerror or e}")


def _decoded(path: Path) -> str | Problem:
    data = _read_bytes(path, 4 * MAX_TEXT_CHARS)
    if isinstance(data, Problem):
        return data
    try:
        return decode_bytes(data)
    except DecodeError as e:
        return Problem(str(path), None, e.reason, f"file {e.detail}")


def _one_article_file(path: Path, field: str) -> Iterator[Item]:
    """A file that is one article, its content under ``field``; id = file name without extension."""
    text = _decoded(path)
    if isinstance(text, Problem):
        yield text
        return
    yield item_from_record({field: text}, path, None, path.stem)


def read_text_file(path: Path) -> Iterator[Item]:
    """A ``.txt``/``.md`` file is one article."""
    return _one_article_file(path, "text")


def read_html_file(path: Path) -> Iterator[Item]:
    """An HTML file is one page; trafilatura finds its article text and metadata."""
    return _one_article_file(path, "html")


def read_json_file(path: Path) -> Iterator[Item]:
    """A ``.json`` file holds one article object; its id is the file name without extension."""
    text = _decoded(path)
    if isinstance(text, Problem):
        yield text
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        yield Problem(str(path), e.lineno, "broken_json", f"not valid JSON: {e.msg} (column {e.colno})")
        return
    if not isinstance(obj, dict) or not ({"text", "html"} & obj.keys()):
        kind = "an object" if isinstance(obj, dict) else f"a {type(obj).__name__}"
        yield Problem(str(path), None, "missing_text", f"is {kind} without 'text' or 'html': not an article")
        return
    yield item_from_record({**obj, "id": path.stem}, path, None, path.stem)


def _lines(f, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; bytes ``None`` for a line over ``limit``, skipped unread."""
    n = 0
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        n += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # drain the rest of the long line in bounded chunks
                rest = f.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield n, None
        else:
            yield n, line


def read_jsonl_file(path: Path) -> Iterator[Item]:
    """One JSON object per line. A record without ``id`` gets ``<file stem>-<line>``."""
    try:
        f = path.open("rb")
    except OSError as e:
        yield Problem(str(path), None, "unreadable_file", f"cannot read: {e.strerror or e}")
        return
    with f:
        try:
            for n, raw in _lines(f, MAX_LINE_BYTES):
                if raw is None:
                    yield Problem(str(path), n, "line_too_long", f"line longer than {MAX_LINE_BYTES:,} bytes; skipped")
                    continue
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    s = raw.decode("utf-8")
                except UnicodeDecodeError:
                    try:
                        s = decode_bytes(raw)
                    except DecodeError as e:
                        yield Problem(str(path), n, e.reason, f"line {e.detail}")
                        continue
                try:
                    obj = json.loads(s)
                except json.JSONDecodeError as e:
                    yield Problem(str(path), n, "broken_json", f"not valid JSON: {e.msg} (column {e.colno})")
                    continue
                yield item_from_record(obj, path, n, f"{path.stem}-{n}")
        except OSError as e:
            yield Problem(str(path), None, "unreadable_file", f"read failed: {e.strerror or e}")


def _csv_encoding(path: Path) -> str:
    """Decide a whole CSV file's codec from its head: BOM, then UTF-8, else cp1252."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        return "utf-8" if e.start >= len(head) - 3 else "cp1252"


def read_csv_file(path: Path) -> Iterator[Item]:
    """A header row naming the fields, then one article per row (``.tsv``: tab-separated)."""
    try:
        codec = _csv_encoding(path)
        f = path.open("r", encoding=codec, errors="replace", newline="")
    except OSError as e:
        yield Problem(str(path), None, "unreadable_file", f"cannot read: {e.strerror or e}")
        return
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with f:
            reader = csv.reader(f, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            try:
                header = next(reader)
            except StopIteration:
                yield Problem(str(path), None, "missing_text", "empty CSV file")
                return
            except csv.Error as e:
                yield Problem(str(path), 1, "broken_csv", f"cannot read the header row: {e}")
                return
            cols = [h.strip().lstrip("\ufeff").lower() for h in header]
            if not {"text", "html"} & set(cols):
                yield Problem(str(path), 1, "missing_text", f"header has no 'text' or 'html' column: {header}")
                return
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    reason = "line_too_long" if "field larger" in str(e) else "broken_csv"
                    yield Problem(str(path), start, reason, f"row cannot be read: {e}")
                    continue
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(cols):
                    yield Problem(str(path), start, "broken_csv", f"row has {len(row)} fields, the header {len(cols)}")
                    continue
                yield item_from_record(dict(zip(cols, row)), path, start, f"{path.stem}-{start}")
    except (OSError, UnicodeError) as e:
        yield Problem(str(path), None, "unreadable_file", f"read failed: {e}")
    finally:
        csv.field_size_limit(old_limit)


def read_parquet_file(path: Path) -> Iterator[Item]:
    """Rows of a Parquet file, read in batches so a large file never sits in memory whole."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
    except Exception as e:  # noqa: BLE001  pyarrow raises several types for a file that is not Parquet
        yield Problem(str(path), None, "unreadable_file", f"not a readable Parquet file: {e}")
        return
    if not {"text", "html"} & names:
        yield Problem(str(path), None, "missing_text", f"has no 'text' or 'html' column: {sorted(names)}")
        return
    wanted = [c for c in ("id", "text", "html", "title", "url", "source", "published", "lang") if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            for rec in batch.to_pylist():
                yield item_from_record(rec, path, row, f"{path.stem}-{row}")
                row += 1
    except Exception as e:  # noqa: BLE001  a corrupt page: report it, keep the rows read so far
        yield Problem(str(path), row, "unreadable_file", f"Parquet read failed at row {row}: {e}")


def reader_for(path: Path):
    """The reader of a file by its extension, or ``None`` when the format is not supported."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_text_file
    if suffix in HTML_SUFFIXES:
        return read_html_file
    return {
        ".json": read_json_file,
        ".jsonl": read_jsonl_file,
        ".ndjson": read_jsonl_file,
        ".csv": read_csv_file,
        ".tsv": read_csv_file,
        ".parquet": read_parquet_file,
    }.get(suffix)


def walk(folder: Path) -> Iterator[Path]:
    """Files under ``folder`` in a stable order, hidden files and folders left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name
