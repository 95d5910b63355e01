"""Verbatim passages shared by two documents, with character offsets into each text.

How: k-gram hashes of both token streams are matched (no Python loop per token);
matching k-grams that follow each other on one diagonal (same offset j - i) chain into a
maximal verbatim run. Runs are accepted longest first without overlap on either side,
then neighbours separated by a gap of at most ``_MAX_GAP`` tokens on both sides are
merged: one or two changed words are a light edit, not the end of a copy.

Three ways to the same runs, fastest first:
- :func:`verbatim_coverage_many`: many pairs at once, all arrays (bulk verification);
- :func:`_runs_unique`: one pair, one binary search of b's k-grams in a's sorted ones,
  when no matched k-gram repeats in either text (the common case in news);
- :func:`_runs_py` / :func:`_runs`: the general walk (repeats, refrains), per pair.
Each doc's k-grams are hashed and sorted once (:func:`_kgrams`, memoised).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retold.config import Settings
from retold.model import Doc, Passage
from retold.sign.minhash import shingle_hashes

_SEED_K = 5  # k-gram length that seeds a run: shorter seeds match stock phrases everywhere
_MAX_GAP = 2  # tokens that may differ between two runs merged into one passage
_MAX_REPEAT = 8  # a k-gram repeated more often than this in one text is a refrain: not a seed


def _runs(ha: np.ndarray, hb: np.ndarray, k: int) -> np.ndarray:
    """Maximal chains of matching k-grams as rows (a_start, b_start, n_tokens).

    One stable sort of both k-gram arrays puts equal hashes next to each other, a's
    before b's; runs holding both sides are the seeds. Texts with nothing in common
    leave after that sort.
    """
    n = ha.shape[0]
    h = np.concatenate([ha, hb])
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same = hs[1:] == hs[:-1]
    if not same.any():
        return _NO_RUNS
    brk = np.flatnonzero(~same) + 1
    starts = np.concatenate([[0], brk])
    ends = np.concatenate([brk, [h.shape[0]]])
    size = ends - starts
    multi = size >= 2
    starts, ends, size = starts[multi], ends[multi], size[multi]
    cum = np.concatenate([[0], np.cumsum(order < n)])
    na = cum[ends] - cum[starts]
    nb = size - na
    ok = (na >= 1) & (nb >= 1) & (na <= _MAX_REPEAT) & (nb <= _MAX_REPEAT)
    if not ok.any():
        return _NO_RUNS
    starts, na, nb = starts[ok], na[ok], nb[ok]
    single = (na == 1) & (nb == 1)
    pa = order[starts[single]]
    pb = order[starts[single] + 1] - n
    if not single.all():  # repeated k-grams: small cross products, rare in prose
        xa, xb = [pa], [pb]
        for s0, ca, cb in zip(starts[~single].tolist(), na[~single].tolist(), nb[~single].tolist()):
            ia = order[s0 : s0 + ca]
            ib = order[s0 + ca : s0 + ca + cb] - n
            xa.append(np.repeat(ia, cb))
            xb.append(np.tile(ib, ca))
        pa, pb = np.concatenate(xa), np.concatenate(xb)
    diag = pb - pa
    o = np.lexsort((pa, diag))
    pa, diag = pa[o], diag[o]
    cut = np.ones(pa.shape[0], dtype=bool)
    cut[1:] = (diag[1:] != diag[:-1]) | (pa[1:] != pa[:-1] + 1)
    rs = np.flatnonzero(cut)
    re_ = np.concatenate([rs[1:], [pa.shape[0]]])
    a0 = pa[rs]
    return np.stack([a0, a0 + diag[rs], (re_ - rs) + k - 1], axis=1)


_NO_RUNS = np.zeros((0, 3), dtype=np.int64)
#: Below this many k-grams on both sides together, a dict walk in plain Python beats the
#: fixed cost of ~40 small numpy calls (measured: news articles of a few hundred words).
_PY_LIMIT = 3000


@dataclass
class _KGrams:
    """A doc's k-grams ready for matching: in order, sorted (with their positions), and
    which positions hold a k-gram that occurs more than once in the doc."""

    hashes: np.ndarray  # (n,) uint64 in text order
    sorted: np.ndarray  # (n,) uint64 ascending
    pos: np.ndarray  # (n,) int64 position of each sorted k-gram
    repeated: np.ndarray | None  # (n,) bool by position, None when no k-gram repeats
    rep_sorted: np.ndarray | None  # (n,) bool by sorted index, None when no k-gram repeats
    pos_dict: dict[int, list[int]] | None = None  # for the plain-Python walk, built on demand


_MEMO: dict[int, tuple[np.ndarray, _KGrams]] = {}
_MEMO_MAX = 512


def _kgrams(doc: Doc, k: int) -> _KGrams:
    """A doc's :class:`_KGrams`, memoised for the last few hundred docs.

    Bulk verification walks candidate pairs sorted by their first doc, so the first doc
    repeats over many consecutive pairs (a family of copies), and the second docs of a
    family recur too: each doc's k-grams are hashed and sorted once. The memo is a pure
    cache keyed by the identity of the token array, checked on every hit.
    """
    key = id(doc.tok_hash) * 31 + k
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is doc.tok_hash:
        return hit[1]
    h = shingle_hashes(doc.tok_hash, k)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    dup = hs[1:] == hs[:-1]
    repeated = rep_sorted = None
    if dup.any():
        rep_sorted = np.zeros(hs.shape[0], dtype=bool)
        rep_sorted[1:] |= dup
        rep_sorted[:-1] |= dup
        repeated = np.zeros(hs.shape[0], dtype=bool)
        repeated[order] = rep_sorted
    kg = _KGrams(h, hs, order, repeated, rep_sorted)
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = (doc.tok_hash, kg)
    return kg


def _kgram_positions(doc: Doc, k: int) -> dict[int, list[int]]:
    """A doc's k-gram hash -> positions (for the walk that copes with repeats)."""
    kg = _kgrams(doc, k)
    if kg.pos_dict is None:
        pos: dict[int, list[int]] = {}
        for j, h in enumerate(kg.hashes.tolist()):
            lst = pos.get(h)
            if lst is None:
                pos[h] = [j]
            else:
                lst.append(j)
        kg.pos_dict = pos
    return kg.pos_dict


def _runs_unique(ka: _KGrams, kb: _KGrams, k: int) -> np.ndarray | None:
    """Runs (a_start, b_start, n_tokens) by one binary search of b's k-grams in a's.

    Valid only when no matched k-gram repeats on either side (then every match is one
    position pair and runs are chains of consecutive b positions on one diagonal); returns
    None otherwise, and the caller takes the general path. In news copies repeats are
    rare, so this fixed handful of numpy calls replaces a Python step per k-gram.
    """
    hb = kb.hashes
    if ka.sorted.shape[0] == 0 or hb.shape[0] == 0:
        return _NO_RUNS
    idx = np.searchsorted(ka.sorted, hb)
    np.minimum(idx, ka.sorted.shape[0] - 1, out=idx)
    hit = ka.sorted[idx] == hb
    pb = np.flatnonzero(hit)
    if pb.shape[0] == 0:
        return _NO_RUNS
    pa = ka.pos[idx[pb]]
    if (kb.repeated is not None and kb.repeated[pb].any()) or (ka.repeated is not None and ka.repeated[pa].any()):
        return None
    diag = pb - pa
    cut = np.empty(pb.shape[0], dtype=bool)
    cut[0] = True
    np.not_equal(diag[1:], diag[:-1], out=cut[1:])
    cut[1:] |= pb[1:] != pb[:-1] + 1
    rs = np.flatnonzero(cut)
    lens = np.diff(rs, append=pb.shape[0]) + (k - 1)
    return np.stack([pa[rs], pb[rs], lens], axis=1)


def _overlaps(runs: np.ndarray) -> bool:
    """Whether any two runs share a token on either side (then longest-first selection
    must drop some; otherwise every run is kept)."""
    if runs.shape[0] < 2:
        return False
    for col in (0, 1):
        o = np.argsort(runs[:, col], kind="stable")
        st, n = runs[o, col], runs[o, 2]
        if (st[1:] < st[:-1] + n[:-1]).any():
            return True
    return False


def _runs_py(ha: list[int], pos_b: dict[int, list[int]], k: int) -> np.ndarray:
    """Same as :func:`_runs` for short texts: b's k-gram positions, one walk over a."""
    active: dict[int, list[int]] = {}  # diagonal -> [a_start, last a index]
    found: list[tuple[int, list[int]]] = []
    get = pos_b.get
    for i, h in enumerate(ha):
        js = get(h)
        if js is None or len(js) > _MAX_REPEAT:
            continue
        for j in js:
            d = j - i
            cur = active.get(d)
            if cur is not None and cur[1] == i - 1:
                cur[1] = i
            else:
                cur = [i, i]
                active[d] = cur
                found.append((d, cur))
    if not found:
        return _NO_RUNS
    return np.array([(a0, a0 + d, last - a0 + k) for d, (a0, last) in found], dtype=np.int64)


def _select(runs: np.ndarray, n_a: int, n_b: int) -> list[tuple[int, int, int]]:
    """Longest runs first (then leftmost), dropping any that overlap an accepted one on either side.

    The used-token flags are bytearrays: ``find`` and slice assignment run in C, where a
    numpy call per run cost more than the test itself.
    """
    used_a = bytearray(n_a)
    used_b = bytearray(n_b)
    out: list[tuple[int, int, int]] = []
    # ties broken by position, so the result does not depend on how runs were found
    for a0, b0, n in runs[np.lexsort((runs[:, 1], runs[:, 0], -runs[:, 2]))].tolist():
        if used_a.find(1, a0, a0 + n) != -1 or used_b.find(1, b0, b0 + n) != -1:
            continue
        used_a[a0 : a0 + n] = b"\x01" * n
        used_b[b0 : b0 + n] = b"\x01" * n
        out.append((a0, b0, n))
    out.sort()
    return out


def _merge(sel: list[tuple[int, int, int]]) -> list[tuple[int, int, int, int, int]]:
    """Join runs in the same order on both sides whose gaps are tiny.

    Returns (a_start, a_end, b_start, b_end, matched_tokens) in token indices.
    """
    merged: list[list[int]] = []
    for a0, b0, n in sel:
        if merged:
            m = merged[-1]
            ga, gb = a0 - m[1], b0 - m[3]
            if 0 <= ga <= _MAX_GAP and 0 <= gb <= _MAX_GAP:
                m[1], m[3], m[4] = a0 + n, b0 + n, m[4] + n
                continue
        merged.append([a0, a0 + n, b0, b0 + n, n])
    return [tuple(m) for m in merged]  # type: ignore[misc]


def verbatim_passages(a: Doc, b: Doc, settings: Settings) -> list[Passage]:
    """Maximal verbatim passages of a and b (light edits bridged), in a's order."""
    return verbatim_evidence(a, b, settings)[0]


def verbatim_evidence(a: Doc, b: Doc, settings: Settings) -> tuple[list[Passage], float, float]:
    """Passages plus the token coverage of each side, counted in token space.

    Equal to ``token_coverage`` of the passages on each side, without mapping character
    offsets back to tokens: bulk verification calls this once per candidate pair.
    """
    k = max(1, min(_SEED_K, settings.min_passage_tokens))
    if a.n_tokens < k or b.n_tokens < k:
        return [], 0.0, 0.0
    if a.exact_hash and a.exact_hash == b.exact_hash and a.n_tokens == b.n_tokens:
        # same token stream (checked by signing): one passage over all of it, no search
        return [_passage(a, b, 0, a.n_tokens, 0, b.n_tokens, a.n_tokens)], 1.0, 1.0
    ka, kb = _kgrams(a, k), _kgrams(b, k)
    runs = _runs_unique(ka, kb, k)
    if runs is None:  # a matched k-gram repeats: the general paths
        if a.n_tokens + b.n_tokens <= _PY_LIMIT:
            # walk b over a's (memoised) positions, then swap the columns back to (a, b, n)
            runs = _runs_py(kb.hashes.tolist(), _kgram_positions(a, k), k)[:, [1, 0, 2]]
        else:
            runs = _runs(ka.hashes, kb.hashes, k)
        selected = _select(runs, a.n_tokens, b.n_tokens)
    elif _overlaps(runs):
        selected = _select(runs, a.n_tokens, b.n_tokens)
    else:
        selected = sorted(map(tuple, runs.tolist()))  # type: ignore[arg-type]
    if not selected:
        return [], 0.0, 0.0
    out: list[Passage] = []
    ta = tb = 0
    for a0, a1, b0, b1, matched in _merge(selected):
        if min(a1 - a0, b1 - b0) < settings.min_passage_tokens:
            continue
        out.append(_passage(a, b, a0, a1, b0, b1, matched))
        ta += a1 - a0
        tb += b1 - b0
    return out, ta / a.n_tokens, tb / b.n_tokens


def _passage(a: Doc, b: Doc, a0: int, a1: int, b0: int, b1: int, matched: int) -> Passage:
    """Token ranges [a0, a1), [b0, b1) as a passage with character offsets."""
    return Passage(
        a_start=int(a.tok_spans[a0, 0]),
        a_end=int(a.tok_spans[a1 - 1, 1]),
        b_start=int(b.tok_spans[b0, 0]),
        b_end=int(b.tok_spans[b1 - 1, 1]),
        kind="verbatim",
        similarity=matched / max(a1 - a0, b1 - b0),
    )


def token_coverage(doc: Doc, passages: list[Passage], side: str) -> float:
    """Share of the doc's matchable (non-boilerplate) tokens inside the passages' spans on ``side``."""
    if side not in ("a", "b"):
        raise ValueError(f"side must be 'a' or 'b', not {side!r}")
    n = doc.n_tokens
    if n == 0 or not passages:
        return 0.0
    iv = np.array(
        [(p.a_start, p.a_end) if side == "a" else (p.b_start, p.b_end) for p in passages], dtype=np.int64
    )
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    starts = doc.tok_spans[:, 0].astype(np.int64)
    ends = doc.tok_spans[:, 1].astype(np.int64)
    idx = np.searchsorted(iv[:, 0], starts, side="right") - 1
    ok = idx >= 0
    # running max of interval ends copes with nested or overlapping intervals
    reach = np.maximum.accumulate(iv[:, 1])
    covered = ok & (ends <= reach[np.maximum(idx, 0)])
    return float(covered.sum()) / n


def verbatim_coverage_many(docs: list[Doc], pairs: np.ndarray, settings: Settings, chunk: int = 1 << 20) -> np.ndarray:
    """Coverage (cov_a, cov_b) of many candidate pairs ((P, 2) doc indices) at once: (P, 2) float.

    The same numbers as :func:`verbatim_evidence` gives pair by pair, without passages.
    Why: bulk verification of a large corpus is a few hundred thousand pairs, and per
    pair the ~20 small numpy calls cost more than the work. Here each chunk of pairs is
    one binary search of all their second docs' k-grams in a table of their first docs'
    sorted k-grams (keyed by slot and top 44 hash bits), then runs, the overlap test and
    the merge of light edits are array operations over all hits of the chunk together.
    Every occurrence of a repeated k-gram is matched (up to ``_MAX_REPEAT``, as in the
    pair-by-pair walk); pairs whose runs overlap go through the same longest-first
    selection (:func:`_select`) one by one, on runs already found.
    """
    k = max(1, min(_SEED_K, settings.min_passage_tokens))
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros((pairs.shape[0], 2), dtype=np.float64)
    if pairs.shape[0] == 0:
        return out
    n_tok = np.fromiter((d.n_tokens for d in docs), dtype=np.int64, count=len(docs))
    ex = np.fromiter((d.exact_hash for d in docs), dtype=np.uint64, count=len(docs))
    pi, pj = pairs[:, 0], pairs[:, 1]
    ok = (n_tok[pi] >= k) & (n_tok[pj] >= k)
    same = ok & (ex[pi] != 0) & (ex[pi] == ex[pj]) & (n_tok[pi] == n_tok[pj])
    out[same] = 1.0
    todo = np.flatnonzero(ok & ~same)
    todo = todo[np.argsort(pi[todo], kind="stable")]
    kgs: dict[int, _KGrams] = {}

    def kg(i: int) -> _KGrams:
        g = kgs.get(i)
        if g is None:
            g = kgs[i] = _kgrams(docs[i], k)
        return g

    qlen = np.maximum(n_tok - k + 1, 0)[pj[todo]]
    ends = np.cumsum(qlen)
    start = 0
    while start < todo.shape[0]:
        # about `chunk` queries per chunk (at least one pair); the slot keys need < 2**20 first docs
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + chunk, side="right")))
        part = todo[start:stop]
        _coverage_chunk(pairs[part], kg, n_tok, k, settings, out, part)
        start = stop
    return out


_TOP = np.uint64(20)  # k-gram hashes keep their top 44 bits in the table key
_SLOT = np.uint64(44)


def _coverage_chunk(
    pairs: np.ndarray,
    kg: Callable[[int], _KGrams],
    n_tok: np.ndarray,
    k: int,
    settings: Settings,
    out: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Fill ``out[rows]`` with the coverages of one chunk of pairs."""
    pc = pairs.shape[0]
    ua, slot = np.unique(pairs[:, 0], return_inverse=True)
    ka = [kg(int(i)) for i in ua]
    kb = [kg(int(j)) for j in pairs[:, 1].tolist()]
    tlen = np.fromiter((g.sorted.shape[0] for g in ka), dtype=np.int64, count=len(ka))
    # a sentinel above every key keeps each search result a valid index (slots < 2**20)
    table = np.empty(int(tlen.sum()) + 1, dtype=np.uint64)
    np.bitwise_or(np.repeat(np.arange(len(ka), dtype=np.uint64) << _SLOT, tlen), np.concatenate([g.sorted for g in ka]) >> _TOP, out=table[:-1])
    table[-1] = np.uint64(0xFFFFFFFFFFFFFFFF)
    tpos = np.concatenate([g.pos for g in ka])
    qlen = np.fromiter((g.hashes.shape[0] for g in kb), dtype=np.int64, count=pc)
    pid = np.repeat(np.arange(pc, dtype=np.int32), qlen)
    q = np.concatenate([g.hashes for g in kb]) >> _TOP
    q |= np.repeat(slot.astype(np.uint64) << _SLOT, qlen)
    idx = np.searchsorted(table, q)
    hq = np.flatnonzero(table[idx] == q)
    bad = np.zeros(pc, dtype=bool)  # pairs whose runs overlap: selection one by one
    out[rows] = 0.0
    if hq.shape[0] == 0:
        return
    ti = idx[hq]
    multi = False
    if any(g.rep_sorted is not None for g in ka):
        # a k-gram repeated in a: every occurrence is a match (as in _runs_py), but one
        # repeated more than _MAX_REPEAT times is a refrain and seeds nothing
        trep = np.concatenate([g.rep_sorted if g.rep_sorted is not None else np.zeros(g.sorted.shape[0], bool) for g in ka])
        r = np.flatnonzero(trep[ti])
        if r.shape[0]:
            multi = True
            cnt = np.ones(hq.shape[0], dtype=np.int64)
            cnt[r] = np.searchsorted(table, q[hq[r]], side="right") - ti[r]
            cnt[cnt > _MAX_REPEAT] = 0
            ramp = np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            hq = np.repeat(hq, cnt)
            ti = np.repeat(ti, cnt) + ramp
    hp = pid[hq]
    qoff = np.cumsum(qlen) - qlen
    pa = tpos[ti]
    # runs: consecutive hits of one pair on one diagonal with consecutive b positions
    cut = np.ones(hp.shape[0], dtype=bool)
    if multi:  # several hits per b position: chain along each diagonal separately
        pb = hq - qoff[hp]
        diag = pb - pa
        o = np.lexsort((pb, diag, hp))
        hp, pa, pb, diag = hp[o], pa[o], pb[o], diag[o]
        cut[1:] = (hp[1:] != hp[:-1]) | (diag[1:] != diag[:-1]) | (pb[1:] != pb[:-1] + 1)
        rs = np.flatnonzero(cut)
        rb = pb[rs]
    else:  # one hit per b position, in b order: a run is consecutive queries AND consecutive a positions
        cut[1:] = (hp[1:] != hp[:-1]) | (hq[1:] != hq[:-1] + 1) | (pa[1:] != pa[:-1] + 1)
        rs = np.flatnonzero(cut)
        rb = hq[rs] - qoff[hp[rs]]
    rp, ra = hp[rs].astype(np.int64), pa[rs]
    rn = np.diff(rs, append=hp.shape[0]) + (k - 1)
    # runs sharing a token on either side need longest-first selection: done per pair below
    o = np.lexsort((rb, rp))
    same = rp[o][1:] == rp[o][:-1]
    bad[rp[o][1:][same & (rb[o][1:] < rb[o][:-1] + rn[o][:-1])]] = True
    o = np.lexsort((ra, rp))
    rp, ra, rb, rn = rp[o], ra[o], rb[o], rn[o]
    same_a = rp[1:] == rp[:-1]
    bad[rp[1:][same_a & (ra[1:] < ra[:-1] + rn[:-1])]] = True
    # merge neighbours whose gaps on both sides are at most _MAX_GAP tokens
    ga = ra[1:] - (ra[:-1] + rn[:-1])
    gb = rb[1:] - (rb[:-1] + rn[:-1])
    join = np.zeros(rp.shape[0], dtype=bool)
    join[1:] = same_a & (ga >= 0) & (ga <= _MAX_GAP) & (gb >= 0) & (gb <= _MAX_GAP)
    first = np.flatnonzero(~join)
    last = np.append(first[1:], rp.shape[0]) - 1
    sa0, sb0 = ra[first], rb[first]
    sa1, sb1 = ra[last] + rn[last], rb[last] + rn[last]
    keep = (np.minimum(sa1 - sa0, sb1 - sb0) >= settings.min_passage_tokens) & ~bad[rp[first]]
    sp = rp[first][keep]
    na, nb = n_tok[pairs[:, 0]], n_tok[pairs[:, 1]]
    out[rows, 0] = np.bincount(sp, weights=(sa1 - sa0)[keep], minlength=pc) / na
    out[rows, 1] = np.bincount(sp, weights=(sb1 - sb0)[keep], minlength=pc) / nb
    for p in np.flatnonzero(bad).tolist():
        lo, hi = np.searchsorted(rp, [p, p + 1])
        runs = np.stack([ra[lo:hi], rb[lo:hi], rn[lo:hi]], axis=1)
        ta = tb = 0
        for a0, a1, b0, b1, _ in _merge(_select(runs, int(na[p]), int(nb[p]))):
            if min(a1 - a0, b1 - b0) >= settings.min_passage_tokens:
                ta += a1 - a0
                tb += b1 - b0
        out[rows[p]] = (ta / na[p], tb / nb[p])
