"""Candidates that share no words: nearest neighbours of article vectors, and shared rare anchors.

A spun rewrite shares few word n-grams with its source and a translation shares none,
so lexical signatures cannot find them. Article vectors from a multilingual encoder put
them close; a real ANN index (usearch, HNSW) keeps the work per article bounded.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from retold.clean.lang import written_language
from retold.config import Settings
from retold.model import Doc
from retold.sign.lengths import fill_stretch

#: below this many articles an exact search beats building an HNSW graph
EXACT_BELOW = 4000


def _neighbours(vecs: np.ndarray, queries: np.ndarray, k: int, reproducible: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(keys (q, k), cosine (q, k)) of the k nearest vectors to each query; -1 where none.

    An HNSW graph built on several threads depends on how the threads interleave, so two runs
    on the same articles found slightly different neighbours (on 16 cores, 137,244 against
    137,376 candidate pairs). ``reproducible`` builds it on one thread (about twice the build
    time on 2 cores); searching a built graph gives the same answer on any number of threads.
    """
    from usearch.index import Index, search

    k = min(k, len(vecs))
    if len(vecs) < EXACT_BELOW:
        m = search(vecs, queries, k, metric="cos", exact=True)
    else:
        idx = Index(ndim=vecs.shape[1], metric="cos", dtype="f16", connectivity=16, expansion_add=64, expansion_search=64)
        idx.add(np.arange(len(vecs)), vecs, threads=1 if reproducible else 0)
        m = idx.search(queries, k, threads=0)
    keys = np.asarray(m.keys, dtype=np.int64).reshape(len(queries), -1)
    dist = np.asarray(m.distances, dtype=np.float32).reshape(len(queries), -1)
    return keys, 1.0 - dist


def ann_candidates(docs: list[Doc], is_new: np.ndarray, settings: Settings) -> dict[tuple[int, int], set[str]]:
    """Pairs (i < j, at least one new) whose article vectors are among each other's nearest."""
    have = np.array([d.vec is not None and bool(np.any(d.vec)) for d in docs], dtype=bool)
    if have.sum() < 2:
        return {}
    pos = np.flatnonzero(have)
    vecs = np.stack([docs[i].vec for i in pos]).astype(np.float32)
    qmask = is_new[pos]
    if not qmask.any():
        return {}
    keys, cos = _neighbours(vecs, vecs[qmask], settings.ann_neighbours + 1, settings.reproducible)
    out: dict[tuple[int, int], set[str]] = {}
    for qi, row_keys, row_cos in zip(pos[qmask], keys, cos):
        for k, c in zip(row_keys, row_cos):
            if k < 0 or c < settings.ann_min_cosine:
                continue
            j = int(pos[k])
            if j == qi:
                continue
            a, b = (int(qi), j) if qi < j else (j, int(qi))
            out.setdefault((a, b), set()).add("ann")
    return out


def static_candidates(docs: list[Doc], is_new: np.ndarray, settings: Settings) -> dict[tuple[int, int], set[str]]:
    """Pairs (i < j, at least one new) of nearest article vectors of the static second model
    (``sign/second.py``: every article has them), one side of which the encoder lacks: the
    texts that the encoder's own neighbours cannot place (``ann_candidates``), in another written
    language (one language has its words). Tagged "static"; ``settings.ann_neighbours`` per
    article, from ``settings.static_min_cosine``. Empty where the
    second model is the slow one (it reads only the texts that need it)."""
    from retold.sign.second import article_vector, cheap

    if not cheap():
        return {}
    vecs_of = [article_vector(d) for d in docs]
    pos = np.array([i for i, v in enumerate(vecs_of) if v is not None], dtype=np.int64)
    if len(pos) < 2:
        return {}
    lacks = np.array([docs[i].sent_vecs is None for i in pos], dtype=bool)
    if not lacks.any():
        return {}
    qmask = is_new[pos]
    if not qmask.any():
        return {}
    written = [written_language(docs[i].lang) or "" for i in pos]
    vecs = np.stack([vecs_of[i] for i in pos]).astype(np.float32)
    # twice the neighbours looked at, the first ann_neighbours in another language kept: a text's
    # own language's copies and machine translations crowd its nearest
    keys, cos = _neighbours(vecs, vecs[qmask], 2 * settings.ann_neighbours + 1, settings.reproducible)
    out: dict[tuple[int, int], set[str]] = {}
    for q, row_keys, row_cos in zip(np.flatnonzero(qmask), keys, cos):
        qi, kept = int(pos[q]), 0
        for k, c in zip(row_keys.tolist(), row_cos.tolist()):
            if kept >= settings.ann_neighbours or c < settings.static_min_cosine:
                break
            if k < 0 or k == q or not (lacks[q] or lacks[k]) or written[k] == written[q]:
                continue
            kept += 1
            j = int(pos[k])
            a, b = (qi, j) if qi < j else (j, qi)
            out.setdefault((a, b), set()).add("static")
    return out


def _bucket_cap(n_docs: int, settings: Settings) -> int:
    """Most texts a name or word may be held by and still pair them: one that 5% of the
    texts share (or more than ``settings.max_bucket``) belongs to everybody and says nothing."""
    return max(5, min(settings.max_bucket, int(0.05 * n_docs) + 5))


def anchor_candidates(
    docs: list[Doc],
    is_new: np.ndarray,
    settings: Settings,
    min_score: float = 6.0,
    min_share: float = 0.4,
    min_abs: float = 2.0,
    per_doc: int = 20,
) -> dict[tuple[int, int], set[str]]:
    """Pairs sharing several rare names or numbers (same event, other words or language).

    Also, for texts the encoder cannot place: pairs sharing a single rare name or number
    whose sentence lengths keep in step over the whole text (``same_shape``, tagged
    "shape"), the mark of a translation that names little.

    Names are the prefix-folded keys of ``retold.sign.names`` (so Finnish "Obaman" meets
    "Obama"), each weighted by its rarity; a pair scores the summed weight of the names it
    shares, and each new article keeps its ``per_doc`` best partners scoring ``min_score``
    (about two rare names), or, for short articles with few names, sharing ``min_share``
    of the smaller one's name weight (and ``min_abs`` at least: one rare name or a number).
    Names held by many articles say nothing and are skipped.
    """
    from retold.sign.names import doc_names

    post: dict[str, list[tuple[int, float]]] = defaultdict(list)
    total = np.zeros(len(docs), dtype=np.float64)
    for i, d in enumerate(docs):
        for key, w in doc_names(d).items():
            if w >= 1.5:  # zipf 4.5 or rarer
                post[key].append((i, w))
                total[i] += w
    cap = _bucket_cap(len(docs), settings)
    scores: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for lst in post.values():
        if len(lst) < 2 or len(lst) > cap:
            continue
        for x, wx in lst:
            if not is_new[x]:
                continue
            row = scores[x]
            for y, wy in lst:
                if y != x:
                    row[y] += min(wx, wy)
    out: dict[tuple[int, int], set[str]] = {}
    for x, row in scores.items():
        ok = [
            (sc, y)
            for y, sc in row.items()
            if sc >= min_score or (sc >= min_abs and sc >= min_share * min(total[x], total[y]))
        ]
        best = sorted(ok, reverse=True)[:per_doc]
        for _, y in best:
            a, b = (x, y) if x < y else (y, x)
            out.setdefault((a, b), set()).add("anchors")
        # a text without vectors that shares one rare name or number with a text in another
        # language of the same shape (sentence lengths in step): perhaps a name-poor translation
        if docs[x].sent_vecs is None:
            taken = {y for _, y in best}
            weak = sorted(
                ((sc, y) for y, sc in row.items() if sc >= min_abs and y not in taken and docs[y].lang != docs[x].lang),
                reverse=True,
            )
            for _, y in weak[:per_doc]:
                if same_shape(docs[x], docs[y]):
                    a, b = (x, y) if x < y else (y, x)
                    out.setdefault((a, b), set()).add("shape")
    return out


#: fewest content sentences for a shape to say anything (any two short texts look alike)
MIN_SHAPE_SENTENCES = 5


def same_shape(a: Doc, b: Doc) -> bool:
    """Whether the two texts' sentence lengths follow one rhythm from start to end."""

    ra, rb = a.content_sentences(), b.content_sentences()
    if min(len(ra), len(rb)) < MIN_SHAPE_SENTENCES or not 0.8 <= len(ra) / len(rb) <= 1.25:
        return False
    la = (a.sent_spans[ra, 1] - a.sent_spans[ra, 0]).astype(np.float64)
    lb = (b.sent_spans[rb, 1] - b.sent_spans[rb, 0]).astype(np.float64)
    return bool(fill_stretch(la, lb, float(lb.sum()) / max(float(la.sum()), 1.0)))


def word_candidates(
    docs: list[Doc],
    is_new: np.ndarray,
    settings: Settings,
    min_overlap: float = 0.3,
    per_doc: int = 10,
) -> dict[tuple[int, int], set[str]]:
    """Pairs of texts without vectors, in one language, that share much of their rarer words.

    Two machine translations of one short review into Croatian share no rare name and too
    few verbatim runs for the lexical signals, but most of their content words: on the tune
    split, such same-language pairs of one source share 0.42 of their weighted content words
    at the 5th percentile, unrelated ones 0.14 at the 95th. Bounded like the name anchors:
    words held by many texts are skipped, and each new text keeps its ``per_doc`` best
    partners (tagged "words").

    One sparse product does the counting: a word weighs the same (its rarity in that
    language) in every text that has it, so the shared weight of two texts is the dot
    product of their rows of square-rooted weights.
    """
    from scipy import sparse

    from retold.sign.names import doc_words

    bare = [i for i, d in enumerate(docs) if d.sent_vecs is None and len(d.content_sentences())]
    if len(bare) < 2:
        return {}
    vocab: dict[tuple[str | None, str], int] = {}
    rows, cols, vals = [], [], []
    for r, i in enumerate(bare):
        lang = written_language(docs[i].lang)
        for w, weight in doc_words(docs[i]).items():
            rows.append(r)
            cols.append(vocab.setdefault((lang, w), len(vocab)))
            vals.append(weight)
    if not vocab:
        return {}
    x = sparse.csr_matrix((np.sqrt(vals), (rows, cols)), shape=(len(bare), len(vocab)), dtype=np.float64)
    total = np.asarray(x.multiply(x).sum(axis=1)).ravel()  # each text's own word weight
    df = np.bincount(x.indices, minlength=len(vocab))
    cap = _bucket_cap(len(docs), settings)
    keep = np.flatnonzero((df >= 2) & (df <= cap))  # a word of one text, or of very many, says nothing
    x = x[:, keep].tocsr()
    new_rows = np.flatnonzero(is_new[np.asarray(bare)])
    if not len(new_rows):
        return {}
    shared = (x[new_rows] @ x.T).tocsr()
    out: dict[tuple[int, int], set[str]] = {}
    for k, r in enumerate(new_rows):
        lo, hi = shared.indptr[k], shared.indptr[k + 1]
        ys, sc = shared.indices[lo:hi], shared.data[lo:hi]
        mask = ys != r
        ys, sc = ys[mask], sc[mask]
        if not len(ys):
            continue
        ov = sc / np.maximum(np.minimum(total[r], total[ys]), 1e-9)
        for t in np.argsort(-ov, kind="stable")[:per_doc]:
            if ov[t] < min_overlap:
                break
            a, b = bare[r], bare[int(ys[t])]
            out.setdefault((min(a, b), max(a, b)), set()).add("words")
    return out
