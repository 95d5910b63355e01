"""What an index holds, in numbers a person can check before trusting it (``retold index info``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from retold.index.store import Removal, Run


@dataclass(frozen=True)
class IndexInfo:
    """One look at an index: its counts, the settings its signatures were made with, its size, its history.

    Why: an index outlives the runs that filled it. Before adding to one, exporting it or
    handing it on, a person wants to know which encoder and signature settings it holds (a
    scan with others is refused), how much is in it, and when it was last written.
    ``pairs_by_relation`` counts each compared pair's own decision as the index keeps it
    (before the stories have a say, as in ``pairs.jsonl``).
    """

    path: Path
    format_version: int
    encoder: str | None
    #: the signature settings (``retold.index.schema.SIGNATURE_FIELDS``) the index was built with
    signature: dict[str, object]
    articles: int
    pairs: int
    pairs_by_relation: dict[str, int]
    #: articles carrying the second model's sentence vectors (computed on demand, kept)
    second_vectors: int
    #: bytes of the index file, and of its write-ahead log beside it (``<file>-wal``)
    file_bytes: int
    wal_bytes: int
    #: when the file became an index (None for indexes made before that was recorded)
    created: datetime | None
    #: the last add or removal (None: never written to)
    last_written: datetime | None
    adds: int
    removals: int
    #: the latest adds and removals, oldest first
    last_runs: list[Union[Run, Removal]] = field(default_factory=list)
    #: the article-vector graphs beside it (``<file>.ann/``): files the committed index names, and their bytes
    graph_files: int = 0
    graph_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        """Space the index takes on disk now: the file, its WAL and its vector graphs."""
        return self.file_bytes + self.wal_bytes + self.graph_bytes

    def to_dict(self) -> dict:
        """JSON-ready, for ``retold index info --json`` and scripts."""
        return {
            "path": str(self.path),
            "format_version": self.format_version,
            "encoder": self.encoder,
            "signature": dict(self.signature),
            "articles": self.articles,
            "pairs": self.pairs,
            "pairs_by_relation": dict(self.pairs_by_relation),
            "second_vectors": self.second_vectors,
            "file_bytes": self.file_bytes,
            "wal_bytes": self.wal_bytes,
            "graph_files": self.graph_files,
            "graph_bytes": self.graph_bytes,
            "total_bytes": self.total_bytes,
            "created": _iso(self.created),
            "last_written": _iso(self.last_written),
            "adds": self.adds,
            "removals": self.removals,
            "last_runs": [run_record(r) for r in self.last_runs],
        }


def run_record(r: Union[Run, Removal]) -> dict:
    """An add or a removal as one kind of record: what happened, when, to how many articles and pairs."""
    from retold.index.store import Run

    if isinstance(r, Run):
        return {"time": _iso(r.time), "action": "add", "articles": r.docs_added, "pairs": r.pairs_added, "version": r.version}
    return {"time": _iso(r.time), "action": "remove", "articles": r.docs_removed, "pairs": r.pairs_removed, "version": r.version}


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


__all__ = ["IndexInfo", "run_record"]
