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

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from retold.config import Settings
from retold.index.store import Index
from retold.model import Pair, ScanResult


class IndexedPairs:
    """The pairs of an index as an export reports them, read from the file a chunk at a time.

    Why: an index of a large crawl holds millions of pairs, and their passages are most of
    their size. Grouping needs none of them (``pair_links``), so the groups are built from the
    light links, and the stored pairs are read again, with their passages, only while they are
    written out, each taking the relation, direction and ``decided`` that grouping gave its
    link. Iterate it while the index is open in the ``Index.reading()`` the groups were built
    in: every pass reads the file again. Implied pairs (the stories') come last.
    """

    def __init__(self, index: Index, seqs: list[int], links: list[Pair], implied: list[Pair]) -> None:
        self._index = index
        self._at = {s: k for k, s in enumerate(seqs)}
        self._links = links
        self.implied = implied

    def __len__(self) -> int:
        return len(self._links) + len(self.implied)

    def __iter__(self) -> Iterator[Pair]:
        for seq, p in self._index.iter_pairs():
            k = self._at.get(seq)
            if k is None:  # committed after the groups were built (outside their snapshot)
                continue
            link = self._links[k]
            p.relation, p.direction, p.decided = link.relation, link.direction, link.decided
            yield p
        yield from self.implied


def index_result(index: Index, settings: Settings | None = None) -> ScanResult:
    """The index as a ``ScanResult``: every doc and stored pair, the groups, the implied pairs.

    ``settings``: the grouping settings (thresholds, ``implied_pairs``); default the index's
    own signature settings with the shipped thresholds. Unless given, ``semantic`` follows
    the index: an index that records an encoder was filled by scans with embeddings, one
    without by ``--copies-only`` scans (families only, as those scans report).

    The groups are built from each doc's ``light`` row (id, date, token count) and each pair's
    link (no passages), as a scan against the index builds them; ``docs`` reads a doc when
    asked for, and ``pairs`` (``IndexedPairs``) reads the stored pairs with their passages when
    listed, a chunk at a time, through ``index``: the export of a large index never holds
    every text or every passage. Read it while ``index`` is open; inside ``index.reading()``
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
            langs = {d.id: d.lang for d in docs}
            lazy = by_id
        else:
            light = read_light(index)
            by_id = dated(light)
            n_tokens = dict(zip(light.ids, light.n_tokens.tolist()))
            langs = dict(zip(light.ids, light.lang))
            lazy = IndexedDocs(index.path, light.ids, {}, index=index)
        seqs, links = index.pair_links_with_seq()
    # build_groups settles directions and story gaps in place, as in a scan (whose pairs the
    # index stores after that step, so here it changes nothing a scan would not)
    groups = build_groups(by_id, links, settings)
    implied, agreed = stories_say(groups, links, links, n_tokens, settings, langs=langs)
    stats = {
        "articles_new": 0.0,
        "articles_total": float(len(by_id)),
        "pairs": float(len(links) + len(implied)),
        "pairs_agreed": float(agreed),
        "pairs_implied": float(len(implied)),
    }
    pairs = IndexedPairs(index, seqs, links, implied)
    return ScanResult(docs=lazy, pairs=pairs, groups=groups, problems=[], stats=stats)  # type: ignore[arg-type]


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


__all__ = ["index_result", "export_index", "IndexedPairs"]
