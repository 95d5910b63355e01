"""The tools people reach for instead of retold, run on the same corpora and scored by the same code.

* ``MinHashPeer``: datasketch MinHash + MinHashLSH on word 5-grams, the usual near-duplicate
  filter. Everything it finds is ``near_duplicate`` (it has no other label).
* ``TfidfPeer``: TF-IDF cosine of whole articles; pairs above a threshold are ``rewrite``.
* ``EmbeddingPeer``: the "SemDeDup" recipe: mean sentence vector per article from the same
  encoder retold uses; cosine above a threshold is a duplicate (``rewrite``, or
  ``translation`` when the two languages differ).

The two cosine thresholds are fitted on the ``tune`` corpora (best F1 at finding reuse
pairs, any label), never on what they are scored on. Clusters are the connected
components of the pairs found, as these tools are used in practice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from retold.bench.corpora import LabelledCorpus
from retold.model import REUSE_RELATIONS

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class PeerOutput:
    """What a peer says about one corpus, in the shape metrics.py scores."""

    name: str
    pairs: dict[frozenset, str]
    clusters: list[set[str]]
    seconds: float
    params: dict[str, float | int | str] = field(default_factory=dict)


def components(ids: Iterable[str], pairs: Iterable[frozenset]) -> list[set[str]]:
    """Connected components of two or more members (union-find)."""
    parent: dict[str, str] = {x: x for x in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        a, b = tuple(p)
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[str, set[str]] = {}
    for x in parent:
        groups.setdefault(find(x), set()).add(x)
    return [g for g in groups.values() if len(g) > 1]


def fit_cosine_threshold(
    scored: Sequence[tuple[float, bool]],
    n_true: int,
    grid: np.ndarray | None = None,
) -> float:
    """Threshold with the best F1 at finding the true pairs.

    ``scored`` lists (cosine, is a gold reuse pair) for every pair the peer scored;
    ``n_true`` counts all gold reuse pairs, including those it never scored (missed at
    any threshold).
    """
    grid = np.arange(0.30, 0.991, 0.01) if grid is None else grid
    if not scored or n_true == 0:
        return float(grid[len(grid) // 2])
    cos = np.array([c for c, _ in scored])
    ok = np.array([t for _, t in scored], dtype=bool)
    best_t, best_f = float(grid[0]), -1.0
    for t in grid:
        hit = cos >= t
        tp = int((hit & ok).sum())
        n_pred = int(hit.sum())
        f = 2 * tp / (n_pred + n_true) if n_pred + n_true else 0.0
        if f > best_f + 1e-12:
            best_t, best_f = float(t), f
    return best_t


def _tune_points(corpora: Iterable[LabelledCorpus], cosines) -> tuple[list[tuple[float, bool]], int]:
    scored: list[tuple[float, bool]] = []
    n_true = 0
    for c in corpora:
        if c.name == "seeds":  # the acceptance texts are never tuned on
            continue
        truth = {k for k, v in c.gold_pairs.items() if set(v) & REUSE_RELATIONS and k not in c.ignored_pairs}
        n_true += len(truth)
        for key, cos in cosines(c).items():
            if key not in c.ignored_pairs:
                scored.append((cos, key in truth))
    return scored, n_true


def _thresholded(sim: dict[frozenset, float], t: float) -> list[frozenset]:
    return [k for k, v in sim.items() if v >= t]


class MinHashPeer:
    """datasketch MinHashLSH: no threshold to fit, no label but ``near_duplicate``."""

    name = "minhash-lsh"

    def __init__(self, shingle: int = 5, num_perm: int = 128, threshold: float = 0.5) -> None:
        self.shingle = shingle
        self.num_perm = num_perm
        self.threshold = threshold

    def fit(self, tune: Sequence[LabelledCorpus]) -> None:
        """Nothing to fit: the usual settings are what people run."""

    def _shingles(self, text: str) -> list[bytes]:
        w = _WORD.findall(text.lower())
        k = self.shingle
        if len(w) < k:
            return [" ".join(w).encode("utf-8")] if w else []
        return [" ".join(w[i : i + k]).encode("utf-8") for i in range(len(w) - k + 1)]

    def run(self, corpus: LabelledCorpus) -> PeerOutput:
        from datasketch import MinHash, MinHashLSH

        t0 = time.perf_counter()
        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        sigs: dict[str, MinHash] = {}
        for a in corpus.articles:
            sh = self._shingles(a.text)
            if not sh:
                continue
            m = MinHash(num_perm=self.num_perm, seed=1)
            m.update_batch(sh)
            sigs[a.id] = m
            lsh.insert(a.id, m)
        pairs: dict[frozenset, str] = {}
        for aid, m in sigs.items():
            for other in lsh.query(m):
                if other != aid:
                    pairs[frozenset((aid, other))] = "near_duplicate"
        return PeerOutput(
            self.name,
            pairs,
            components(corpus.ids, pairs),
            time.perf_counter() - t0,
            {"shingle": self.shingle, "num_perm": self.num_perm, "lsh_threshold": self.threshold},
        )


def _sparse_cosines(X, ids: Sequence[str], min_cos: float) -> dict[frozenset, float]:
    """Cosines >= min_cos of the L2-normalised sparse rows, one block of rows at a time."""
    out: dict[frozenset, float] = {}
    n = X.shape[0]
    block = 512
    Xt = X.T.tocsc()
    for s in range(0, n, block):
        S = (X[s : s + block] @ Xt).tocoo()
        for i, j, v in zip(S.row, S.col, S.data):
            gi = s + int(i)
            if gi < j and v >= min_cos:
                out[frozenset((ids[gi], ids[int(j)]))] = float(v)
    return out


class TfidfPeer:
    """Word TF-IDF cosine of whole articles (sublinear tf), fitted on tune."""

    name = "tfidf-cosine"

    def __init__(self, threshold: float | None = None, min_cos: float = 0.2) -> None:
        self.threshold = threshold
        self.min_cos = min_cos

    def cosines(self, corpus: LabelledCorpus) -> dict[frozenset, float]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [a.text for a in corpus.articles]
        if len(texts) < 2:
            return {}
        X = TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w+\b").fit_transform(texts).tocsr()
        return _sparse_cosines(X, corpus.ids, self.min_cos)

    def fit(self, tune: Sequence[LabelledCorpus]) -> None:
        scored, n_true = _tune_points(tune, self.cosines)
        self.threshold = fit_cosine_threshold(scored, n_true)

    def run(self, corpus: LabelledCorpus) -> PeerOutput:
        if self.threshold is None:
            raise RuntimeError("TfidfPeer.run before fit(): its threshold comes from the tune corpora")
        t0 = time.perf_counter()
        keys = _thresholded(self.cosines(corpus), self.threshold)
        pairs = {k: "rewrite" for k in keys}
        return PeerOutput(self.name, pairs, components(corpus.ids, keys), time.perf_counter() - t0, {"threshold": round(self.threshold, 3)})


def _sentences(text: str) -> list[str]:
    import blingfire

    return [s for s in blingfire.text_to_sentences(text).split("\n") if s.strip()]


def _detect_lang(text: str) -> str:
    import py3langid

    return str(py3langid.classify(text[:2000])[0])


class EmbeddingPeer:
    """SemDeDup-style: mean sentence vector per article, cosine >= threshold is a duplicate."""

    name = "embedding-cosine"

    def __init__(self, encoder, threshold: float | None = None, min_cos: float = 0.5) -> None:
        self.encoder = encoder
        self.threshold = threshold
        self.min_cos = min_cos
        self._vecs: dict[str, np.ndarray] = {}  # by article id: tune and eval runs share the cost

    def vectors(self, corpus: LabelledCorpus) -> np.ndarray:
        todo = [a for a in corpus.articles if a.id not in self._vecs]
        sents: list[str] = []
        owner: list[int] = []
        for k, a in enumerate(todo):
            ss = _sentences(a.text) or [a.text[:600]]
            sents += ss
            owner += [k] * len(ss)
        if todo:
            V = np.zeros((len(sents), self.encoder.dim), dtype=np.float32)
            order = sorted(range(len(sents)), key=lambda i: len(sents[i]))  # less padding per batch
            for s in range(0, len(order), 128):
                idx = order[s : s + 128]
                V[idx] = self.encoder.encode([sents[i] for i in idx])
            own = np.array(owner, dtype=np.int64)
            M = np.zeros((len(todo), V.shape[1]), dtype=np.float64)
            np.add.at(M, own, V)
            M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-12)
            for a, v in zip(todo, M):
                self._vecs[a.id] = v.astype(np.float32)
        return np.stack([self._vecs[a.id] for a in corpus.articles]) if corpus.articles else np.zeros((0, 1))

    def cosines(self, corpus: LabelledCorpus) -> dict[frozenset, float]:
        V = self.vectors(corpus)
        ids = corpus.ids
        out: dict[frozenset, float] = {}
        block = 512
        for s in range(0, len(ids), block):
            S = V[s : s + block] @ V.T
            for i, j in zip(*np.nonzero(S >= self.min_cos)):
                gi = s + int(i)
                if gi < j:
                    out[frozenset((ids[gi], ids[int(j)]))] = float(S[i, j])
        return out

    def fit(self, tune: Sequence[LabelledCorpus]) -> None:
        scored, n_true = _tune_points(tune, self.cosines)
        self.threshold = fit_cosine_threshold(scored, n_true, grid=np.arange(0.50, 0.991, 0.01))

    def run(self, corpus: LabelledCorpus) -> PeerOutput:
        if self.threshold is None:
            raise RuntimeError("EmbeddingPeer.run before fit(): its threshold comes from the tune corpora")
        t0 = time.perf_counter()
        keys = _thresholded(self.cosines(corpus), self.threshold)
        lang: dict[str, str] = {}
        for a in corpus.articles:
            lang[a.id] = a.lang or _detect_lang(a.text)
        pairs: dict[frozenset, str] = {}
        for k in keys:
            x, y = tuple(k)
            pairs[k] = "translation" if lang[x] != lang[y] else "rewrite"
        return PeerOutput(self.name, pairs, components(corpus.ids, keys), time.perf_counter() - t0, {"threshold": round(self.threshold, 3)})
