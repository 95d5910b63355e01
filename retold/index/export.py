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
    without by ``--copies-only`` scans (families only, as those scans report).

    The groups are built from each doc's ``light`` row (id, date, token count), as a scan
    against the index builds them, and ``docs`` reads a doc when asked for, through
    ``index`` (``IndexedDocs``: listing them reads a chunk at a time), so the export of a large
    index never holds every text. Read it while ``index`` is open; inside ``index.reading()``
    the docs, pairs and groups are of one snapshot, a scan committing meanwhile wholly in or out.
    """
    from retold.group import build_groups, stories_say
    from retold.index.incremental import IndexedDocs, dated, read_light

    if settings is None:
        settings = replace(index.settings, semantic=index.encoder_name is not None)
    with index.reading():
        if index.postings_bands() is None:  # format 1: no light rows; the docs themselves
            docs = index.load_docs()
            by_id = {d.id: d for d in docs}
            n_tokens = {d.id: d.n_tokens for d in docs}
            lazy = by_id
        else:
            light = read_light(index)
            by_id = dated(light)
            n_tokens = dict(zip(light.ids, light.n_tokens.tolist()))
            lazy = IndexedDocs(index.path, light.ids, {}, index=index)
        pairs = index.load_pairs()
    # build_groups settles directions and story gaps in place, as in a scan (whose pairs the
    # index stores after that step, so here it changes nothing a scan would not)
    groups = build_groups(by_id, pairs, settings)
    implied, agreed = stories_say(groups, pairs, pairs, n_tokens, settings)
    stats = {
        "articles_new": 0.0,
        "articles_total": float(len(by_id)),
        "pairs": float(len(pairs) + len(implied)),
        "pairs_agreed": float(agreed),
        "pairs_implied": float(len(implied)),
    }
    return ScanResult(docs=lazy, pairs=pairs + implied, groups=groups, problems=[], stats=stats)


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
        with index.reading():  # one snapshot: the articles listed are those the groups were built of
            return write_outputs(index_result(index, settings), out_dir, format=format)
    p = Path(index).expanduser()
    if not p.is_file():
        raise IndexFileError(f"{p}: no such index file")
    with Index.open(p) as idx, idx.reading():
        return write_outputs(index_result(idx, settings), out_dir, format=format)


__all__ = ["index_result", "export_index"]
