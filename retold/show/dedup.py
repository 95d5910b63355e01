"""De-duplicate a corpus: keep one article of every reuse cluster, write the rest of the corpus back.

A **cluster** is a connected component of the pairs whose relation the user drops
(``drop``, default duplicate, near_duplicate and rewrite): an article that reuses another
by one of those relations is in its cluster, and so is anything that reuses it in turn.
Exactly one member of every cluster stays (a cluster is never emptied); the others are
**removed**, each with the survivor it gave way to, the relation and the coverage of the
link that tied it to the cluster (``via``: the member at the other end of that link, the
survivor itself where the two were paired directly).

Which member stays (``keep``), ties always broken by id:

- ``origin``: the earliest when every member is dated and one is earlier than the rest by a
  minute or more; otherwise the member most tied to the others (the hub: in a scan, the sum
  of ``retold.group.edge_strength`` over the cluster's reuse pairs, a directed pair counting
  twice for its source, as ``retold.group.families`` weighs a family for its hub; on the copies-only path, the
  sum of MinHash Jaccard over the cluster's candidate pairs);
- ``earliest``: the earliest published (undated members last);
- ``longest``: the most characters of content (boilerplate not counted);
- ``first``: the first in input order.

With an index, its articles are already kept: a cluster holding one keeps it (the rule
chooses among the indexed members) and every new member is removed; indexed articles are
never written.

Two ways to the pairs:

- a scan (``retold.scan``), whenever the semantic layer is on or an index is given;
- with ``Settings(semantic=False)``, no index and this machine's engine, the copy engine
  directly (another engine, such as Ray, gets the scan it was given for): tokens and
  boilerplate as ``prepare`` makes them (``copy_docs``), signatures without anchors
  (``sign_copies``), lexical candidates, then bulk verification
  (``retold.decide.copy.copy_relations``, the speed bench's copy engine) of the candidate
  pairs whose lengths can reach a dropped relation and that could still join two clusters.
  The clusters are those of verifying every candidate pair: a pair inside one cluster
  cannot change them. Sentences, quotations, the language, names and words are not made:
  only rewrites, translations and stories read them. Coverages there are shares of tokens
  (a scan's are of characters); the relations are the copy engine's, which can differ from
  a scan's within about 0.03 of the duplicate Jaccard threshold.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from retold.config import Settings
from retold.model import REUSE_RELATIONS, RELATIONS, Article, Doc, Pair, Problem, ScanResult
from retold.progress import NullProgress, Progress

#: relations a user may drop (the reuse relations)
DROPPABLE: tuple[str, ...] = ("duplicate", "near_duplicate", "partial", "rewrite", "translation")
DEFAULT_DROP: tuple[str, ...] = ("duplicate", "near_duplicate", "rewrite")
KEEP_RULES: tuple[str, ...] = ("origin", "earliest", "longest", "first")
#: publication times closer than this do not make one member the earliest (as ``date_direction``)
MIN_GAP_SECONDS = 60.0
#: hidden file in the output folder naming the corpus files a run wrote, so the next run
#: into that folder removes them first (the folder never mixes two runs' corpora)
MANIFEST = ".retold-dedup.json"
#: the copies-only path verifies the candidate pairs of MinHash Jaccard >= 0.5 first, then the
#: rest, leaving out of the second round the pairs already inside one cluster; more, smaller
#: rounds verified fewer pairs but took longer (10k speed corpus: 3.7 s for two rounds and
#: 126k pairs, 4.2 s for blocks doubling from 1k to 32k pairs and 105k pairs, 3.9 s for all
#: 131k pairs at once): pairs of one stream class are verified once anyway (``copy_relations``)
ROUNDS: tuple[float, ...] = (0.5, 0.0)
#: language given to articles without one on the copies-only path: no copy relation reads it
_UNDETERMINED = "und"


class DedupError(ValueError):
    """A dedup asked for something it cannot do (an unknown relation or keep rule...)."""


@dataclass
class Removal:
    """One removed article: which member it gave way to, and the link that tied it to the cluster."""

    id: str
    kept: str  # the cluster's survivor
    relation: str  # relation of the link to ``via``
    coverage: float  # share of the removed article covered by that link's passages
    via: str  # the member at the link's other end (``kept`` where the two were paired directly)
    cluster_size: int

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kept": self.kept,
            "relation": self.relation,
            "coverage": round(float(self.coverage), 4),
            "via": self.via,
            "cluster_size": self.cluster_size,
        }


@dataclass
class DedupResult:
    """What a dedup kept and removed, and where it wrote them."""

    #: ids of the articles kept (new articles only, never indexed ones), in input order
    kept: list[str]
    #: the removed articles, in input order
    removed: list[Removal]
    #: records that could not be read (not written to the output)
    problems: list[Problem]
    stats: dict[str, float] = field(default_factory=dict)
    #: the scan behind the decision (None on the copies-only path, which runs no scan)
    scan: ScanResult | None = None
    #: for in-memory input (records, a DataFrame, a Table, Articles): the same kind of object
    #: without the removed rows
    data: Any = None
    #: files written: the corpus files, "removed", "problems"
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def removed_ids(self) -> list[str]:
        return [r.id for r in self.removed]

    def removed_table(self):
        """The removals as a ``pyarrow.Table`` (schema ``retold.show.tables.REMOVED``)."""
        from retold.show.tables import REMOVED, table

        return table((r.to_dict() for r in self.removed), REMOVED)


class Link(NamedTuple):
    """A verified pair of the copies-only path: what the keep rules and removals read of a Pair
    (a tuple: a 10k corpus makes some 60,000 of them, and a Pair costs three times more)."""

    a: str
    b: str
    relation: str
    score: float
    coverage_a: float
    coverage_b: float


@dataclass(frozen=True)
class Member:
    """What the keep rules read about one article."""

    order: int  # position in input order (indexed articles first)
    published: datetime | None
    length: int  # characters of content
    indexed: bool = False


def parse_drop(drop: str | Iterable[str]) -> tuple[str, ...]:
    """The relations to drop, from ``"duplicate,near_duplicate"`` or a list; checked.

    Parameters
    ----------
    drop:
        Comma-separated names or an iterable of names, each one of ``DROPPABLE``.

    Returns
    -------
    The names, in the order of ``RELATIONS``, without repeats.

    Raises
    ------
    DedupError
        For an empty list or a name that is not a reuse relation.
    """
    names = [x.strip() for x in (drop.split(",") if isinstance(drop, str) else drop) if x and x.strip()]
    bad = [x for x in names if x not in DROPPABLE]
    if bad:
        raise DedupError(f"cannot drop {', '.join(map(repr, bad))}: choose among {', '.join(DROPPABLE)}")
    if not names:
        raise DedupError(f"drop at least one relation: {', '.join(DROPPABLE)}")
    return tuple(r for r in RELATIONS if r in set(names))


def check_keep(keep: str) -> str:
    """Check a keep rule before any work is done (a typo should not cost a scan).

    Parameters
    ----------
    keep:
        ``origin``, ``earliest``, ``longest`` or ``first``.

    Returns
    -------
    ``keep``; raises DedupError for anything else.
    """
    if keep not in KEEP_RULES:
        raise DedupError(f"unknown keep rule {keep!r}: use one of {', '.join(KEEP_RULES)}")
    return keep


def _naive_utc(x: datetime) -> datetime:
    """A datetime comparable with any other: aware ones in UTC, naive ones as given."""
    return x if x.tzinfo is None else x.astimezone(timezone.utc).replace(tzinfo=None)


def content_chars(doc: Doc) -> int:
    """Characters of a doc's content, for ``keep="longest"``: a copy under another site's
    header and footer is not longer than its source for that.

    Parameters
    ----------
    doc:
        A cleaned doc.

    Returns
    -------
    The characters of its sentences (or lines) that are not boilerplate.
    """
    spans = doc.sent_spans[~doc.sent_boiler]
    return int((spans[:, 1] - spans[:, 0]).sum()) if len(spans) else 0


def members_of(docs: Sequence[Doc], indexed: set[str] = frozenset()) -> dict[str, Member]:  # type: ignore[assignment]
    """What the keep rules read about each doc, so that they run on plain data (and tests).

    Parameters
    ----------
    docs:
        Every doc of the run, in input order (an index's first).
    indexed:
        Ids already in an index: they stay, and are never written.

    Returns
    -------
    ``{id: Member}``.
    """
    return {
        d.id: Member(order=k, published=d.article.published, length=content_chars(d), indexed=d.id in indexed)
        for k, d in enumerate(docs)
    }


def _by_id_tie(ids: Iterable[str]) -> str:
    return min(ids)


def survivor(candidates: list[str], members: dict[str, Member], keep: str, hub: Callable[[list[str]], dict[str, float]] | None) -> str:
    """The member of ``candidates`` that stays, by the ``keep`` rule (see the module's docstring).

    Parameters
    ----------
    candidates:
        The members that may stay (all of a cluster, or its indexed members).
    members:
        What the rules read about each.
    keep:
        ``origin``, ``earliest``, ``longest`` or ``first``.
    hub:
        For ``origin``: the members' hub scores (higher: more tied to the others).

    Returns
    -------
    Its id; ties are broken by id, so the choice is the same run after run.
    """
    m = members
    if keep == "first":
        return min(candidates, key=lambda i: (m[i].order, i))
    if keep == "longest":
        return min(candidates, key=lambda i: (-m[i].length, i))
    if keep == "earliest":
        return min(candidates, key=lambda i: (m[i].published is None, _naive_utc(m[i].published) if m[i].published else datetime.min, i))
    # origin
    dates = [m[i].published for i in candidates]
    if all(d is not None for d in dates) and len(candidates) > 1:
        order = sorted(candidates, key=lambda i: (_naive_utc(m[i].published), i))  # type: ignore[arg-type]
        gap = (_naive_utc(m[order[1]].published) - _naive_utc(m[order[0]].published)).total_seconds()  # type: ignore[arg-type]
        if gap >= MIN_GAP_SECONDS:
            return order[0]
    scores = hub(candidates) if hub is not None else {}
    best = max((scores.get(i, 0.0) for i in candidates), default=0.0)
    return _by_id_tie(i for i in candidates if scores.get(i, 0.0) >= best - 1e-9)


def _strength(p: Pair | Link) -> tuple[int, float]:
    """Sort key of a link, strongest first: the stronger relation, then the higher score."""
    return (RELATIONS.index(p.relation) if p.relation in RELATIONS else len(RELATIONS), -float(p.score))


def plan_removals(
    members: dict[str, Member],
    links: Iterable[Pair | Link],
    drop: Sequence[str],
    keep: str,
    hub: Callable[[list[str]], dict[str, float]] | None = None,
) -> list[Removal]:
    """Clusters of the links of dropped relations, one survivor each, the others removed.

    Parameters
    ----------
    members:
        Every article (new and indexed), with what the keep rules read.
    links:
        Decided pairs; those of a relation in ``drop`` with both ends in ``members`` tie clusters.
    drop:
        The relations that make a copy.
    keep:
        The keep rule.
    hub:
        Hub scores of a cluster's members, for ``keep="origin"``.

    Returns
    -------
    One :class:`Removal` per removed new article, in input order. An indexed article is
    never removed (it is not written anyway); a cluster holding one keeps one of them.
    """
    from retold.graphs import components

    dropped = set(drop)
    # per member: (strength key, other end, pair), strongest first
    adj: dict[str, list[tuple[tuple[int, float], str, Pair | Link]]] = defaultdict(list)
    edges: list[tuple[str, str]] = []
    for p in links:
        if p.relation in dropped and p.a in members and p.b in members and p.a != p.b:
            k = _strength(p)
            adj[p.a].append((k, p.b, p))
            adj[p.b].append((k, p.a, p))
            edges.append((p.a, p.b))
    for ps in adj.values():
        ps.sort(key=lambda x: (x[0], x[1]))
    out: list[Removal] = []
    for comp in components(sorted(adj), edges):
        if len(comp) < 2:
            continue
        indexed = [i for i in comp if members[i].indexed]
        stay = survivor(indexed or comp, members, keep, hub)
        # breadth first from the survivor: each member's link is one toward it, fewest steps
        # first, the strongest link among those
        link: dict[str, tuple[Pair | Link, str]] = {}
        seen = {stay}
        level = [stay]
        while level:
            nxt: dict[str, tuple[tuple[int, float], str, Pair | Link]] = {}
            for u in level:
                for k, v, p in adj[u]:
                    if v in seen:
                        continue
                    best = nxt.get(v)
                    if best is None or (k, u) < (best[0], best[1]):
                        nxt[v] = (k, u, p)
            for v, (_, u, p) in nxt.items():
                seen.add(v)
                link[v] = (p, u)
            level = sorted(nxt)
        for v in comp:
            if v == stay or members[v].indexed:
                continue
            p, u = link[v]
            cov = p.coverage_a if p.a == v else p.coverage_b
            out.append(Removal(id=v, kept=stay, relation=p.relation, coverage=cov, via=u, cluster_size=len(comp)))
    out.sort(key=lambda r: members[r.id].order)
    return out


def reuse_hub(pairs: Iterable[Pair], docs: dict[str, Doc] | None = None) -> Callable[[list[str]], dict[str, float]]:
    """Hub scores from decided reuse pairs, as ``retold.group.families`` weighs a family for its hub,
    for ``keep="origin"`` on a scan's pairs: the source is the member the others are closest to.

    Parameters
    ----------
    pairs:
        The scan's compared pairs (reuse relations are read, others ignored).
    docs:
        Unused; kept for callers that pass the scan's docs.

    Returns
    -------
    ``hub(ids) -> {id: score}``: each pair inside ``ids`` adds its ``edge_strength`` to both
    ends, twice to its source where it is directed.
    """
    from retold.group import edge_strength

    by: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        if p.relation in REUSE_RELATIONS:
            by[p.a].append(p)
            by[p.b].append(p)

    def hub(ids: list[str]) -> dict[str, float]:
        inside = set(ids)
        score: dict[str, float] = defaultdict(float)
        seen: set[int] = set()
        for i in ids:
            for p in by.get(i, ()):
                if id(p) in seen or p.a not in inside or p.b not in inside:
                    continue
                seen.add(id(p))
                s = edge_strength(p)
                if p.direction == "a->b":
                    score[p.a] += 2 * s
                elif p.direction == "b->a":
                    score[p.b] += 2 * s
                else:
                    score[p.a] += s
                    score[p.b] += s
        return score

    return hub


# --- the copies-only path -----------------------------------------------------------


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = int(p[root])
        while p[x] != root:
            p[x], x = root, int(p[x])
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True

    def roots(self) -> np.ndarray:
        r = self.parent.copy()
        while True:
            nr = r[r]
            if np.array_equal(nr, r):
                return r
            r = nr


#: a block of at least this many pairs is verified on all cores (forked workers), where there
#: are at least ``PARALLEL_MIN_CORES`` of them: on two busy cores, forking and sending the
#: results back cost more than the second core gave (10k speed corpus: 7.6 s against 5.0 s)
PARALLEL_MIN_PAIRS = 8192
PARALLEL_MIN_CORES = 4


def sign_copies(docs: list[Doc], settings: Settings) -> None:
    """Fill ``exact_hash``, ``minhash`` and ``fingerprints`` as ``retold.sign.sign_lexical`` does,
    without the anchors (rare names and numbers) that only story candidates read: on the
    speed bench's 10k corpus they were 40% of its time.

    Parameters
    ----------
    docs:
        Docs from :func:`copy_docs` (or ``prepare``), filled in place.
    settings:
        ``shingle_size``, ``num_perm``, ``seed``, ``fingerprint_mod``, ``batch_size``.

    Returns
    -------
    None; ``anchors`` stay None.
    """
    from retold.sign.lexical import exact_hash
    from retold.sign.minhash import oph_batch, shingle_hashes_many

    k = settings.shingle_size
    mod = np.uint64(max(settings.fingerprint_mod, 1))
    batch = max(settings.batch_size, 1) * 4
    for s in range(0, len(docs), batch):
        part = docs[s : s + batch]
        x, counts = shingle_hashes_many([d.tok_hash for d in part], k)
        sigs = oph_batch((x, counts), settings.num_perm, settings.seed)
        owner = np.repeat(np.arange(len(part), dtype=np.int64), counts)
        pick = (x % mod) == 0
        ntok = np.fromiter((d.n_tokens for d in part), dtype=np.int64, count=len(part))
        if (ntok < k).any():  # below k tokens the "shingles" are single words: no fingerprints
            pick &= np.repeat(ntok >= k, counts)
        v, w = x[pick], owner[pick]
        o = np.lexsort((v, w))
        v, w = v[o], w[o]
        new = np.ones(v.shape[0], dtype=bool)
        new[1:] = (v[1:] != v[:-1]) | (w[1:] != w[:-1])
        v, w = v[new], w[new]
        cut = np.searchsorted(w, np.arange(len(part) + 1)).tolist()
        for n, (d, sig) in enumerate(zip(part, sigs)):
            d.exact_hash = exact_hash(d.tok_hash)
            d.minhash = sig
            d.fingerprints = v[cut[n] : cut[n + 1]]


def _can_reach(docs: list[Doc], pairs: np.ndarray, dropped: set[str], settings: Settings) -> np.ndarray:
    """Per pair: whether its lengths allow a dropped copy relation at all (exactly, not an estimate).

    A duplicate or near duplicate needs both sides covered (``near_duplicate_min_coverage``
    and more). A verbatim passage is runs of at least ``k`` matching tokens joined across gaps
    of at most ``_MAX_GAP`` tokens on each side (``compare.verbatim``), so its length on one
    side is at most ``1 + _MAX_GAP / k`` times its length on the other, and passages do not
    overlap: the longer text's coverage is at most that factor times the shorter's length over
    its own. Where that bound is below what the relation needs, verifying cannot find it. With
    partial dropped every pair may reach it (one side suffices).
    """
    from retold.compare.verbatim import _MAX_GAP, _SEED_K  # the passage rules the bound rests on

    if "partial" in dropped or not dropped & {"duplicate", "near_duplicate"}:
        return np.ones(pairs.shape[0], dtype=bool)
    t = settings.thresholds
    need = t.near_duplicate_min_coverage if "near_duplicate" in dropped else min(
        t.duplicate_min_coverage, t.duplicate_min_coverage_no_jaccard
    )
    k = max(1, min(_SEED_K, settings.min_passage_tokens))
    n = np.fromiter((d.n_tokens for d in docs), dtype=np.float64, count=len(docs))
    lo = np.minimum(n[pairs[:, 0]], n[pairs[:, 1]])
    hi = np.maximum(n[pairs[:, 0]], n[pairs[:, 1]])
    return (1.0 + _MAX_GAP / k) * lo >= need * hi - 1e-9


def copy_docs(articles: list[Article], progress: Progress | None = None) -> list[Doc]:
    """Docs for finding copies: tokens and boilerplate as ``retold.clean.prepare`` has them,
    without what only the other relations read.

    The same first pass as ``prepare`` (``scan_article``: tokens, line keys, furniture
    shapes) and the same boilerplate (``learn_boilerplate`` over the corpus, then a line is
    boilerplate when it has a furniture shape, repeats within its article, or is the corpus's
    or its site's boilerplate), so the token streams, and with them every copy relation of
    the copy engine (``copy_relations`` reads tokens, MinHash and fingerprints only), are
    those of ``prepare``. Left out: sentence splitting (each line stands for its sentences),
    quotations and language identification, which only rewrites, translations and stories
    read; on the speed bench's 10k corpus they were about half of ``prepare``'s time.

    Parameters
    ----------
    articles:
        The articles, in order.
    progress:
        Progress display.

    Returns
    -------
    One Doc per article: ``sent_spans`` are its non-blank lines, ``lang`` the given one or
    ``"und"``.
    """
    from retold.clean import scan_article
    from retold.clean.boiler import learn_boilerplate
    from retold.clean.tokens import tokenize_many

    progress = progress or NullProgress()
    scans = []
    for k in range(0, len(articles), 256):
        block = [a.text for a in articles[k : k + 256]]
        scans += [scan_article(t, tok) for t, tok in zip(block, tokenize_many(block))]
    model = learn_boilerplate([list(zip(sc.keys, sc.n_words)) for sc in scans], [a.source for a in articles])
    docs: list[Doc] = []
    anywhere = model.anywhere
    for a, sc in progress.track(list(zip(articles, scans)), total=len(articles), label="clean"):
        site = model.by_source.get(a.source) if a.source is not None else None
        keys = sc.keys
        if any(sc.generic) or len(set(keys)) < len(keys) or not anywhere.isdisjoint(keys) or (site and not site.isdisjoint(keys)):
            seen: set[int] = set()
            boiler = np.zeros(len(sc.lines), dtype=bool)
            for n, (key, n_words, generic) in enumerate(zip(keys, sc.n_words, sc.generic)):
                boiler[n] = generic or (n_words > 0 and (key in seen or model.is_boiler(key, a.source)))
                seen.add(key)
        else:  # the common case: no line of the article is boilerplate
            boiler = np.zeros(len(sc.lines), dtype=bool)
        spans = np.asarray(sc.lines, dtype=np.int32).reshape(-1, 2)
        hashes, tok_spans = sc.hashes, sc.spans
        if spans.shape[0] and hashes.size:
            line = np.searchsorted(spans[:, 0], tok_spans[:, 0], side="right") - 1
            keep = line >= 0
            keep[keep] &= tok_spans[keep, 1] <= spans[line[keep], 1]
            if boiler.any():
                keep[keep] &= ~boiler[line[keep]]
            if keep.all():
                tok_sent = line.astype(np.int32)
            else:
                hashes, tok_spans, tok_sent = hashes[keep], tok_spans[keep], line[keep].astype(np.int32)
        else:
            hashes, tok_spans, tok_sent = hashes[:0], tok_spans[:0], np.zeros(0, dtype=np.int32)
        docs.append(
            Doc(
                article=a,
                lang=a.lang or _UNDETERMINED,
                sent_spans=spans,
                sent_boiler=boiler,
                tok_hash=np.ascontiguousarray(hashes, dtype=np.uint64),
                tok_spans=np.ascontiguousarray(tok_spans, dtype=np.int32).reshape(-1, 2),
                tok_sent=tok_sent,
                tok_quoted=np.zeros(hashes.shape[0], dtype=bool),
            )
        )
    return docs


def _verify(docs: list[Doc], pairs: np.ndarray, settings: Settings, engine) -> tuple[list, np.ndarray]:
    """``copy_relations`` of a block of pairs: (relation or None per pair, (P, 2) coverages).

    A large block is cut in one part per core and verified on forked workers when the engine
    is this machine's (``LocalEngine``): they read the parent's docs without copying them,
    and only the pairs go in and the relations come back. Elsewhere (Ray) it runs here, as
    shipping every doc to a cluster for each block would cost more than it saves.
    """
    from retold.decide.copy import copy_relations
    from retold.engines import LocalEngine

    procs = engine.processes if isinstance(engine, LocalEngine) else 1
    if procs < PARALLEL_MIN_CORES or pairs.shape[0] < PARALLEL_MIN_PAIRS:
        rels, cov, _ = copy_relations(docs, pairs, settings)
        return rels, cov
    parts = np.array_split(pairs, procs)

    def one(k: int) -> tuple[list, np.ndarray]:
        r, c, _ = copy_relations(docs, parts[k], settings)
        return r, c

    pool = LocalEngine(threads=engine.threads, processes=procs, min_items=1, chunk=1, timeout_s=engine.timeout_s)
    rels: list = []
    covs: list[np.ndarray] = []
    for r, c in pool.map(one, list(range(procs)), label="verify"):
        rels += r
        covs.append(c)
    return rels, np.concatenate(covs)


def copy_links(
    articles: list[Article],
    settings: Settings,
    drop: Sequence[str],
    engine=None,
    progress: Progress | None = None,
    stats: dict[str, float] | None = None,
) -> tuple[list[Doc], list[Link], Callable[[list[str]], dict[str, float]]]:
    """The copy links that tie clusters, found with as little verification as the clusters allow.

    Clean (``copy_docs``) and sign the articles, take the lexical candidates, leave out the
    pairs whose lengths cannot reach a dropped relation (``_can_reach``, exact), then verify
    in bulk (``retold.decide.copy.copy_relations``) in two rounds (``ROUNDS``): the pairs of
    MinHash Jaccard >= 0.5, then the others whose two articles are still in two clusters. A
    pair inside one cluster cannot change the clusters, so they come out as if every
    candidate pair had been verified. On the speed bench's 10k corpus 126k of the 145k
    candidate pairs are still verified: most are an excerpt against each copy of its
    source, each of which could be a near duplicate.

    Parameters
    ----------
    articles:
        The new articles, in input order.
    settings:
        The run's settings (``semantic`` is not read: copies only).
    drop:
        The relations that tie clusters (duplicate, near_duplicate and partial are the ones
        found here).
    engine:
        Where the cleaning's per-article work runs.
    progress:
        Progress display.
    stats:
        Filled with seconds per stage and the counts of pairs proposed and verified.

    Returns
    -------
    ``(docs, links, hub)``: the docs in input order, a :class:`Link` for every verified pair of a
    dropped relation (coverages are shares of tokens, scores the copy engine's), and the
    hub scores of a cluster (sum of MinHash Jaccard over its candidate pairs).
    """
    from retold.candidates.lexical import candidate_pairs
    from retold.decide.copy import minhash_jaccard_many
    from retold.engines import LocalEngine

    stats = stats if stats is not None else {}
    progress = progress or NullProgress()
    engine = engine if engine is not None else LocalEngine(threads=settings.threads)
    dropped = set(drop)
    t = time.perf_counter()
    docs = copy_docs(articles, progress)
    stats["time_clean_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sign_copies(docs, settings)
    stats["time_sign_s"] = time.perf_counter() - t
    t = time.perf_counter()
    cand, _tags = candidate_pairs(docs, np.ones(len(docs), dtype=bool), settings)
    stats["time_candidates_s"] = time.perf_counter() - t
    stats["candidates"] = float(cand.shape[0])
    t = time.perf_counter()
    jac = minhash_jaccard_many(docs, cand)
    possible = np.flatnonzero(_can_reach(docs, cand, dropped, settings))
    stats["beyond_reach"] = float(cand.shape[0] - possible.shape[0])
    uf = _UnionFind(len(docs))
    ids = [d.id for d in docs]
    links: list[Link] = []
    verified = 0
    order = possible[np.argsort(-jac[possible], kind="stable")]
    for k, lo in enumerate(ROUNDS):
        now = order[jac[order] >= lo] if k + 1 < len(ROUNDS) else order
        order = order[jac[order] < lo]
        r = uf.roots()
        now = now[r[cand[now, 0]] != r[cand[now, 1]]]
        if now.shape[0] == 0:
            continue
        verified += int(now.shape[0])
        rels, cov = _verify(docs, cand[now], settings, engine)
        for k, rel, (ca, cb) in zip(now.tolist(), rels, cov.tolist()):
            if rel is None or rel[0] not in dropped:
                continue
            i, j = int(cand[k, 0]), int(cand[k, 1])
            uf.union(i, j)
            links.append(Link(ids[i], ids[j], rel[0], rel[1], ca, cb))
    stats["time_verify_s"] = time.perf_counter() - t
    stats["verified"] = float(verified)
    roots = uf.roots()
    inside = roots[cand[:, 0]] == roots[cand[:, 1]]
    score = np.zeros(len(docs), dtype=np.float64)
    np.add.at(score, cand[inside, 0], jac[inside])
    np.add.at(score, cand[inside, 1], jac[inside])
    index_of = {d.id: k for k, d in enumerate(docs)}

    def hub(ids: list[str]) -> dict[str, float]:
        return {i: float(score[index_of[i]]) for i in ids}

    return docs, links, hub


# --- the whole job ------------------------------------------------------------------


def _read(inputs: Any) -> tuple[str, Any, list[Article], list[Problem]]:
    """(kind, the inputs as given or listed, articles, problems); kind: paths, records, table, articles."""
    from collections.abc import Mapping

    from retold.ingest import read_articles
    from retold.ingest.tables import is_table, read_records

    if is_table(inputs):
        arts, probs = read_records(inputs)
        return "table", inputs, arts, probs
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    items = list(inputs)
    if items and all(isinstance(x, Article) for x in items):
        return "articles", items, list(items), []
    if items and all(isinstance(x, Mapping) for x in items):
        arts, probs = read_records(items)
        return "records", items, arts, probs
    if any(not isinstance(x, (str, os.PathLike)) for x in items):
        raise TypeError("dedup() takes paths, records (dicts), a table (pandas, pyarrow) or Articles, one kind at a time")
    paths = [Path(x) for x in items]
    arts, probs = read_articles(paths)
    return "paths", paths, arts, probs


def _filtered(kind: str, given: Any, articles: list[Article], kept: set[str]) -> Any:
    """The in-memory input without the rows of removed (or unread) articles."""
    from retold.ingest.tables import is_pandas, row_of

    if kind == "articles":
        return [a for a in given if a.id in kept]
    rows = sorted(r for a in articles if a.id in kept for r in [row_of(a)] if r is not None)
    if kind == "records":
        return [given[r] for r in rows]
    if is_pandas(given):
        return given.iloc[rows]
    import pyarrow as pa

    t = given if isinstance(given, (pa.Table, pa.RecordBatch)) else pa.table(given)
    return t.take(pa.array(rows, type=pa.int64()))


def _clear_previous(out: Path) -> None:
    """Remove the corpus files an earlier dedup wrote into ``out`` (named in its manifest)."""
    man = out / MANIFEST
    if not man.is_file():
        return
    try:
        names = json.loads(man.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        names = []
    root = os.path.realpath(out)
    for name in names:
        p = os.path.realpath(out / str(name))
        if p.startswith(root + os.sep) and os.path.isfile(p):
            os.unlink(p)
    man.unlink()


def run_dedup(
    inputs: Any,
    out: str | Path | None = None,
    *,
    scan: Callable[..., ScanResult],
    drop: str | Iterable[str] = DEFAULT_DROP,
    keep: str = "origin",
    settings: Settings | None = None,
    index: Any = None,
    encoder: Any = None,
    engine: Any = None,
    progress: Progress | None = None,
    format: str = "jsonl",
) -> DedupResult:
    """The corpus without the articles that reuse another; one article of every cluster stays.

    ``retold.dedup`` (``retold.pipeline.dedup``) is this with ``scan=retold.scan``: the scan
    is passed in because this module comes before the pipeline in the flow.

    Parameters
    ----------
    inputs:
        Paths of files or folders (JSONL, CSV, Parquet, one-article files, any mix), records
        (an iterable of dicts), a pandas DataFrame, a pyarrow Table, or Articles.
    out:
        Folder to write to: the corpus in its own format (paths only: the same files under
        the same relative names, each kept record unchanged), ``removed.<format>`` and, when
        records were skipped, ``problems.<format>``. None: write nothing.
    drop:
        The relations that make a copy (``DROPPABLE``), as a list or ``"a,b"``.
    keep:
        Which member of a cluster stays: ``origin``, ``earliest``, ``longest`` or ``first``.
    settings:
        The scan's settings; ``Settings(semantic=False)`` finds copies only (duplicate,
        near_duplicate, partial), much faster.
    index:
        An index (path or open ``Index``): new articles are checked against everything in
        it, and added to it as ``retold scan --index`` adds them; indexed articles are never
        written, and a new article in a cluster with an indexed one is removed.
    scan:
        The scan to run (``retold.pipeline.scan``) where the copies-only path does not apply.
    encoder, engine, progress:
        Passed to the scan (``engine`` also runs the copies-only path's cleaning).
    format:
        ``jsonl`` or ``parquet``, for ``removed`` and ``problems``.

    Returns
    -------
    A :class:`DedupResult`: ids kept and removed, problems, timings, the files written and,
    for in-memory input, ``data``: that input without the removed rows.
    """
    from retold.show.jsonl import check_format, clear_outputs, write_problems, write_records
    from retold.show.tables import REMOVED

    drop = parse_drop(drop)
    check_keep(keep)
    check_format(format)
    settings = replace(settings or Settings(), implied_pairs=False)  # implied pairs are never reuse
    progress = progress or NullProgress()
    stats: dict[str, float] = {}
    t0 = time.perf_counter()
    kind, given, articles, problems = _read(inputs)
    stats["time_ingest_s"] = time.perf_counter() - t0
    stats["read"] = float(len(articles))
    out_dir = Path(out) if out is not None else None
    plan = []
    if out_dir is not None and kind == "paths":
        from retold.show.corpus import plan_corpus

        reserved = [f"{n}.{f}" for n in ("removed", "problems") for f in ("jsonl", "parquet")]
        plan = plan_corpus(given, out_dir, reserved=reserved)

    from retold.engines import LocalEngine

    scan_result: ScanResult | None = None
    if not settings.semantic and index is None and (engine is None or isinstance(engine, LocalEngine)):
        docs, links, hub = copy_links(articles, settings, drop, engine=engine, progress=progress, stats=stats)
        members = members_of(docs)
        new_ids = [d.id for d in docs]
    else:
        scan_result = scan(articles, settings=settings, index=index, encoder=encoder, engine=engine, progress=progress)
        problems = problems + scan_result.problems
        stats.update({k: v for k, v in scan_result.stats.items() if k != "time_ingest_s"})
        # the scan's docs are the index's, in the order they were added, then the new ones (an
        # input article whose id the index holds already is skipped by the scan: indexed)
        docs_all = list(scan_result.docs.values())
        n_old = len(docs_all) - int(scan_result.stats.get("articles_new", len(docs_all)))
        indexed = {d.id for d in docs_all[:n_old]}
        new_ids = [a.id for a in articles if a.id in scan_result.docs and a.id not in indexed]
        members = members_of(docs_all, indexed)
        links = [p for p in scan_result.pairs if p.basis == "compared"]
        hub = reuse_hub(links)

    t = time.perf_counter()
    removed = plan_removals(members, links, drop, keep, hub)
    gone = {r.id for r in removed}
    kept_ids = [i for i in new_ids if i not in gone]
    kept_set = set(kept_ids)
    stats["time_choose_s"] = time.perf_counter() - t
    stats["articles"] = float(len(new_ids))
    stats["kept"] = float(len(kept_ids))
    stats["removed"] = float(len(removed))

    res = DedupResult(kept=kept_ids, removed=removed, problems=problems, stats=stats, scan=scan_result)
    if kind != "paths":
        res.data = _filtered(kind, given, articles, kept_set)
    if out_dir is not None:
        t = time.perf_counter()
        out_dir.mkdir(parents=True, exist_ok=True)
        _clear_previous(out_dir)
        clear_outputs(out_dir, ["removed"])
        if plan:
            from retold.show.corpus import write_corpus

            where = {a.where for a in articles if a.id in kept_set and a.where}
            written = write_corpus(plan, where, out_dir)
            res.files.update({str(p.relative_to(out_dir)): p for p in written})
            (out_dir / MANIFEST).write_text(
                json.dumps({"files": sorted(str(p.relative_to(out_dir).as_posix()) for p in written)}, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
        res.files["removed"] = write_records(out_dir / f"removed.{format}", (r.to_dict() for r in removed), REMOVED)
        pr = write_problems(problems, out_dir, format)
        if pr is not None:
            res.files["problems"] = pr
        stats["time_write_s"] = time.perf_counter() - t
    stats["time_total_s"] = time.perf_counter() - t0
    return res


def summary(res: DedupResult) -> str:
    """The line ``retold dedup`` prints, so a person sees at once what went.

    Parameters
    ----------
    res:
        A dedup's result.

    Returns
    -------
    Articles kept of all, removed by relation, and records that could not be read.
    """
    by = Counter(r.relation for r in res.removed)
    parts = ", ".join(f"{rel} {by[rel]:,}" for rel in RELATIONS if by.get(rel))
    n = len(res.kept) + len(res.removed)
    line = f"kept {len(res.kept):,} of {n:,} articles; removed {len(res.removed):,}" + (f" ({parts})" if parts else "")
    if res.problems:
        line += f"; {len(res.problems):,} records could not be read (problems.{'parquet' if str(res.files.get('problems', '')).endswith('.parquet') else 'jsonl'})"
    return line


__all__ = [
    "DROPPABLE",
    "DEFAULT_DROP",
    "KEEP_RULES",
    "DedupError",
    "DedupResult",
    "Removal",
    "Member",
    "Link",
    "run_dedup",
    "copy_docs",
    "sign_copies",
    "parse_drop",
    "check_keep",
    "plan_removals",
    "survivor",
    "copy_links",
    "reuse_hub",
    "members_of",
    "summary",
]
