"""Word tokens with character spans and stable 64-bit hashes.

One tokeniser serves every lexical stage (shingles, MinHash, verbatim passages), so
offsets found by any of them point into the original text. Hashes are xxh3-64 of the
lower-cased token: stable across runs and machines, which the on-disk index needs.
"""

from __future__ import annotations

import re

import numpy as np
import xxhash

_WORD = re.compile(r"\w+", re.UNICODE)
_CACHE: dict[str, int] = {}
_CACHE_MAX = 2_000_000
_hash = xxhash.xxh3_64_intdigest


def token_hash(token: str) -> int:
    """Stable hash of one already-normalised token."""
    h = _CACHE.get(token)
    if h is None:
        h = _hash(token.encode("utf-8"))
        if len(_CACHE) < _CACHE_MAX:
            _CACHE[token] = h
    return h


def normalise_token(token: str) -> str:
    """Fold case and the apostrophe/diacritic-free variants that copy-editing changes."""
    return token.lower()


def tokenize(text: str, start: int = 0, end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tokens of ``text[start:end]``: (hashes uint64 (T,), spans int32 (T, 2)).

    Spans are offsets into ``text`` itself, not into the slice.
    """
    if end is None:
        end = len(text)
    get = _CACHE.get
    hashes: list[int] = []
    spans: list[int] = []
    for m in _WORD.finditer(text, start, end):
        tok = m.group().lower()
        h = get(tok)
        if h is None:
            h = token_hash(tok)
        hashes.append(h)
        spans.extend(m.span())
    return (
        np.array(hashes, dtype=np.uint64),
        np.array(spans, dtype=np.int32).reshape(-1, 2),
    )


def tokenize_hashes(text: str) -> np.ndarray:
    """Token hashes only, about twice as fast as :func:`tokenize`; for signing in bulk."""
    get = _CACHE.get
    toks = _WORD.findall(text.lower())
    out = np.empty(len(toks), dtype=np.uint64)
    for i, tok in enumerate(toks):
        h = get(tok)
        out[i] = h if h is not None else token_hash(tok)
    return out
