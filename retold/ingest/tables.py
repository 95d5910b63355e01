"""Records held in memory (an iterable of dicts, a pandas DataFrame, a pyarrow Table) to Articles.

The same rules as a JSONL or Parquet record (``retold.ingest.formats.item_from_record``):
fields ``id``, ``text`` or ``html``, and optionally ``title``, ``url``, ``source``,
``published``, ``lang``; other fields are ignored. A bad record becomes a
:class:`~retold.model.Problem` and reading goes on; an id seen before is a
``duplicate_id`` problem, as in a folder of files.

Rows are numbered from 0 (as Parquet rows are): a record without ``id`` gets
``<name>-<row>``, and each article's ``where`` is ``<name>:<row>``, which
:func:`row_of` reads back, so that a caller can find the input row of an article (the
de-duplicated table keeps the rows of the articles kept).

pandas is never imported here: a DataFrame is recognised by its type's module, and
converted with the methods it has.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from retold.ingest.formats import item_from_record
from retold.model import Article, Problem

log = logging.getLogger("retold.ingest")

#: the fields an article reads; other columns are left alone
FIELDS: tuple[str, ...] = ("id", "text", "html", "title", "url", "source", "published", "lang")
BATCH_ROWS = 1024


def is_pandas(obj: object) -> bool:
    """Whether ``obj`` is a pandas DataFrame, told by its type so that pandas is never imported.

    Parameters
    ----------
    obj:
        Anything.

    Returns
    -------
    True for a DataFrame.
    """
    t = type(obj)
    return t.__name__ == "DataFrame" and t.__module__.split(".", 1)[0] == "pandas"


def is_arrow(obj: object) -> bool:
    """Whether ``obj`` is a pyarrow Table or RecordBatch (read column by column, not row by row).

    Parameters
    ----------
    obj:
        Anything.

    Returns
    -------
    True for a Table or RecordBatch.
    """
    t = type(obj)
    return t.__module__.split(".", 1)[0] == "pyarrow" and t.__name__ in ("Table", "RecordBatch")


def is_table(obj: object) -> bool:
    """Whether ``obj`` is a table to read as records rather than an iterable of paths or dicts
    (iterating a DataFrame gives its column names).

    Parameters
    ----------
    obj:
        Anything.

    Returns
    -------
    True for pandas, pyarrow, or any object that exports an Arrow stream
    (``__arrow_c_stream__``: polars, DuckDB results...).
    """
    return is_pandas(obj) or is_arrow(obj) or hasattr(obj, "__arrow_c_stream__")


def _missing(value: object) -> bool:
    """A pandas/numpy missing value (NaN, NaT, pd.NA) stands for an absent field."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # NaT, pd.NA (raises: ambiguous), numpy NaN
    except (TypeError, ValueError):
        return False


def _plain(rec: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an article reads, with missing values as absent ones and pandas
    timestamps as datetimes."""
    out: dict[str, Any] = {}
    for k in FIELDS:
        if k not in rec:
            continue
        v = rec[k]
        if _missing(v):
            continue
        if hasattr(v, "to_pydatetime"):
            v = v.to_pydatetime()
        elif hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
            v = v.item()
        out[k] = v
    return out


def _arrow_rows(table: Any) -> Iterator[dict[str, Any]]:
    """Rows of an Arrow table, only the columns an article reads, in batches."""
    import pyarrow as pa

    if not isinstance(table, (pa.Table, pa.RecordBatch)):
        # an Arrow stream (polars, DuckDB, a dataset scanner, pandas >= 2.2...): read a batch at
        # a time, never the whole stream at once
        reader = pa.RecordBatchReader.from_stream(table)
        cols = [c for c in FIELDS if c in reader.schema.names]
        for batch in reader:
            if not cols:
                yield from ({} for _ in range(batch.num_rows))
                continue
            for part in pa.Table.from_batches([batch.select(cols)]).to_batches(max_chunksize=BATCH_ROWS):
                yield from part.to_pylist()
        return
    cols = [c for c in FIELDS if c in table.schema.names]
    if not cols:
        for _ in range(table.num_rows):
            yield {}
        return
    sub = table.select(cols)
    batches = sub.to_batches(max_chunksize=BATCH_ROWS) if isinstance(sub, pa.Table) else [sub]
    for batch in batches:
        yield from batch.to_pylist()


def _pandas_rows(df: Any) -> Iterator[dict[str, Any]]:
    """Rows of a DataFrame, only the columns an article reads (column names as strings)."""
    cols = [c for c in df.columns if str(c) in FIELDS]
    sub = df[cols]
    names = [str(c) for c in cols]
    for values in sub.itertuples(index=False, name=None):
        yield _plain(dict(zip(names, values)))


def iter_records(records: Any, name: str = "records") -> Iterator[tuple[int, Article | Problem]]:
    """(row, Article or Problem) for each record, in order.

    Parameters
    ----------
    records:
        An iterable of mappings, a pandas DataFrame, a pyarrow Table or RecordBatch, or any
        object with ``__arrow_c_stream__``.
    name:
        What messages call the input (``where`` is ``<name>:<row>``, default ids
        ``<name>-<row>``).

    Returns
    -------
    An iterator of ``(row, item)``; ``row`` counts every record from 0, bad ones included,
    so it is the record's position in the input.
    """
    path = Path(name)
    if is_pandas(records):
        rows: Iterable[Any] = _pandas_rows(records)
    elif is_arrow(records) or hasattr(records, "__arrow_c_stream__"):
        rows = (_plain(r) for r in _arrow_rows(records))
    else:
        rows = (_plain(r) if isinstance(r, Mapping) else r for r in records)
    seen: dict[str, str] = {}
    for i, rec in enumerate(rows):
        item = item_from_record(rec, path, i, f"{name}-{i}")
        if isinstance(item, Article):
            first = seen.get(item.id)
            if first is None:
                seen[item.id] = item.where or "?"
            else:
                item = Problem(name, i, "duplicate_id", f"id {item.id!r} was already read from {first}; skipped")
        if isinstance(item, Problem):
            log.warning("%s", item)
        yield i, item


def read_records(records: Any, name: str = "records") -> tuple[list[Article], list[Problem]]:
    """All articles of in-memory records and the problems of those skipped.

    Parameters
    ----------
    records:
        See :func:`iter_records`.
    name:
        What messages and default ids call the input.

    Returns
    -------
    ``(articles, problems)``, as :func:`retold.ingest.read_articles` gives for files.
    """
    articles: list[Article] = []
    problems: list[Problem] = []
    for _, item in iter_records(records, name):
        (articles if isinstance(item, Article) else problems).append(item)  # type: ignore[arg-type]
    return articles, problems


def row_of(article: Article, name: str = "records") -> int | None:
    """The input row an article of :func:`read_records` came from, or None if it did not.

    Parameters
    ----------
    article:
        An article read by :func:`read_records` / :func:`iter_records`.
    name:
        The ``name`` it was read under.

    Returns
    -------
    The 0-based row, read back from ``article.where``.
    """
    head, sep, tail = (article.where or "").rpartition(":")
    if sep and head == name and tail.isdigit():
        return int(tail)
    return None


__all__ = ["FIELDS", "is_table", "is_pandas", "is_arrow", "iter_records", "read_records", "row_of"]
