"""Candidates that share no words: nearest neighbours of article vectors, and shared rare anchors.

A spun rewrite shares few word n-grams with its source and a translation shares none,
so lexical signatures cannot find them. Article vectors from a multilingual encoder put
them close; a real ANN index (usearch, HNSW) keeps the work per article bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

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
    return neighbour_pairs(pos, vecs, is_new[pos], settings)


def neighbour_pairs(
    pos: np.ndarray, vecs: np.ndarray, qmask: np.ndarray, settings: Settings, exact: bool = False
) -> dict[tuple[int, int], set[str]]:
    """``ann_candidates`` over vectors given as arrays: ``vecs[r]`` is the vector of doc
    ``pos[r]`` (ascending), ``qmask[r]`` says it is new. ``exact``: search every vector (the
    index's way past ``EXACT_BELOW``: no graph to build, the same answer in any batch order)."""
    if len(pos) < 2 or not qmask.any():
        return {}
    k = settings.ann_neighbours + 1
    if exact and len(vecs) >= EXACT_BELOW:
        step = 16384
        keys, cos = exact_neighbours(((np.arange(lo, min(lo + step, len(vecs))), vecs[lo : lo + step]) for lo in range(0, len(vecs), step)), vecs[qmask], k)
    else:
        keys, cos = _neighbours(vecs, vecs[qmask], k, settings.reproducible)
    return pairs_of_neighbours(pos[qmask], pos, keys, cos, settings)


def pairs_of_neighbours(
    queries: np.ndarray, pos: np.ndarray | None, keys: np.ndarray, cos: np.ndarray, settings: Settings
) -> dict[tuple[int, int], set[str]]:
    """The "ann" pairs of neighbour lists: query doc ``queries[q]`` near ``pos[keys[q, n]]``
    (``pos`` None: the keys are docs), kept at ``settings.ann_min_cosine`` or more."""
    out: dict[tuple[int, int], set[str]] = {}
    for qi, row_keys, row_cos in zip(queries, keys, cos):
        for k, c in zip(row_keys, row_cos):
            if k < 0 or c < settings.ann_min_cosine:
                continue
            j = int(pos[k]) if pos is not None else int(k)
            if j == qi:
                continue
            a, b = (int(qi), j) if qi < j else (j, int(qi))
            out.setdefault((a, b), set()).add("ann")
    return out


def exact_neighbours(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]], queries: np.ndarray, k: int, cells: int = 1 << 22
) -> tuple[np.ndarray, np.ndarray]:
    """(keys, cosine) of the ``k`` nearest vectors to each query by exhaustive search over
    ``(keys, vectors)`` chunks read one at a time; ties go to the lower key; -1 where fewer
    than ``k`` vectors exist.

    Memory stays bounded by ``cells`` cosines at a time, however many queries and however
    long a chunk: a batch of 5,000 new articles against 10,000 vectors held in one chunk made
    a 5,000 x 10,000 matrix, with its keys and sort order beside it (1.2 GB), the largest
    allocation of an add."""
    q = np.asarray(queries, dtype=np.float32)
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    best_c = np.full((len(q), 0), -np.inf, dtype=np.float32)
    best_k = np.zeros((len(q), 0), dtype=np.int64)
    q64 = q.astype(np.float64)
    q_step = max(1, min(len(q), 1024))
    for ks, v in chunks:
        v = np.asarray(v, dtype=np.float32)
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        ks = np.asarray(ks, dtype=np.int64)
        v_step = max(1, cells // q_step)
        for lo in range(0, len(v), v_step):
            cols, kk = v[lo : lo + v_step].T.astype(np.float64), ks[lo : lo + v_step]  # one block, once in float64
            width = min(k, best_c.shape[1] + cols.shape[1])
            next_c = np.empty((len(q), width), dtype=np.float32)
            next_k = np.empty((len(q), width), dtype=np.int64)
            for qa in range(0, len(q), q_step):
                rows = slice(qa, qa + q_step)
                # in float64, then rounded: a cosine that does not hang on where its row and
                # column fall in the blocks, so identical vectors (copies) tie exactly
                c = (q64[rows] @ cols).astype(np.float32)
                cand_c = np.concatenate([best_c[rows], c], axis=1)
                cand_k = np.concatenate([best_k[rows], np.broadcast_to(kk, c.shape)], axis=1)
                # by cosine descending, then key ascending (lexsort sorts by its last key first)
                o = np.lexsort((cand_k, -cand_c), axis=1)[:, :k]
                next_c[rows] = np.take_along_axis(cand_c, o, axis=1)
                next_k[rows] = np.take_along_axis(cand_k, o, axis=1)
            best_c, best_k = next_c, next_k
    if best_k.shape[1] < k:
        pad = k - best_k.shape[1]
        best_k = np.concatenate([best_k, np.full((len(q), pad), -1, dtype=np.int64)], axis=1)
        best_c = np.concatenate([best_c, np.full((len(q), pad), -np.inf, dtype=np.float32)], axis=1)
    return best_k, best_c


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
    lacks = np.array([d.sent_vecs is None for d in docs], dtype=bool)
    qmask = is_new[pos]
    if not lacks[pos].any() or not qmask.any():
        return {}
    written = [written_language(d.lang) or "" for d in docs]
    vecs = np.stack([vecs_of[i] for i in pos]).astype(np.float32)
    keys, cos = _neighbours(vecs, vecs[qmask], static_k(settings, len(vecs)), settings.reproducible)
    keys = np.where(keys >= 0, pos[np.maximum(keys, 0)], -1)
    return static_pairs(pos[qmask], keys, cos, lacks, written, settings)


def static_k(settings: Settings, n: int) -> int:
    """Neighbours looked at per article: twice ``ann_neighbours`` (and itself), those in up to
    ``ann_neighbours`` other languages kept (``static_pairs``); a text's own language's copies
    and machine translations crowd its nearest."""
    return min(2 * settings.ann_neighbours + 1, n)


def static_pairs(
    queries: np.ndarray, keys: np.ndarray, cos: np.ndarray, lacks: np.ndarray, written: Sequence[str], settings: Settings
) -> dict[tuple[int, int], set[str]]:
    """The "static" pairs of each query doc (positions ``queries``) from its nearest docs
    (``keys``: positions, -1 for none; ``cos`` descending); ``lacks[p]``: doc ``p`` has no
    encoder vectors, ``written[p]``: its written language.

    The ``ann_neighbours`` slots are languages, not texts: every text of a language already
    kept is kept too, within the ``static_k`` looked at. A story translated into many
    languages has, in each, its translation and the copies and machine translations of it,
    all as near as the translation; counted one by one they filled the slots before the
    translations into the later languages came (WMT24 tune: ten languages and two MT outputs
    each put 7 of 358 translations past the 20th nearest text, none past the 40th)."""
    out: dict[tuple[int, int], set[str]] = {}
    for qi, row_keys, row_cos in zip(queries.tolist(), keys, cos):
        langs: set[str] = set()
        for j, c in zip(row_keys.tolist(), row_cos.tolist()):
            if c < settings.static_min_cosine:
                break
            if j < 0 or j == qi or not (lacks[qi] or lacks[j]) or written[j] == written[qi]:
                continue
            if written[j] not in langs:
                if len(langs) >= settings.ann_neighbours:
                    continue
                langs.add(written[j])
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
    post, total = name_postings(docs)
    return anchor_pairs(
        post.values(), total, is_new, _bucket_cap(len(docs), settings), docs, lambda i: docs[i].lang,
        min_score=min_score, min_share=min_share, min_abs=min_abs, per_doc=per_doc,
    )


#: a name weighs this much or more (zipf 4.5 or rarer) to count as an anchor
MIN_NAME_WEIGHT = 1.5


def doc_anchor_names(d: Doc) -> list[tuple[str, float]]:
    """The doc's anchor names and weights, in the order ``doc_names`` gives them."""
    from retold.sign.names import doc_names

    return [(key, w) for key, w in doc_names(d).items() if w >= MIN_NAME_WEIGHT]


def name_total(names: list[tuple[str, float]]) -> float:
    """The summed weight of a doc's anchor names (summed in their order, as ``anchor_pairs`` reads it)."""
    t = 0.0
    for _, w in names:
        t += w
    return t


def name_postings(docs: list[Doc]) -> tuple[dict[str, list[tuple[int, float]]], np.ndarray]:
    """Each anchor name's holders ``(doc, weight)`` in doc order, the names in order of first
    appearance; and each doc's summed anchor weight."""
    post: dict[str, list[tuple[int, float]]] = defaultdict(list)
    total = np.zeros(len(docs), dtype=np.float64)
    for i, d in enumerate(docs):
        names = doc_anchor_names(d)
        for key, w in names:
            post[key].append((i, w))
        total[i] = name_total(names)
    return post, total


def anchor_pairs(
    lists: Iterable[list[tuple[int, float]]],
    total: np.ndarray,
    is_new: np.ndarray,
    cap: int,
    docs: Sequence[Doc],
    lang_of: Callable[[int], str],
    min_score: float = 6.0,
    min_share: float = 0.4,
    min_abs: float = 2.0,
    per_doc: int = 20,
) -> dict[tuple[int, int], set[str]]:
    """The scoring of ``anchor_candidates`` over given posting lists (in order of first
    appearance; an index gives those of the names its new docs hold). ``docs[i]`` is read
    only for a new doc and for a "shape" partner; ``lang_of`` gives any doc's language."""
    scores: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for lst in lists:
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
            lang_x = docs[x].lang
            weak = sorted(
                ((sc, y) for y, sc in row.items() if sc >= min_abs and y not in taken and lang_of(y) != lang_x),
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
    bare = [i for i, d in enumerate(docs) if is_bare(d)]
    if len(bare) < 2:
        return {}
    items = [doc_word_items(docs[i]) for i in bare]
    total = np.array([word_total(it) for it in items], dtype=np.float64)
    new_rows = is_new[np.asarray(bare)]
    return word_pairs(bare, items, total, new_rows, _bucket_cap(len(docs), settings), None, min_overlap, per_doc)


def is_bare(d: Doc) -> bool:
    """A text without sentence vectors that has content: what ``word_candidates`` reads."""
    return d.sent_vecs is None and bool(len(d.content_sentences()))


def doc_word_items(d: Doc) -> list[tuple[tuple[str | None, str], float]]:
    """The doc's content words keyed by written language, with their weights (``doc_words`` order)."""
    from retold.sign.names import doc_words

    lang = written_language(d.lang)
    return [((lang, w), weight) for w, weight in doc_words(d).items()]


def word_total(items: list[tuple[tuple[str | None, str], float]]) -> float:
    """A text's own word weight: the squared norm of its row of square-rooted weights."""
    if not items:
        return 0.0
    v = np.sqrt(np.array([w for _, w in items], dtype=np.float64))
    return float(np.sum(v * v))


def word_pairs(
    bare: list[int],
    items: list[list[tuple[tuple[str | None, str], float]]],
    total: np.ndarray,
    new_rows: np.ndarray,
    cap: int,
    df_of: dict[tuple[str | None, str], int] | None = None,
    min_overlap: float = 0.3,
    per_doc: int = 10,
) -> dict[tuple[int, int], set[str]]:
    """The counting of ``word_candidates``: ``items[r]`` are the words of doc ``bare[r]``
    (ascending), ``total[r]`` its own weight, ``new_rows[r]`` whether it is new. ``df_of``:
    how many texts hold each word, when ``items`` are not all texts (an index gives the
    texts sharing a word with its new ones); counted from ``items`` when None."""
    from scipy import sparse

    vocab: dict[tuple[str | None, str], int] = {}
    rows, cols, vals = [], [], []
    for r, its in enumerate(items):
        for key, weight in its:
            rows.append(r)
            cols.append(vocab.setdefault(key, len(vocab)))
            vals.append(weight)
    if not vocab:
        return {}
    x = sparse.csr_matrix((np.sqrt(vals), (rows, cols)), shape=(len(bare), len(vocab)), dtype=np.float64)
    if df_of is None:
        df = np.bincount(x.indices, minlength=len(vocab))
    else:
        df = np.array([df_of.get(key, 0) for key in vocab], dtype=np.int64)
    keep = np.flatnonzero((df >= 2) & (df <= cap))  # a word of one text, or of very many, says nothing
    x = x[:, keep].tocsr()
    new_rows = np.flatnonzero(new_rows)
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
