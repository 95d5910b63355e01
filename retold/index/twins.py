"""New articles that are word-for-word twins of indexed ones take their twin's vectors and pairs.

Why: a crawl or a daily feed brings the same wire story again and again. An index compares
each new article against the indexed docs of its candidate pairs, so the tenth copy of a story
was compared in full with the nine before it and with every article that meets them, although
the index already holds the evidence of its twin against each of those (on the speed bench's
corpus scanned 2,000 articles at a time, most pairs of the later batches were such pairs).

A new doc of the same class as an indexed doc (``retold.decide.identical``: the same content
sentences, language and signatures) is compared with that twin as usual, and its candidate
pair with any other indexed doc whose pair with the twin is stored is not compared: the stored
pair is replayed with the new doc's date (relation decided again, direction by the dates).
A candidate whose stored pair is missing (the twin and that doc were unrelated, or never
met) is compared as usual. Before that, in the sign stage, the twin takes the indexed one's
sentence, article and static vectors instead of being encoded again (``borrow_vectors``).
"""

from __future__ import annotations

import numpy as np

from retold.config import Settings
from retold.decide.identical import class_key, replay, swapped
from retold.index.incremental import _fetch
from retold.index.postings import EXACT, from_i64, to_i64
from retold.model import Doc, Pair


def borrow_vectors(index, docs: list[Doc]) -> int:  # noqa: ANN001
    """Give each new doc that is a twin of an indexed one that one's vectors (sentences, article,
    the static model's): the index keeps them, and encoding the same sentences again is the
    costliest stage of a scan. A twin is found by its exact hash (the postings) and confirmed
    by the text of its content sentences and its language; docs that already have vectors are
    left alone. Returns how many docs were given vectors."""
    todo = [d for d in docs if d.exact_hash and d.sent_vecs is None]
    if not todo or index.postings_bands() is None:  # an index of format 1 has no postings yet
        return 0
    keys = to_i64(np.array(sorted({d.exact_hash for d in todo}), dtype=np.uint64)).tolist()
    rows = _fetch(index, "SELECT key, min(seq) FROM postings WHERE kind = ? AND key IN ({marks}) GROUP BY key", keys, (EXACT,))
    if not rows:
        return 0
    found = from_i64(np.array([k for k, _ in rows], dtype=np.int64)).tolist()
    seq_of = {int(h): int(s) for h, (_, s) in zip(found, rows)}
    seqs = sorted(set(seq_of.values()))
    twin_of_seq = dict(zip(seqs, index._docs_by_seq(seqs)))
    given = 0
    for d in todo:
        s = seq_of.get(d.exact_hash)
        t = twin_of_seq.get(s) if s is not None else None
        if t is None or t.sent_vecs is None or t.vec is None or t.lang != d.lang:
            continue
        mine, theirs = d.content_sentences(), t.content_sentences()
        if len(mine) != len(theirs) or any(d.sentence(int(i)) != t.sentence(int(j)) for i, j in zip(mine, theirs)):
            continue
        sv = np.zeros((len(d.sent_spans), t.sent_vecs.shape[1]), dtype=t.sent_vecs.dtype)
        sv[mine] = t.sent_vecs[theirs]
        d.sent_vecs, d.vec = sv, np.array(t.vec, copy=True)
        if t.second_vecs is not None and d.second_vecs is None:
            d.second_vecs = np.array(t.second_vecs, copy=True)
        given += 1
    return given


def replay_indexed_twins(
    index, docs: list[Doc], n_old: int, cand: dict[tuple[int, int], set[str]], settings: Settings  # noqa: ANN001
) -> tuple[list[Pair], dict[tuple[int, int], set[str]]]:
    """(the replayed pairs, the candidates left to compare). ``docs``: the indexed docs read
    for this scan (the first ``n_old``) then the new ones; ``cand``: their candidate pairs
    (i < j, as ``indexed_candidates`` gives them); ``index``: the open ``Index`` they came from."""
    if n_old == 0 or n_old == len(docs):
        return [], cand
    first_old: dict[int, int] = {}
    for k in range(n_old):
        first_old.setdefault(class_key(docs[k]), k)
    twin_of: dict[int, int] = {}
    for m in range(n_old, len(docs)):
        r = first_old.get(class_key(docs[m]))
        if r is not None:
            twin_of[m] = r
    wanted = [(i, j) for (i, j) in cand if j in twin_of and i < n_old and i != twin_of[j]]
    if not wanted:
        return [], cand
    stored: dict[tuple[str, str], Pair] = {}  # (twin id, other id) -> the pair, twin as a
    for p in index.pairs_of({docs[twin_of[j]].id for _, j in wanted}):
        if p.basis != "compared":
            continue
        stored.setdefault((p.a, p.b), p)
        stored.setdefault((p.b, p.a), swapped(p))
    out: list[Pair] = []
    left = dict(cand)
    for i, j in wanted:
        p = stored.get((docs[twin_of[j]].id, docs[i].id))
        if p is None:
            continue
        del left[(i, j)]
        q = replay(p, docs[j], docs[i], settings, keep_unrelated=False, of=(docs[twin_of[j]], docs[i]))
        if q is not None:
            out.append(swapped(q))  # as a comparison orients it: the indexed doc first
    return out, left


__all__ = ["replay_indexed_twins", "borrow_vectors"]
