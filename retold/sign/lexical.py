"""Lexical signatures of Docs: exact hash, MinHash, containment fingerprints, anchors.

Each answers a different question later on:
- ``exact_hash``: is the token stream identical (layout and boilerplate aside)?
- ``minhash``: is the shingle-set Jaccard high (banded LSH finds near duplicates)?
- ``fingerprints``: does a passage of one text appear inside the other? MinHash cannot
  tell an excerpt from noise once the host text is much longer; a content-defined sample
  of shingles (hash % mod == 0) picks the same shingles of a passage in any document,
  so shared fingerprints survive embedding.
- ``anchors``: rare-looking names and numbers, for story candidates downstream.
"""

from __future__ import annotations

import numpy as np
import xxhash

from retold.clean.tokens import char_flags, char_table, code_points
from retold.config import Settings
from retold.model import Doc
from retold.sign.minhash import oph_batch, shingle_hashes_many


def exact_hash(tok_hash: np.ndarray) -> int:
    """Stable 64-bit hash of the token stream; 0 (never matched) for an empty one."""
    if tok_hash.shape[0] == 0:
        return 0
    h = xxhash.xxh3_64_intdigest(np.ascontiguousarray(tok_hash, dtype=np.uint64).tobytes())
    return h or 1  # 0 is reserved for "empty"


def fingerprints(shingles: np.ndarray, mod: int) -> np.ndarray:
    """Unique shingle hashes with ``hash % mod == 0``: the same passage gives the same
    sample in every document, whatever surrounds it."""
    if shingles.shape[0] == 0:
        return np.zeros(0, dtype=np.uint64)
    keep = shingles[shingles % np.uint64(max(mod, 1)) == 0]
    return np.unique(keep)


def anchors(doc: Doc) -> np.ndarray:
    """Hashes of capitalised tokens not at a sentence start, and of tokens with digits.

    Sentence-initial capitals are dropped because every first word is capitalised; what
    remains is mostly names and figures, which independent reports of one event share.
    Capital and digit come from per-character tables over the token span (no regex pass).
    """
    n = doc.n_tokens
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    text = doc.article.text
    lo, hi = int(doc.tok_spans[0, 0]), int(doc.tok_spans[-1, 1])
    part = text[lo:hi]
    starts = doc.tok_spans[:, 0].astype(np.int64) - lo
    ends = doc.tok_spans[:, 1].astype(np.int64) - lo
    is_cap = char_flags(part, "upper")[starts]
    digits = np.zeros(len(part) + 1, dtype=np.int32)
    np.cumsum(char_flags(part, "digit"), out=digits[1:])
    has_num = digits[ends] > digits[starts]
    sent = doc.tok_sent
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = sent[1:] != sent[:-1]
    keep = has_num | (is_cap & ~first)
    return np.unique(doc.tok_hash[keep])


def _anchors_many(docs: list[Doc]) -> list[np.ndarray]:
    """:func:`anchors` of many docs: one table lookup over their texts joined together."""
    texts = [d.article.text for d in docs]
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    text_off = np.cumsum(lens + 1) - (lens + 1)
    joined = "\n".join(texts)
    ntok = np.fromiter((d.n_tokens for d in docs), dtype=np.int64, count=len(docs))
    if ntok.sum() == 0:
        return [np.zeros(0, dtype=np.uint64) for _ in docs]
    owner = np.repeat(np.arange(len(docs), dtype=np.int64), ntok)
    spans = np.concatenate([d.tok_spans for d in docs]).astype(np.int64) + text_off[owner][:, None]
    hashes = np.concatenate([d.tok_hash for d in docs])
    sent = np.concatenate([d.tok_sent for d in docs])
    cp = code_points(joined)
    is_cap = char_table("upper")[cp[spans[:, 0]]]
    digits = np.zeros(len(joined) + 1, dtype=np.int64)
    np.cumsum(char_table("digit")[cp], out=digits[1:])
    has_num = digits[spans[:, 1]] > digits[spans[:, 0]]
    first = np.ones(hashes.shape[0], dtype=bool)
    first[1:] = (sent[1:] != sent[:-1]) | (owner[1:] != owner[:-1])
    keep = has_num | (is_cap & ~first)
    return _unique_per_owner(hashes[keep], owner[keep], len(docs))


def _unique_per_owner(values: np.ndarray, owner: np.ndarray, n: int) -> list[np.ndarray]:
    """Sorted unique ``values`` of each owner 0..n-1 (``owner`` non-decreasing).

    One sort of packed keys (owner in the top bits, the value's top bits below) instead
    of a two-key lexsort; values whose top bits tie are put in order afterwards, checked.
    """
    if values.shape[0] == 0:
        return [np.zeros(0, dtype=np.uint64) for _ in range(n)]
    bits = max(1, int(n - 1).bit_length())
    key = (owner.astype(np.uint64) << np.uint64(64 - bits)) | (values >> np.uint64(bits))
    o = np.argsort(key)
    v, w = values[o], owner[o]
    if (w[1:] == w[:-1]).any() and not (v[1:] >= v[:-1])[w[1:] == w[:-1]].all():  # a tie in the top bits
        o = np.lexsort((values, owner))
        v, w = values[o], owner[o]
    new = np.ones(v.shape[0], dtype=bool)
    new[1:] = (v[1:] != v[:-1]) | (w[1:] != w[:-1])
    v, w = v[new], w[new]
    cut = np.searchsorted(w, np.arange(n + 1)).tolist()
    return [v[cut[i] : cut[i + 1]] for i in range(n)]


def sign_lexical(docs: list[Doc], settings: Settings) -> None:
    """Fill ``exact_hash``, ``minhash``, ``fingerprints`` and ``anchors`` of every doc, in place.

    Shingles, MinHash and fingerprints are computed for a batch of docs at once (one
    rolling hash, one sort for the signatures, one sort for the fingerprints), since per
    document the fixed cost of each numpy call outweighs its work.
    """
    k = settings.shingle_size
    mod = np.uint64(max(settings.fingerprint_mod, 1))
    batch = max(settings.batch_size, 1) * 4  # ~1k docs: arrays of a few MB stay in cache (measured 2x faster than 4k)
    for s in range(0, len(docs), batch):
        part = docs[s : s + batch]
        x, counts = shingle_hashes_many([d.tok_hash for d in part], k)
        sigs = oph_batch((x, counts), settings.num_perm, settings.seed)
        # fingerprints: sampled shingles, unique per doc (one sort for the batch)
        owner = np.repeat(np.arange(len(part), dtype=np.int64), counts)
        m = int(mod)
        pick = (x & np.uint64(m - 1)) == 0 if m & (m - 1) == 0 else (x % mod) == 0
        # Below k tokens the "shingles" are single words: too common to mark containment.
        ntok = np.fromiter((d.n_tokens for d in part), dtype=np.int64, count=len(part))
        if (ntok < k).any():
            pick &= np.repeat(ntok >= k, counts)
        fps = _unique_per_owner(x[pick], owner[pick], len(part))
        anc = _anchors_many(part)
        for d, sig, fp, an in zip(part, sigs, fps, anc):
            d.exact_hash = exact_hash(d.tok_hash)
            d.minhash = sig
            d.fingerprints = fp
            d.anchors = an


__all__ = ["sign_lexical", "exact_hash", "fingerprints", "anchors"]
