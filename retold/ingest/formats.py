"""Readers, one per input format. Each yields Articles and Problems in input order.

A reader never raises for bad input: whatever is wrong with one record becomes a
:class:`~retold.model.Problem` naming the file and line, and reading goes on with the
next record; a bad optional field becomes a Problem too, after its (kept) article.
Line numbers are 1-based file lines (for CSV, the line the row starts on); for
Parquet ``line`` is the 0-based row index.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from retold.ingest.decode import DecodeError, Unreadable, decode_bytes, sniff_codec
from retold.ingest.jsontext import JsonError, loads
from retold.ingest.records import MAX_TEXT_CHARS, FieldError, RecordError, make_article
from retold.model import Article, Problem

log = logging.getLogger("retold.ingest")

#: Longest JSONL line or CSV field read, in bytes; longer ones are skipped unread.
MAX_LINE_BYTES = 50 * 1024 * 1024
PARQUET_BATCH_ROWS = 1024
#: What a blank JSONL line may hold (the ASCII whitespace ``bytes.strip`` removes).
_BLANK = " \t\n\r\x0b\x0c"

Item = Article | Problem

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet"}


def show_path(path: Path | str) -> str:
    """``path`` as text that can be written as UTF-8: bytes of a file name that are not
    UTF-8 (which Python keeps as lone surrogates) are shown as ``\\xNN``."""
    s = str(path)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(s).decode("utf-8", "backslashreplace")
    return s


def _where(path: Path, line: int | None) -> str:
    return f"{show_path(path)}:{line}" if line is not None else show_path(path)


def items_from_record(record: object, path: Path, line: int | None, default_id: str | None) -> list[Item]:
    """The Article of one record followed by a Problem per bad optional field, or one Problem.

    Never raises: an unexpected failure on one record is reported as ``unreadable_record``.
    """
    where = show_path(path)
    if not isinstance(record, dict):
        return [Problem(where, line, "broken_json", f"expected a JSON object, found {type(record).__name__}")]
    errors: list[FieldError] = []
    try:
        article = make_article(record, _where(path, line), default_id, errors)
    except RecordError as e:
        return [Problem(where, line, e.reason, e.detail)]
    except Exception as e:  # noqa: BLE001  a bug must cost one record, not the run; it is logged in full
        log.exception("%s: record could not be read", _where(path, line))
        return [Problem(where, line, "unreadable_record", f"record could not be read ({type(e).__name__}); skipped")]
    return [article, *(Problem(where, line, e.reason, e.detail) for e in errors)]


def item_from_record(record: object, path: Path, line: int | None, default_id: str | None) -> Item:
    """The Article of one record (its bad optional fields only logged), or its Problem."""
    items = items_from_record(record, path, line, default_id)
    for p in items[1:]:
        log.warning("%s", p)
    return items[0]


def special_file(path: Path) -> Problem | None:
    """A Problem when ``path`` is not a regular file (a FIFO would hang the reader); never opens it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.lexists(path):  # a link to nothing
            return Problem(show_path(path), None, "unreadable_file", "cannot read: the link points to no file")
        return Problem(show_path(path), None, "not_found", "no such file or folder")
    except (OSError, ValueError) as e:
        return Problem(show_path(path), None, "unreadable_file", f"cannot read: {getattr(e, 'strerror', None) or e}")
    if stat.S_ISREG(mode):
        return None
    kind = (
        "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "a character device" if stat.S_ISCHR(mode)
        else "a block device" if stat.S_ISBLK(mode)
        else "a folder" if stat.S_ISDIR(mode)
        else "not a regular file"
    )
    return Problem(show_path(path), None, "special_file", f"is {kind}, not a regular file; skipped unread")


def _read_bytes(path: Path, limit: int) -> bytes | Problem:
    try:
        size = path.stat().st_size
        if size > limit:
            return Problem(show_path(path), None, "text_too_long", f"file has {size:,} bytes (limit {limit:,})")
        return path.read_bytes()
    except OSError as e:
        return Problem(show_path(path), None, "unreadable_file", f"cannot read: {e.strerror or e}")


def _decoded(path: Path) -> str | Problem:
    data = _read_bytes(path, 4 * MAX_TEXT_CHARS)
    if isinstance(data, Problem):
        return data
    try:
        return decode_bytes(data)
    except DecodeError as e:
        return Problem(show_path(path), None, e.reason, f"file {e.detail}")


def _stem(path: Path) -> str:
    return show_path(path.stem)


def _one_article_file(path: Path, field: str) -> Iterator[Item]:
    """A file that is one article, its content under ``field``; id = file name without extension."""
    text = _decoded(path)
    if isinstance(text, Problem):
        yield text
        return
    yield from items_from_record({field: text}, path, None, _stem(path))


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
        obj = loads(text)
    except JsonError as e:
        yield Problem(show_path(path), e.lineno, e.reason, e.detail)
        return
    if not isinstance(obj, dict) or not ({"text", "html"} & obj.keys()):
        kind = "an object" if isinstance(obj, dict) else f"a {type(obj).__name__}"
        yield Problem(show_path(path), None, "missing_text", f"is {kind} without 'text' or 'html': not an article")
        return
    yield from items_from_record({**obj, "id": _stem(path)}, path, None, _stem(path))


def _lines(f, limit: int) -> Iterator[tuple[int, bytes | str | None]]:
    """(line number, line) per line of a binary or text stream; ``None`` for a line over
    ``limit`` (bytes, or characters for a text stream), skipped unread."""
    n = 0
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        n += 1
        nl = "\n" if isinstance(line, str) else b"\n"
        if len(line) > limit and not line.endswith(nl):
            while True:  # drain the rest of the long line in bounded chunks
                rest = f.readline(1 << 20)
                if not rest or rest.endswith(nl):
                    break
            yield n, None
        else:
            yield n, line


def read_jsonl_file(path: Path, offset: Offset | None = None) -> Iterator[Item]:
    """One JSON object per line. A record without ``id`` gets ``<file stem>-<line>``.

    UTF-8 (with or without a mark), UTF-16 and UTF-32 (with a mark, or UTF-16 recognised
    by its NUL bytes) are read; a UTF-8 line that is not UTF-8 is repaired as one text.
    """
    where = show_path(path)
    try:
        f = path.open("rb")
    except OSError as e:
        yield Problem(where, None, "unreadable_file", f"cannot read: {e.strerror or e}")
        return
    with f:
        try:
            sniffed = sniff_codec(f.read(4096), lambda head: head.lstrip()[:1] in ("{", "["))
            f.seek(0)
        except OSError as e:
            yield Problem(where, None, "unreadable_file", f"cannot read: {e.strerror or e}")
            return
        stream = f
        limit = MAX_LINE_BYTES
        if sniffed is not None and sniffed[0] != "utf-8":  # UTF-16/32: lines end in "\n" as text, not as one byte
            codec, bom = sniffed
            f.seek(bom)
            stream = io.TextIOWrapper(f, encoding=codec, errors="replace", newline="\n")
            limit = MAX_LINE_BYTES // (4 if "32" in codec else 2)
        lines = _lines(stream, limit)
        n = 0
        while True:
            try:
                got = next(lines, None)
            except (OSError, UnicodeError) as e:
                yield Problem(where, n + 1, "unreadable_file", f"read failed: {getattr(e, 'strerror', None) or e}; the rest of the file is skipped")
                return
            if got is None:
                return
            n, raw = got
            if offset is not None:
                offset.at = f.tell()
            if raw is None:
                yield Problem(where, n, "line_too_long", f"line longer than {MAX_LINE_BYTES:,} bytes; skipped")
                continue
            if isinstance(raw, bytes):
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
                        yield Problem(where, n, e.reason, f"line {e.detail}")
                        continue
            else:
                s = raw
                if not s.strip(_BLANK):
                    continue
            try:
                obj = loads(s)
            except JsonError as e:
                yield Problem(where, n, e.reason, e.detail)
                continue
            yield from items_from_record(obj, path, n, f"{_stem(path)}-{n}")


def _csv_encoding(path: Path) -> str:
    """Decide a whole CSV file's codec from its head: a mark or UTF-16's NULs, then UTF-8, else cp1252."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    sniffed = sniff_codec(head, lambda text: any(k in text.split("\n", 1)[0].lower() for k in ("text", "html")))
    if sniffed is not None:
        codec, bom = sniffed
        if not bom:
            return codec
        return "utf-8-sig" if codec == "utf-8" else codec[:6]  # "utf-16", "utf-32": the codec reads the mark
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        return "utf-8" if e.start >= len(head) - 3 else "cp1252"


class _RowLines:
    """The physical lines of a CSV file for ``csv.reader``, numbered, with the lines of a
    row that went wrong handed out again.

    A quote that opens a field and is never closed properly makes the reader take the
    rows after it as part of that field. Read strictly, such a row fails where the
    quote "closes" before something other than a delimiter, or at the end of the file;
    then it is reported and the lines after its first are read again, so the rows it
    swallowed are not lost. Re-reading is bounded to about twice the file, so a file of
    many such quotes stays linear.
    """

    def __init__(self, f, budget: int) -> None:
        self.f = f
        self.n = 0
        self.pending: deque[tuple[int, str]] = deque()
        self.row: list[tuple[int, str]] = []
        self.budget = budget

    def __iter__(self) -> _RowLines:
        return self

    def __next__(self) -> str:
        if self.pending:
            item = self.pending.popleft()
        else:
            line = self.f.readline()
            if not line:
                raise StopIteration
            self.n += 1
            item = (self.n, line)
        self.row.append(item)
        return item[1]

    def next_row(self) -> int:
        """Start a row; the line number it starts on."""
        self.row.clear()
        return self.pending[0][0] if self.pending else self.n + 1

    @property
    def spans(self) -> bool:
        return len(self.row) > 1

    @property
    def last(self) -> int:
        return self.row[-1][0] if self.row else self.n

    def again(self) -> bool:
        """Hand out the lines of this row after its first once more; False past the budget."""
        rest = self.row[1:]
        size = sum(len(s) for _, s in rest)
        if size > self.budget:
            return False
        self.budget -= size
        self.pending.extendleft(reversed(rest))
        self.row = self.row[:1]
        return True


def read_csv_file(path: Path, offset: Offset | None = None) -> Iterator[Item]:
    """A header row naming the fields, then one article per row (``.tsv``: tab-separated).

    Quoting is read strictly. A one-line row with a stray quote (``"He said" hi``) is
    read as a lenient reader would; a row whose quoted field runs over into the lines
    after it and then breaks is a ``broken_csv`` problem at its first line, and those
    lines are read again as rows. (A runaway quote that happens to close just before a
    delimiter, with the right number of fields, cannot be told from a multi-line field.)
    """
    where = show_path(path)
    try:
        codec = _csv_encoding(path)
        size = path.stat().st_size
        f = path.open("r", encoding=codec, errors="replace", newline="")
    except OSError as e:
        yield Problem(where, None, "unreadable_file", f"cannot read: {e.strerror or e}")
        return
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with f:
            lines = _RowLines(f, 2 * size + (1 << 20))
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            try:
                lines.next_row()
                header = next(reader)
            except StopIteration:
                yield Problem(where, None, "missing_text", "empty CSV file")
                return
            except csv.Error as e:
                yield Problem(where, 1, "broken_csv", f"cannot read the header row: {e}")
                return
            cols = [h.strip().lstrip("\ufeff").lower() for h in header]
            if not {"text", "html"} & set(cols):
                yield Problem(where, 1, "missing_text", f"header has no 'text' or 'html' column: {header[:20]}")
                return
            while True:
                start = lines.next_row()
                if offset is not None:
                    offset.at = f.buffer.tell()
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    reader = csv.reader(lines, delimiter=delimiter, strict=True)  # a fresh one after a failed row
                    if "field larger" in str(e):
                        yield Problem(where, start, "line_too_long", f"row cannot be read: {e}")
                        continue
                    if not lines.spans and "end of data" not in str(e):  # a stray quote on one line: read it leniently
                        try:
                            row = next(csv.reader([lines.row[0][1]], delimiter=delimiter), [])
                        except csv.Error as e2:
                            reason = "line_too_long" if "field larger" in str(e2) else "broken_csv"
                            yield Problem(where, start, reason, f"row cannot be read: {e2}")
                            continue
                    else:  # a quote that runs on to the end of the file, or over lines and then breaks
                        last, spans = lines.last, lines.spans
                        again = spans and lines.again()
                        then = ", the lines after it read again" if again else f" with the lines up to {last}" if spans else ""
                        yield Problem(
                            where, start, "broken_csv", f"a quoted field opened on this line is not closed properly ({e}); row skipped{then}"
                        )
                        continue
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(cols):
                    yield Problem(where, start, "broken_csv", f"row has {len(row)} fields, the header {len(cols)}")
                    continue
                yield from items_from_record(dict(zip(cols, row)), path, start, f"{_stem(path)}-{start}")
    except (OSError, UnicodeError) as e:
        yield Problem(where, None, "unreadable_file", f"read failed: {e}")
    finally:
        csv.field_size_limit(old_limit)


def _column(array) -> list:
    """A Parquet column's values; a cell Python cannot hold (a year past 9999) becomes Unreadable."""
    try:
        return array.to_pylist()
    except Exception:  # noqa: BLE001  pyarrow raises several types, per cell
        values: list = []
        for i in range(len(array)):
            try:
                values.append(array[i].as_py())
            except Exception as e:  # noqa: BLE001
                values.append(Unreadable(f"{type(e).__name__}: {str(e)[:80]}"))
        return values


def read_parquet_file(path: Path, offset: Offset | None = None) -> Iterator[Item]:
    """Rows of a Parquet file, read in batches so a large file never sits in memory whole
    (``offset``: the file's size times the share of its rows read)."""
    import pyarrow.parquet as pq

    where = show_path(path)
    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
    except Exception as e:  # noqa: BLE001  pyarrow raises several types for a file that is not Parquet
        yield Problem(where, None, "unreadable_file", f"not a readable Parquet file: {e}")
        return
    if not {"text", "html"} & names:
        yield Problem(where, None, "missing_text", f"has no 'text' or 'html' column: {sorted(names)[:20]}")
        return
    wanted = [c for c in ("id", "text", "html", "title", "url", "source", "published", "lang") if c in names]
    row = 0
    total_rows = max(pf.metadata.num_rows, 1)
    size = path.stat().st_size if offset is not None else 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            columns = {name: _column(batch.column(i)) for i, name in enumerate(batch.schema.names)}
            if offset is not None:
                offset.at = size * min(row + batch.num_rows, total_rows) // total_rows
            for k in range(batch.num_rows):
                rec = {name: values[k] for name, values in columns.items()}
                yield from items_from_record(rec, path, row, f"{_stem(path)}-{row}")
                row += 1
    except Exception as e:  # noqa: BLE001  a corrupt page: report it, keep the rows read so far
        yield Problem(where, row, "unreadable_file", f"Parquet read failed at row {row}: {e}")


@dataclass
class Offset:
    """How far a reader has read into its file, in bytes (for progress in bytes): the readers
    of record files (JSONL, CSV, Parquet) move it as they go, a one-article file not at all."""

    at: int = 0


#: the readers that move an ``Offset``
STREAMING_READERS = ("read_jsonl_file", "read_csv_file", "read_parquet_file")


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
    """Files under ``folder`` in a stable order, hidden files and folders left out (see
    :func:`walk_items`; a folder that cannot be listed is logged and passed over)."""
    for item in walk_items(folder):
        if isinstance(item, Problem):
            log.warning("%s", item)
        else:
            yield item


def walk_items(folder: Path) -> Iterator[Path | Problem]:
    """Files under ``folder`` in a stable order, hidden files and folders left out.

    Each folder's files by name, then its subfolders by name, depth first. The walk
    keeps its own stack (no recursion, so any depth), does not follow links to folders
    (a link to a file is read), and lists each real folder once, so no loop (a bind
    mount of a parent, say) can keep it going. A folder that cannot be listed is a Problem.
    """
    seen: set[tuple[int, int]] = set()
    stack = [Path(folder)]
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(d) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except (OSError, ValueError) as e:
            yield Problem(show_path(d), None, "unreadable_file", f"cannot list the folder: {getattr(e, 'strerror', None) or e}")
            continue
        subfolders = []
        for e in entries:
            try:
                is_dir, is_link = e.is_dir(), e.is_symlink()
            except OSError:
                is_dir = is_link = False
            if not is_dir:
                yield Path(e.path)
            elif not is_link:
                subfolders.append(Path(e.path))
        stack.extend(reversed(subfolders))
