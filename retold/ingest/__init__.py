"""Ingest: paths -> Articles, plus a Problem for every record that had to be skipped.

Input formats: folders (recursed) of ``.txt``/``.md``, ``.html``/``.htm`` and ``.json``
files (one article each, id = file name without extension), and ``.jsonl``, ``.csv``
(``.tsv``) and ``.parquet`` files of records with ``id``, ``text`` or ``html``, and
optional ``title``, ``url``, ``source``, ``published``, ``lang``. Bad input never stops a
run: each bad record becomes one Problem (also logged on ``retold.ingest`` at WARNING)
and reading goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from retold.ingest.formats import MAX_LINE_BYTES, SUFFIXES, reader_for, walk
from retold.ingest.records import MAX_TEXT_CHARS
from retold.model import Article, Problem

__all__ = ["MAX_LINE_BYTES", "MAX_TEXT_CHARS", "SUFFIXES", "iter_articles", "read_articles"]

log = logging.getLogger("retold.ingest")


def _files(paths: Sequence[Path]) -> Iterator[Path | Problem]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from walk(p)
        elif p.exists():
            yield p
        else:
            yield Problem(str(p), None, "not_found", "no such file or folder")


def iter_articles(paths: Sequence[Path]) -> Iterator[Article | Problem]:
    """Articles and Problems in input order, one record at a time (for large inputs).

    An id seen before is a Problem (``duplicate_id``): the first article with an id wins.
    """
    seen: dict[str, str] = {}
    for f in _files(paths):
        if isinstance(f, Problem):
            items: Iterator[Article | Problem] = iter([f])
        else:
            reader = reader_for(f)
            if reader is None:
                items = iter([Problem(str(f), None, "unsupported_file", f"unsupported file type {f.suffix or '(none)'!r}; skipped")])
            else:
                items = reader(f)
        for item in items:
            if isinstance(item, Article):
                first = seen.get(item.id)
                if first is None:
                    seen[item.id] = item.where or "?"
                    yield item
                    continue
                path, _, line = (item.where or "").rpartition(":")
                item = (
                    Problem(path, int(line), "duplicate_id", f"id {item.id!r} was already read from {first}; skipped")
                    if line.isdigit()
                    else Problem(item.where or "?", None, "duplicate_id", f"id {item.id!r} was already read from {first}; skipped")
                )
            log.warning("%s", item)
            yield item


def read_articles(paths: Sequence[Path]) -> tuple[list[Article], list[Problem]]:
    """All articles under ``paths`` and the Problems of everything skipped."""
    articles: list[Article] = []
    problems: list[Problem] = []
    for item in iter_articles(paths):
        if isinstance(item, Article):
            articles.append(item)
        else:
            problems.append(item)
    return articles, problems
