"""The machine-readable output contract: DIR/pairs, DIR/groups, DIR/articles (and DIR/problems).

Written as JSON lines (``.jsonl``, the default) or Parquet (``.parquet``, the same fields;
schemas in ``retold.show.tables``). Documented in the README and docs/ARCHITECTURE.md; later
tools (the report, outside checks) read only these files.

A folder starts clean of an earlier run's contract files: a ``problems.jsonl`` left by a run
that had problems, or a ``pairs.parquet`` left by a run in the other format, would otherwise
be read as this run's. Only these names are removed; nothing else in the folder is touched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from retold.model import Article, Group, Passage, Pair, Problem, ScanResult

FORMATS: tuple[str, ...] = ("jsonl", "parquet")
#: the files a run writes (each as NAME.jsonl or NAME.parquet)
CONTRACT_NAMES: tuple[str, ...] = ("pairs", "groups", "articles", "problems")


#: records per Parquet row group: the writer holds one batch, not the file
PARQUET_BATCH = 2000


def check_format(format: str) -> str:
    """Check an output format before any work is done.

    Parameters
    ----------
    format:
        ``jsonl`` or ``parquet``.

    Returns
    -------
    ``format``; raises ValueError for anything else.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown output format {format!r}: use one of {', '.join(FORMATS)}")
    return format


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _write_atomic(path: Path, lines: Iterable[str]) -> None:
    tmp = _tmp(path)
    with open(tmp, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
    os.replace(tmp, path)


def write_records(path: Path, records: Iterable[dict], schema=None) -> Path:
    """Write records whole or not at all, as JSON lines or (``.parquet`` path) Parquet.

    Parameters
    ----------
    path:
        The file; its suffix (``.jsonl`` or ``.parquet``) picks the format.
    records:
        JSON-like dicts.
    schema:
        The Arrow schema of the records (``retold.show.tables``); needed for Parquet.

    Returns
    -------
    ``path``.
    """
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        from retold.show.tables import table

        if schema is None:
            raise ValueError(f"{path}: a Parquet file needs the records' schema")
        tmp = _tmp(path)
        with pq.ParquetWriter(tmp, schema) as w:  # a row group per batch: records are not all held
            batch: list[dict] = []
            for r in records:
                batch.append(r)
                if len(batch) >= PARQUET_BATCH:
                    w.write_table(table(batch, schema))
                    batch = []
            if batch:
                w.write_table(table(batch, schema))
        os.replace(tmp, path)
    else:
        _write_atomic(path, (json.dumps(r, ensure_ascii=False) for r in records))
    return path


def clear_outputs(out_dir: str | Path, names: Iterable[str] = CONTRACT_NAMES) -> list[Path]:
    """Remove an earlier run's contract files (``NAME.jsonl`` / ``NAME.parquet``) from a folder.

    Parameters
    ----------
    out_dir:
        The output folder.
    names:
        The file names without suffix to remove.

    Returns
    -------
    The files removed.
    """
    gone = []
    for name in names:
        for fmt in FORMATS:
            p = Path(out_dir) / f"{name}.{fmt}"
            if p.is_file() or p.is_symlink():
                p.unlink()
                gone.append(p)
    return gone


def article_records(result: ScanResult) -> Iterator[dict]:
    """The ``articles`` records of a scan (JSONL and Parquet alike).

    Parameters
    ----------
    result:
        A scan's result.

    Returns
    -------
    One dict per article, made as it is asked for (a scan against a large index reads its
    docs a chunk at a time and never holds them all): metadata, language, the text as ingested
    (the passages' offsets point into it), boilerplate spans.
    """
    for d in result.docs.values():
        rec = d.article.to_dict()
        rec["lang"] = d.lang
        rec["text"] = d.article.text
        rec["boilerplate"] = [[int(a), int(b)] for (a, b), bo in zip(d.sent_spans, d.sent_boiler) if bo]
        yield rec


def problem_records(problems: Iterable[Problem]) -> list[dict]:
    """The ``problems`` records: one per skipped record, so that a person can find and fix it.

    Parameters
    ----------
    problems:
        The run's problems.

    Returns
    -------
    One dict per problem: ``path``, ``line``, ``reason``, ``detail``.
    """
    return [{"path": p.path, "line": p.line, "reason": p.reason, "detail": p.detail} for p in problems]


def write_problems(problems: list[Problem], out_dir: str | Path, format: str = "jsonl") -> Path | None:
    """Write ``problems.<format>`` when there are problems; remove a stale one either way.

    Parameters
    ----------
    problems:
        The run's skipped records.
    out_dir:
        The output folder (made if missing).
    format:
        ``jsonl`` or ``parquet``.

    Returns
    -------
    The file written, or None when there were no problems.
    """
    from retold.show.tables import PROBLEMS

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out, ["problems"])
    if not problems:
        return None
    return write_records(out / f"problems.{check_format(format)}", problem_records(problems), PROBLEMS)


def write_outputs(result: ScanResult, out_dir: str | Path, with_features: bool = True, format: str = "jsonl") -> dict[str, Path]:
    """Write the contract files of a scan; each appears whole or not at all.

    Parameters
    ----------
    result:
        The scan's result.
    out_dir:
        The output folder (made if missing); an earlier run's contract files are removed first.
    with_features:
        Write the pairs' ``features``.
    format:
        ``jsonl`` (JSON lines) or ``parquet`` (the same fields; ``retold.show.tables`` schemas).

    Returns
    -------
    ``{"pairs": path, "groups": path, "articles": path}``, plus ``"problems"`` when the scan
    skipped records.
    """
    from retold.show.tables import ARTICLES, GROUPS, PAIRS, PAIRS_NO_FEATURES

    check_format(format)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    paths = {name: out / f"{name}.{format}" for name in ("pairs", "groups", "articles")}
    write_records(paths["pairs"], (p.to_dict(with_features) for p in result.pairs), PAIRS if with_features else PAIRS_NO_FEATURES)
    write_records(paths["groups"], (g.to_dict() for g in result.groups), GROUPS)
    write_records(paths["articles"], article_records(result), ARTICLES)
    problems = write_problems(result.problems, out, format)
    if problems is not None:
        paths["problems"] = problems
    return paths


def read_contract_records(path: Path) -> list[dict]:
    """The records of a ``.jsonl`` or ``.parquet`` contract file ([] when it is missing).

    Parameters
    ----------
    path:
        The file.

    Returns
    -------
    JSON-like dicts (a Parquet map column comes back as a dict, as in JSON).
    """
    path = Path(path)
    if not path.exists():
        return []
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(path)
        maps = [f.name for f in t.schema if str(f.type).startswith("map<")]
        rows = t.to_pylist()
        for r in rows:
            for m in maps:
                if r.get(m) is not None:
                    r[m] = dict(r[m])
        return rows
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _contract_file(out: Path, name: str) -> Path:
    """``NAME.jsonl``, or ``NAME.parquet`` where only that exists."""
    j = out / f"{name}.jsonl"
    p = out / f"{name}.parquet"
    return p if p.exists() and not j.exists() else j


def read_outputs(out_dir: str | Path) -> tuple[list[dict], list[Pair], list[Group]]:
    """Read a scan's output folder back, for the report and outside checks.

    Parameters
    ----------
    out_dir:
        A folder written by :func:`write_outputs` (JSONL or Parquet).

    Returns
    -------
    ``(article records, pairs, groups)``.
    """
    out = Path(out_dir)
    pairs = []
    for r in read_contract_records(_contract_file(out, "pairs")):
        pairs.append(
            Pair(
                a=r["a"],
                b=r["b"],
                relation=r["relation"],
                score=r["score"],
                coverage_a=r["coverage_a"],
                coverage_b=r["coverage_b"],
                direction=r.get("direction"),
                passages=[Passage(**p) for p in r.get("passages") or []],
                features=r.get("features") or {},
                basis=r.get("basis", "compared"),
                decided=r.get("decided"),
            )
        )
    groups = [Group(**r) for r in read_contract_records(_contract_file(out, "groups"))]
    return read_contract_records(_contract_file(out, "articles")), pairs, groups


__all__ = [
    "FORMATS",
    "write_outputs",
    "read_outputs",
    "write_problems",
    "write_records",
    "read_contract_records",
    "clear_outputs",
    "article_records",
    "problem_records",
    "check_format",
    "Article",
]
