"""The output contract as Arrow tables: pairs, groups, articles (and problems, removed).

The columns are the fields of the JSONL records (``retold.show.jsonl``), with the same
names and values (scores rounded as there); the types are fixed here, once, so that a
Parquet file of a run with no pairs still has its columns, and two runs' files
concatenate. ``docs/ARCHITECTURE.md`` ("Output as tables") lists them.

pandas is optional: :func:`to_pandas` imports it when called and says how to install it
when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import pyarrow as pa

from retold.model import Problem, ScanResult

if TYPE_CHECKING:
    import pandas as pd

PASSAGE = pa.struct(
    [
        ("a_start", pa.int64()),
        ("a_end", pa.int64()),
        ("b_start", pa.int64()),
        ("b_end", pa.int64()),
        ("kind", pa.string()),
        ("similarity", pa.float64()),
    ]
)

PAIRS = pa.schema(
    [
        ("a", pa.string()),
        ("b", pa.string()),
        ("relation", pa.string()),
        ("score", pa.float64()),
        ("coverage_a", pa.float64()),
        ("coverage_b", pa.float64()),
        ("direction", pa.string()),
        ("passages", pa.list_(PASSAGE)),
        ("basis", pa.string()),
        ("decided", pa.string()),
        ("features", pa.map_(pa.string(), pa.float64())),
    ]
)
PAIRS_NO_FEATURES = pa.schema([f for f in PAIRS if f.name != "features"])

GROUPS = pa.schema(
    [("kind", pa.string()), ("id", pa.string()), ("members", pa.list_(pa.string())), ("origin", pa.string())]
)

ARTICLES = pa.schema(
    [
        ("id", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("published", pa.string()),  # ISO 8601 as in articles.jsonl: zones stay as the input gave them
        ("lang", pa.string()),
        ("where", pa.string()),
        ("text", pa.string()),
        ("boilerplate", pa.list_(pa.list_(pa.int64()))),
    ]
)

PROBLEMS = pa.schema([("path", pa.string()), ("line", pa.int64()), ("reason", pa.string()), ("detail", pa.string())])

REMOVED = pa.schema(
    [
        ("id", pa.string()),
        ("kept", pa.string()),
        ("relation", pa.string()),
        ("coverage", pa.float64()),
        ("via", pa.string()),
        ("cluster_size", pa.int64()),
    ]
)


class Tables(NamedTuple):
    """The three tables of a scan; unpack it (``pairs, groups, articles = ...``) or name them."""

    pairs: Any
    groups: Any
    articles: Any


def table(records: Iterable[dict], schema: pa.Schema) -> pa.Table:
    """Records (dicts with the schema's fields) as a table of exactly that schema.

    Parameters
    ----------
    records:
        JSON-like dicts, as the JSONL contract writes them.
    schema:
        One of this module's schemas (``PAIRS``, ``GROUPS``, ``ARTICLES``, ...).

    Returns
    -------
    A ``pyarrow.Table`` with the schema's columns in its order, also when there are no records.
    """
    return pa.Table.from_pylist(list(records), schema=schema)


def pairs_table(result: ScanResult, with_features: bool = True) -> pa.Table:
    """The pairs of ``result`` (``pairs.jsonl``'s records) as a table.

    Parameters
    ----------
    result:
        A scan's result.
    with_features:
        Keep the ``features`` column (a map of feature name to value; it may grow).

    Returns
    -------
    A ``pyarrow.Table`` of schema ``PAIRS`` (``PAIRS_NO_FEATURES`` without features).
    """
    return table((p.to_dict(with_features) for p in result.pairs), PAIRS if with_features else PAIRS_NO_FEATURES)


def groups_table(result: ScanResult) -> pa.Table:
    """The families and stories of ``result`` (``groups.jsonl``) as a table.

    Parameters
    ----------
    result:
        A scan's result.

    Returns
    -------
    A ``pyarrow.Table`` of schema ``GROUPS``.
    """
    return table((g.to_dict() for g in result.groups), GROUPS)


def articles_table(result: ScanResult) -> pa.Table:
    """The articles of ``result`` (``articles.jsonl``) as a table.

    Parameters
    ----------
    result:
        A scan's result.

    Returns
    -------
    A ``pyarrow.Table`` of schema ``ARTICLES``: metadata, language, the text as ingested
    (passages' offsets point into it), boilerplate spans.
    """
    from retold.show.jsonl import article_records  # local: jsonl imports this module

    return table(article_records(result), ARTICLES)


def problems_table(problems: Iterable[Problem]) -> pa.Table:
    """Skipped records (``problems.jsonl``) as a table.

    Parameters
    ----------
    problems:
        The run's problems.

    Returns
    -------
    A ``pyarrow.Table`` of schema ``PROBLEMS``.
    """
    return table(({"path": p.path, "line": p.line, "reason": p.reason, "detail": p.detail} for p in problems), PROBLEMS)


def to_arrow(result: ScanResult, with_features: bool = True) -> Tables:
    """The output contract of a scan as Arrow tables.

    Parameters
    ----------
    result:
        A scan's result.
    with_features:
        Keep the pairs' ``features`` column.

    Returns
    -------
    ``Tables(pairs, groups, articles)`` of ``pyarrow.Table``; the same columns as the JSONL
    records and the Parquet files of ``retold scan --format parquet``.
    """
    return Tables(pairs_table(result, with_features), groups_table(result), articles_table(result))


def require_pandas() -> Any:
    """pandas, imported only when asked for: retold does not depend on it.

    Returns
    -------
    The pandas module; raises ImportError saying how to install it when it is missing.
    """
    try:
        import pandas
    except ImportError as e:
        raise ImportError(
            "this needs pandas, which retold does not install: pip install pandas "
            "(or use to_arrow(), which needs only pyarrow)"
        ) from e
    return pandas


def arrow_to_pandas(t: pa.Table) -> "pd.DataFrame":
    """A table as a DataFrame: map columns (``features``) as dicts, lists as lists.

    Parameters
    ----------
    t:
        A table of this module's schemas.

    Returns
    -------
    A ``pandas.DataFrame``; strings as Python strings, missing values as None.
    """
    require_pandas()
    return t.to_pandas(maps_as_pydicts="strict")


def to_pandas(result: ScanResult, with_features: bool = True) -> Tables:
    """The output contract of a scan as pandas DataFrames (pandas must be installed).

    Parameters
    ----------
    result:
        A scan's result.
    with_features:
        Keep the pairs' ``features`` column (dicts).

    Returns
    -------
    ``Tables(pairs, groups, articles)`` of ``pandas.DataFrame``.

    Raises
    ------
    ImportError
        When pandas is not installed, saying how to install it.
    """
    require_pandas()
    return Tables(*(arrow_to_pandas(t) for t in to_arrow(result, with_features)))


__all__ = [
    "PAIRS",
    "PAIRS_NO_FEATURES",
    "GROUPS",
    "ARTICLES",
    "PROBLEMS",
    "REMOVED",
    "Tables",
    "table",
    "pairs_table",
    "groups_table",
    "articles_table",
    "problems_table",
    "to_arrow",
    "to_pandas",
    "arrow_to_pandas",
    "require_pandas",
]
