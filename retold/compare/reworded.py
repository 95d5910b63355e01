"""Paraphrased partial reuse: sentences of one text reworded from the other, in one language.

A newspaper story that rewrites a few paragraphs of a wire story, or a roundup that
paraphrases one paragraph of a report, shares little verbatim text and aligns too little of
both sides to be a ``rewrite``. What it keeps is sentence-level reuse: a run of its sentences
each *means* what a sentence of the source means (a high cosine) *and* keeps a good share of
its content words. Either alone is not enough:

- meaning alone is what independent reports of one event share: ECB+ reports of one
  earthquake reach cosine 0.7-0.8 on the sentence that gives the magnitude;
- words alone are what any two texts naming the same people share.

So a sentence pair counts as reworded when both hold (``Thresholds.reworded_min_sim``,
``Thresholds.reworded_min_words``), shared quotations set aside, aligned in order; the share
of each side so covered, together with its verbatim passages, is ``reworded_a`` /
``reworded_b``. ``decide/relation.py`` calls a pair ``partial`` when one side is covered
enough, with the reworded sentences as passages of kind ``paraphrase``.

The meaning comes from the vectors the pair already has: the encoder's sentence vectors
when both texts have them, else the static second model's, which every article gets in the
sign stage (``sign/second.py``); nothing is encoded here, so this runs on the engine's
workers at the cost of a few array lookups.
"""

from __future__ import annotations

import numpy as np

from retold.compare.align import Alignment, monotone_alignment
from retold.compare.anchors import sentence_keys
from retold.model import Doc
from retold.sign import second
from retold.sign.names import weighted_overlap


def meaning_matrix(a: Doc, b: Doc, al: Alignment | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(cosine of every content sentence pair, content sentence numbers of a, of b), from the
    encoder's alignment when both texts are encoded, else from the static second model's
    sign-stage vectors; None when neither is at hand (the slow second model is never run)."""
    if al is not None and a.sent_vecs is not None and b.sent_vecs is not None:
        return al.sim, al.rows, al.cols
    if not (second.cheap() and second.signed(a) and second.signed(b)):
        return None
    va, vb = a.second_vecs, b.second_vecs
    if va is None or vb is None or not len(va) or not len(vb):
        return None
    ra, cb = a.content_sentences()[: len(va)], b.content_sentences()[: len(vb)]
    return np.asarray(va, dtype=np.float32) @ np.asarray(vb, dtype=np.float32).T, ra, cb


def reworded_pairs(
    a: Doc,
    b: Doc,
    meaning: tuple[np.ndarray, np.ndarray, np.ndarray],
    min_sim: float,
    min_words: float,
    quotes: tuple[np.ndarray, np.ndarray],
    quote_share: float,
) -> list[tuple[int, int, float]]:
    """Sentence pairs (doc sentence numbers, cosine), in order on both sides, that mean the
    same (cosine ≥ ``min_sim``) and share content words (weighted overlap coefficient ≥
    ``min_words``), neither pair both quotations (a quote two reports give is not reuse);
    plus the neighbours of an aligned pair reworded into the same partner (a merge or split).

    Only the few cells over ``min_sim`` have their words compared, so the cost follows them.
    """
    sim, ra, cb = meaning
    if not sim.size:
        return []
    qa, qb = quotes
    hits = np.argwhere(sim >= min_sim)
    if not len(hits):
        return []
    kept = np.zeros(sim.shape, dtype=np.float32)
    for i, j in hits:
        si, sj = int(ra[i]), int(cb[j])
        if qa[si] >= quote_share and qb[sj] >= quote_share:
            continue
        x, y = sentence_keys(a, si), sentence_keys(b, sj)
        if x and y and weighted_overlap(x, y)[0] >= min_words:
            kept[i, j] = sim[i, j]
    if not kept.any():
        return []
    pairs = monotone_alignment(kept, min_sim - 1e-6)
    # a rewording merges two sentences into one, or splits one in two: a neighbour of an
    # aligned sentence reworded into the same partner counts too
    seen = set(pairs)
    for i, j in list(pairs):
        for x, y in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if 0 <= x < kept.shape[0] and 0 <= y < kept.shape[1] and kept[x, y] > 0 and (x, y) not in seen:
                seen.add((x, y))
                pairs.append((x, y))
    return [(int(ra[i]), int(cb[j]), float(sim[i, j])) for i, j in sorted(pairs)]


__all__ = ["meaning_matrix", "reworded_pairs"]
