"""Lexical relations from verbatim coverage: duplicate, near_duplicate, partial.

Coverage of a side is the share of its matchable tokens that lie inside verbatim
passages shared with the other side (see ``retold.compare.verbatim.token_coverage``).
The thresholds (``Thresholds.duplicate_min_coverage`` and the next five, in
``retold/data/thresholds.json``) follow from what each relation means, not from one data set:

- duplicate: "only layout, boilerplate or a few characters differ". Both sides are
  almost entirely covered, AND (when known) the shingle Jaccard stays high: a light
  edit also reaches high coverage because passages bridge one- or two-word changes,
  but every changed word removes k shingles from each side. With c of n words changed,
  5-gram Jaccard is about (1 - 5c/n) / (1 + 5c/n): 0.9 at 1% of the words, 0.6 at 5%,
  while a changed header or footer leaves it near 0.98. Two machine translations of one
  source that differ in a handful of words (Jaccard 0.80-0.89 on WMT22 tune) are
  "words changed", so near_duplicate, not duplicate.
- near_duplicate: "most text verbatim both ways": more than half of each side.
- partial: one side reuses a substantial part of the other. An excerpt of 30% of a
  source embedded in a host article of similar length covers ~30% of the source and
  ~25-35% of the host, so neither side needs to be "high": the test is that at least a
  quarter of one side is verbatim shared, far above what one shared quotation or stock
  phrase gives (a few percent). Counted in tokens inside verbatim runs, several short
  runs (the quotations and stock phrases two reports of one event share, 8-12 words
  each) can add up to a quarter too; counted in word k-grams (``containment``), a run
  of L words weighs L - 4 five-grams, so such runs weigh about half while an excerpt's
  long run keeps its weight. Partial needs a quarter by both counts, where the k-gram
  count is known.
"""

from __future__ import annotations

import numpy as np

from retold.config import Settings, Thresholds
from retold.model import Doc

def copy_relation(
    cov_a: float, cov_b: float, t: Thresholds, *, jaccard: float | None = None, containment: float | None = None
) -> tuple[str, float] | None:
    """The lexical relation implied by verbatim coverage of each side, with a score in [0, 1].

    The score is the coverage that justifies the relation: the lower side for duplicate
    and near_duplicate (both must hold), the higher side for partial (one must hold).
    ``containment`` (word k-grams of the smaller side found in the other), when given,
    must reach ``t.partial_min_containment`` too for partial.
    """
    for name, v in (("cov_a", cov_a), ("cov_b", cov_b)):
        if not 0.0 <= v <= 1.0 + 1e-9:
            raise ValueError(f"{name} must be a share in [0, 1], got {v!r}")
    lo, hi = min(cov_a, cov_b), max(cov_a, cov_b)
    if jaccard is None:
        if lo >= t.duplicate_min_coverage_no_jaccard:
            return "duplicate", lo
    elif lo >= t.duplicate_min_coverage and jaccard >= t.duplicate_min_jaccard:
        return "duplicate", lo
    if lo >= t.near_duplicate_min_coverage:
        return "near_duplicate", lo
    if hi >= t.partial_min_coverage and (containment is None or containment >= t.partial_min_containment):
        return "partial", hi
    return None


def copy_direction(a: Doc, b: Doc, cov_a: float, cov_b: float) -> str | None:
    """``"a->b"`` when a is the source, ``"b->a"`` when b is, None when it cannot be told.

    Dates decide when both are known and differ: a text cannot copy one published later.
    Without dates the containment structure is NOT used: the contained, shorter text is
    the derived one for an excerpt or a trimmed copy, but the source when a roundup
    embeds wire copy; both are common in news, so coverage alone would guess. We then
    return None and leave the direction to the family level (the hub of a family of
    copies is its likely origin), where the structure of many pairs is clearer.
    """
    da, db = a.article.published, b.article.published
    if da is not None and db is not None:
        try:
            if da < db:
                return "a->b"
            if db < da:
                return "b->a"
        except TypeError:  # one aware, one naive datetime: not comparable, say nothing
            return None
    return None


#: Below both of these estimates a pair cannot reach any copy relation, so it is not
#: verified. Partial reuse needs 25% of one side verbatim; a 25% share of a side shows up
#: as ~25% of its fingerprints shared (a 1-in-``fingerprint_mod`` sample of its
#: k-grams), so 0.08 leaves a factor of three for sampling noise. MinHash Jaccard of a
#: near duplicate is above 0.3; 0.05 is far below.
SKIP_MAX_CONTAINMENT = 0.08
SKIP_MAX_JACCARD = 0.05
#: Fingerprint samples smaller than this are too noisy to skip on.
SKIP_MIN_FINGERPRINTS = 12


def copy_relations(docs: list[Doc], pairs: np.ndarray, settings: Settings) -> tuple[list[tuple[str, float] | None], np.ndarray, dict[str, int]]:
    """Copy relation of many candidate pairs ((P, 2) doc indices) in bulk.

    Returns (relation or None per pair, (P, 2) coverages, counts of the work saved).
    Why in bulk: a large corpus has hundreds of thousands of candidate pairs. Three
    things cut the cost without changing any answer beyond sampling noise:
    - docs with one exact hash have one token stream, so every pair is verified once per
      pair of stream classes (exact duplicates become a star, not all pairs);
    - pairs whose MinHash Jaccard and fingerprint containment estimates are both far
      below what any copy relation needs are not verified (``SKIP_*``);
    - the rest are verified together by :func:`verbatim_coverage_many`.
    Passages are not made here; ``verbatim_passages`` gives them for a pair when asked.
    Duplicate vs near_duplicate reads the MinHash estimate of the Jaccard here, where
    ``compare_docs`` counts it (0.4 ms a pair: too slow for millions of pairs); the two
    can differ for pairs within about 0.03 of ``Thresholds.duplicate_min_jaccard``.
    """
    from retold.compare.verbatim import verbatim_coverage_many  # local: compare imports decide elsewhere

    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n = pairs.shape[0]
    rels: list[tuple[str, float] | None] = [None] * n
    cov = np.zeros((n, 2), dtype=np.float64)
    info = {"pairs": n, "verified": 0, "skipped": 0}
    if n == 0:
        return rels, cov, info
    jac = minhash_jaccard_many(docs, pairs)
    contain = fingerprint_containment_many(docs, pairs)
    nfp = np.fromiter((0 if d.fingerprints is None else d.fingerprints.shape[0] for d in docs), dtype=np.int64, count=len(docs))
    reliable = np.minimum(nfp[pairs[:, 0]], nfp[pairs[:, 1]]) >= SKIP_MIN_FINGERPRINTS
    skip = reliable & (contain < SKIP_MAX_CONTAINMENT) & (jac < SKIP_MAX_JACCARD)
    info["skipped"] = int(skip.sum())
    # one representative per exact-hash class
    ex = np.fromiter((d.exact_hash for d in docs), dtype=np.uint64, count=len(docs))
    rep = np.arange(len(docs), dtype=np.int64)
    nz = np.flatnonzero(ex != 0)
    if nz.shape[0]:
        _, first, inv = np.unique(ex[nz], return_index=True, return_inverse=True)
        rep[nz] = nz[first][inv]
    todo = np.flatnonzero(~skip)
    rp = rep[pairs[todo]]
    uniq, back = np.unique(rp, axis=0, return_inverse=True)
    info["verified"] = int(uniq.shape[0])
    cov[todo] = verbatim_coverage_many(docs, uniq, settings)[back.reshape(-1)]
    np.minimum(cov, 1.0, out=cov)
    for p, ca, cb, j in zip(todo.tolist(), cov[todo, 0].tolist(), cov[todo, 1].tolist(), jac[todo].tolist()):
        rels[p] = copy_relation(ca, cb, settings.thresholds, jaccard=j)
    return rels, cov, info


def minhash_jaccard_many(docs: list[Doc], pairs: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Share of equal MinHash slots of each pair (0 where a doc has no signature)."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(pairs.shape[0], dtype=np.float64)
    ok = np.array([d.minhash is not None and d.n_tokens > 0 for d in docs], dtype=bool)
    if not ok.any() or pairs.shape[0] == 0:
        return out
    p = next(d.minhash.shape[0] for d in docs if d.minhash is not None)
    sigs = np.stack([d.minhash if d.minhash is not None else np.zeros(p, np.uint32) for d in docs])
    for s in range(0, pairs.shape[0], chunk):
        a, b = pairs[s : s + chunk, 0], pairs[s : s + chunk, 1]
        out[s : s + chunk] = (sigs[a] == sigs[b]).mean(axis=1) * (ok[a] & ok[b])
    return out


def fingerprint_containment_many(docs: list[Doc], pairs: np.ndarray) -> np.ndarray:
    """Shared fingerprints / the smaller fingerprint count, per pair (0 if either has none).

    One sorted table of (doc, fingerprint) keys and one binary search per fingerprint of
    each pair's second doc.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    fps = [d.fingerprints if d.fingerprints is not None else np.zeros(0, np.uint64) for d in docs]
    lens = np.fromiter((f.shape[0] for f in fps), dtype=np.int64, count=len(fps))
    out = np.zeros(pairs.shape[0], dtype=np.float64)
    if pairs.shape[0] == 0 or lens.sum() == 0:
        return out
    shift = np.uint64(max(1, int(len(docs) - 1).bit_length()))
    top = np.uint64(64) - shift

    def keys(owner: np.ndarray, f: np.ndarray) -> np.ndarray:
        return (owner.astype(np.uint64) << top) | (f >> shift)

    table = np.sort(keys(np.repeat(np.arange(len(docs)), lens), np.concatenate(fps)))
    offs = np.concatenate([[0], np.cumsum(lens)])
    allf = np.concatenate(fps)
    for s in range(0, pairs.shape[0], 65536):
        a, b = pairs[s : s + 65536, 0], pairs[s : s + 65536, 1]
        qn = lens[b]
        pid = np.repeat(np.arange(a.shape[0]), qn)
        src = np.repeat(offs[b], qn) + (np.arange(int(qn.sum())) - np.repeat(np.cumsum(qn) - qn, qn))
        q = keys(a[pid], allf[src])
        idx = np.minimum(np.searchsorted(table, q), table.shape[0] - 1)
        shared = np.bincount(pid[table[idx] == q], minlength=a.shape[0])
        lo = np.minimum(lens[a], lens[b])
        out[s : s + 65536] = np.where(lo > 0, shared / np.maximum(lo, 1), 0.0)
    return out
