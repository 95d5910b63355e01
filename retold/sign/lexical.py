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

import re

import numpy as np
import xxhash

from retold.config import Settings
from retold.model import Doc
from retold.sign.minhash import oph_batch, shingle_hashes


def _upper_class() -> str:
    """A regex character class of every upper-case letter in the BMP.

    Python's ``re`` has no ``\\p{Lu}``; building the class once lets one regex pass find
    capitalised words in any script that has case, instead of a Python test per token.
    """
    chars = [chr(c) for c in range(0x10000) if chr(c).isupper() and not (0xD800 <= c <= 0xDFFF)]
    return "[" + "".join(re.escape(c) for c in chars) + "]"


# Capitalised words, or words containing a digit; the lookbehind keeps it to word starts.
_ANCHOR = re.compile(r"(?<!\w)(?:(?P<cap>" + _upper_class() + r")|(?P<num>\w*\d))\w*", re.UNICODE)


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
    """
    n = doc.n_tokens
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    text = doc.article.text
    starts = doc.tok_spans[:, 0]
    lo, hi = int(starts[0]), int(doc.tok_spans[-1, 1])
    found = [(m.start(), m.lastgroup == "cap") for m in _ANCHOR.finditer(text, lo, hi)]
    if not found:
        return np.zeros(0, dtype=np.uint64)
    hits = np.fromiter((f[0] for f in found), dtype=np.int64, count=len(found))
    is_cap = np.fromiter((f[1] for f in found), dtype=bool, count=len(found))
    idx, ok = _exact_starts(starts, hits)
    is_cap = is_cap[ok]
    sent = doc.tok_sent
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = sent[1:] != sent[:-1]
    keep = idx[~(is_cap & first[idx])]
    return np.unique(doc.tok_hash[keep])


def _exact_starts(starts: np.ndarray, hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token indices whose start offset equals a hit, and the mask of hits kept.

    Hits inside boilerplate (which has no tokens) drop out here.
    """
    idx = np.searchsorted(starts, hits)
    ok = idx < starts.shape[0]
    ok[ok] = starts[idx[ok]] == hits[ok]
    return idx[ok], ok


def sign_lexical(docs: list[Doc], settings: Settings) -> None:
    """Fill ``exact_hash``, ``minhash``, ``fingerprints`` and ``anchors`` of every doc, in place."""
    k = settings.shingle_size
    batch = max(settings.batch_size, 1) * 4
    for s in range(0, len(docs), batch):
        part = docs[s : s + batch]
        shingles = [shingle_hashes(d.tok_hash, k) if d.n_tokens else np.zeros(0, dtype=np.uint64) for d in part]
        sigs = oph_batch(shingles, settings.num_perm, settings.seed)
        for d, sh, sig in zip(part, shingles, sigs):
            d.exact_hash = exact_hash(d.tok_hash)
            d.minhash = sig
            # Below k tokens the "shingles" are single words: too common to mark containment.
            d.fingerprints = fingerprints(sh, settings.fingerprint_mod) if d.n_tokens >= k else np.zeros(0, dtype=np.uint64)
            d.anchors = anchors(d)


__all__ = ["sign_lexical", "exact_hash", "fingerprints", "anchors"]
