"""Ingest: paths -> Articles, plus a Problem for every record that had to be skipped.

Input formats: folders (recursed) of ``.txt``/``.md``, ``.html``/``.htm`` and ``.json``
files (one article each, id = file name without extension), and ``.jsonl``, ``.csv``
(``.tsv``) and ``.parquet`` files of records with ``id``, ``text`` or ``html``, and
optional ``title``, ``url``, ``source``, ``published``, ``lang``. Bad input never stops a
run: each bad record becomes one Problem (also logged on ``retold.ingest`` at WARNING)
and reading goes on; a bad optional field costs only itself (the article is kept, and a
``bad_<field>`` Problem follows it). What is not a regular file (a FIFO, a socket, a
device) is reported as ``special_file`` without being opened.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retold.ingest.formats import (
    MAX_LINE_BYTES,
    STREAMING_READERS,
    SUFFIXES,
    Offset,
    reader_for,
    show_path,
    special_file,
    walk_items,
)
from retold.ingest.records import MAX_TEXT_CHARS
from retold.model import Article, Problem

__all__ = ["MAX_LINE_BYTES", "MAX_TEXT_CHARS", "SUFFIXES", "Batch", "Position", "input_bytes", "iter_articles", "iter_batches", "read_articles"]

log = logging.getLogger("retold.ingest")


def _files(paths: Sequence[Path]) -> Iterator[Path | Problem]:
    for p in paths:
        p = Path(p)
        try:
            is_dir = stat.S_ISDIR(os.stat(p).st_mode)
        except (OSError, ValueError):
            is_dir = False  # special_file says what is wrong with it
        if is_dir:
            yield from walk_items(p)
        else:
            yield p


@dataclass
class Position:
    """How far ``iter_articles`` has read: the bytes of the files finished, and the reader's
    ``Offset`` in the file it reads (progress in bytes over files of any size)."""

    done: int = 0
    file: Offset = field(default_factory=Offset)

    @property
    def bytes(self) -> int:
        return self.done + self.file.at


def iter_articles(paths: Sequence[Path], position: Position | None = None) -> Iterator[Article | Problem]:
    """Articles and Problems in input order, one record at a time (for large inputs: what is
    held is the record being read and the ids seen so far).

    An id seen before is a Problem (``duplicate_id``): the first article with an id wins.
    ``position``: moved as the files are read (``Position.bytes``).
    """
    seen: dict[str, str] = {}
    skipped: tuple[str, int | None] | None = None  # a duplicate's place: its field problems go with it
    for f in _files(paths):
        bad = f if isinstance(f, Problem) else special_file(f)
        if bad is not None:
            items: Iterator[Article | Problem] = iter([bad])
        else:
            reader = reader_for(f)
            if reader is None:
                suffix = show_path(f.suffix) or "(none)"
                items = iter([Problem(show_path(f), None, "unsupported_file", f"unsupported file type {suffix!r}; skipped")])
            elif position is not None and reader.__name__ in STREAMING_READERS:
                position.file = Offset()
                items = reader(f, position.file)
            else:
                items = reader(f)
        for item in items:
            if isinstance(item, Article):
                skipped = None
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
                skipped = (item.path, item.line)
            elif skipped is not None and item.reason.startswith("bad_") and (item.path, item.line) == skipped:
                continue  # a bad field of the duplicate just skipped: the record is listed once
            log.warning("%s", item)
            yield item
        if position is not None:
            position.file = Offset()
            position.done += _size(f)


def _size(f: Path | Problem) -> int:
    if isinstance(f, Problem):
        return 0
    try:
        return os.stat(f).st_size
    except (OSError, ValueError):
        return 0


def input_bytes(paths: Sequence[Path]) -> int:
    """The bytes of every file under ``paths`` (what ``Position.bytes`` reaches at the end)."""
    return sum(_size(f) for f in _files(paths))


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


from retold.ingest.batches import Batch, iter_batches  # noqa: E402  (it reads through iter_articles above)
