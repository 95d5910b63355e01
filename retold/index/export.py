"""An index written out as a scan's output files (``retold index export``).

Why: the index is the one place that holds everything a stream of scans found, but the
tools downstream (the report, outside checks, a notebook) read the output contract
(``pairs``, ``groups``, ``articles``), and each scan with ``--index`` writes only the pairs
of its own new articles. An export gives the whole index in that contract, as a scan of
all its articles at once would report it: groups rebuilt from the stored pairs, those
pairs made to agree with the stories, and the pairs the stories imply, by the same
functions a scan uses (``build_groups``, ``agree_with_stories``, ``implied_pairs``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from retold.config import Settings
from retold.index.store import Index
from retold.model import ScanResult


def index_result(index: Index, settings: Settings | None = None) -> ScanResult:
    """The index as a ``ScanResult``: every doc and stored pair, the groups, the implied pairs.

    ``settings``: the grouping settings (thresholds, ``implied_pairs``); default the index's
    own signature settings with the shipped thresholds. Unless given, ``semantic`` follows
    the index: an index that records an encoder was filled by scans with embeddings, one
    without by ``--copies-only`` scans (families only, as those scans report). Docs and
    pairs are read in one transaction, so a scan committing meanwhile is wholly in or out.
    """
    from retold.group import build_groups, stories_say

    if settings is None:
        settings = replace(index.settings, semantic=index.encoder_name is not None)
    with index.reading():
        docs = index.load_docs()
        pairs = index.load_pairs()
    by_id = {d.id: d for d in docs}
    # build_groups settles directions and story gaps in place, as in a scan (whose pairs the
    # index stores after that step, so here it changes nothing a scan would not)
    groups = build_groups(by_id, pairs, settings)
    implied, agreed = stories_say(groups, pairs, pairs, {d.id: d.n_tokens for d in docs}, settings)
    stats = {
        "articles_new": 0.0,
        "articles_total": float(len(docs)),
        "pairs": float(len(pairs) + len(implied)),
        "pairs_agreed": float(agreed),
        "pairs_implied": float(len(implied)),
    }
    return ScanResult(docs=by_id, pairs=pairs + implied, groups=groups, problems=[], stats=stats)


def export_index(
    index: Index | str | Path, out_dir: str | Path, *, format: str = "jsonl", settings: Settings | None = None
) -> dict[str, Path]:
    """Write the index's pairs, groups and articles into ``out_dir`` as ``retold scan`` writes them.

    ``index``: an open Index or the path of an index file (which must exist: exporting does
    not create one). ``format``: ``jsonl`` or ``parquet``. Returns the files written, as
    ``retold.show.jsonl.write_outputs`` does.
    """
    from retold.index.errors import IndexFileError
    from retold.show.jsonl import check_format, write_outputs

    check_format(format)
    if isinstance(index, Index):
        return write_outputs(index_result(index, settings), out_dir, format=format)
    p = Path(index).expanduser()
    if not p.is_file():
        raise IndexFileError(f"{p}: no such index file")
    with Index.open(p) as idx:
        result = index_result(idx, settings)
    return write_outputs(result, out_dir, format=format)


__all__ = ["index_result", "export_index"]
