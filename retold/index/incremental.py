"""The candidates of new docs against an index, read from its candidate tables, not its docs.

``find_candidates`` over every indexed doc plus the new ones gives the pairs this module
gives, with the same positions (indexed docs in the order added, then the new ones): each
signal is computed from the rows that share a key with a new doc, and every count a rule
reads (bucket sizes, how many texts hold a name or word) is the count over the whole index.
Only the docs of candidate pairs are read whole (text, sentences, vectors).

What grows with the index is small and read in one pass: a row of ``light`` per doc (a few
numbers). Below ``semantic.EXACT_BELOW`` vectors the article-vector search is the one of
``ann_candidates`` (exact); past it, the graphs saved beside the index and memory-mapped
(``retold.index.vectors``), whose float32 cosines are ranked as the exhaustive search ranks
them, so that it is that search's answer wherever the graphs' recall holds (a scan of the whole corpus at
once builds one HNSW graph there, whose neighbours may differ a little). The static second
model's article vectors are searched the same way, through graphs of their own; a long-lived
index (``keep_in_memory``) holds them and searches them exhaustively in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from retold.candidates.find import merge
from retold.candidates.lexical import pairs_sharing_keys
from retold.candidates.rescue import TextTable, rescue_candidates
from retold.candidates.semantic import (
    EXACT_BELOW,
    _neighbours,
    static_k,
    static_pairs,
    _bucket_cap,
    anchor_pairs,
    doc_anchor_names,
    doc_word_items,
    exact_neighbours,
    is_bare,
    neighbour_pairs,
    pairs_of_neighbours,
    word_pairs,
    word_total,
    name_total,
)
from retold.config import Settings
from retold.index import postings, vectors
from retold.index.postings import BAND, EXACT, FINGERPRINT, chunks, from_i64, has_vec, lexical_keys, to_i64, word_key
from retold.model import Article, Doc
from retold.progress import Progress
from retold.clean.lang import written_language
from retold.sign.second import article_vector, cheap, lead_vector

_SEQ_CHUNK = 500


@dataclass
class Light:
    """The ``light`` table: one entry per indexed doc, in the order added."""

    seq: np.ndarray
    ids: list[str]
    published: list[str | None]
    lang: list[str]
    n_tokens: np.ndarray
    exact_hash: np.ndarray  # uint64
    name_total: np.ndarray
    words_total: np.ndarray  # nan where the doc is not bare
    content_len: np.ndarray
    readable: np.ndarray

    def position(self, seqs: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.seq, seqs)

    def extended(self, more: Light) -> Light:
        """These rows and then ``more`` (rows added later), as new arrays and lists."""
        return Light(
            seq=np.concatenate([self.seq, more.seq]),
            ids=self.ids + more.ids,
            published=self.published + more.published,
            lang=self.lang + more.lang,
            n_tokens=np.concatenate([self.n_tokens, more.n_tokens]),
            exact_hash=np.concatenate([self.exact_hash, more.exact_hash]),
            name_total=np.concatenate([self.name_total, more.name_total]),
            words_total=np.concatenate([self.words_total, more.words_total]),
            content_len=np.concatenate([self.content_len, more.content_len]),
            readable=np.concatenate([self.readable, more.readable]),
        )


def read_light(ix) -> Light:
    """Every indexed doc's light row. A long-lived index (``Index.held_tables``) keeps them and
    reads only the rows added since: reading 50,000 rows cost 0.14 s of every add of 20."""
    held = ix.held_tables() if getattr(ix, "keeps_memory", False) else None
    before = held.get("light") if held is not None else None
    if not isinstance(before, Light):
        light = _light_rows(ix, None)
    else:
        more = _light_rows(ix, int(before.seq[-1]) if len(before.seq) else None)
        light = before.extended(more) if len(more.seq) else before
    if held is not None:
        held["light"] = light
    return light


def _light_rows(ix, after: int | None) -> Light:
    """The light rows in the order added (those after seq ``after`` only, when given)."""
    rows = ix._read(
        "SELECT seq, id, published, lang, n_tokens, exact_hash, name_total, words_total, content_len, readable "
        "FROM light" + (" WHERE seq > ?" if after is not None else "") + " ORDER BY seq",
        (after,) if after is not None else (),
    )
    cols = list(zip(*rows)) if rows else [()] * 10
    return Light(
        seq=np.array(cols[0], dtype=np.int64),
        ids=list(cols[1]),
        published=list(cols[2]),
        lang=list(cols[3]),
        n_tokens=np.array(cols[4], dtype=np.int64),
        exact_hash=from_i64(np.array(cols[5], dtype=np.int64)),
        name_total=np.array(cols[6], dtype=np.float64),
        words_total=np.array([np.nan if w is None else w for w in cols[7]], dtype=np.float64),
        content_len=np.array(cols[8], dtype=np.float64),
        readable=np.array(cols[9], dtype=bool),
    )


class LazyDocs(Sequence):
    """Indexed docs then new ones, by position; an indexed doc is read when first asked for."""

    def __init__(self, ix, light: Light, new_docs: list[Doc]) -> None:
        self._ix, self._light, self._new = ix, light, new_docs
        self._n = len(light.seq)
        self.loaded: dict[int, Doc] = {}
        self.second_before: dict[int, object] = {}

    def __len__(self) -> int:
        return self._n + len(self._new)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if i >= self._n:
            return self._new[i - self._n]
        if i not in self.loaded:
            self.prefetch([i])
        return self.loaded[i]

    def prefetch(self, positions: Sequence[int]) -> None:
        want = sorted({int(p) for p in positions if p < self._n and p not in self.loaded})
        for part in chunks(want, _SEQ_CHUNK):
            for p, d in zip(part, self._ix._docs_by_seq([int(self._light.seq[x]) for x in part])):
                self.loaded[p] = d
                self.second_before[p] = d.second_vecs

    def lang(self, i: int) -> str:
        return self._light.lang[i] if i < self._n else self._new[i - self._n].lang

    def refreshed(self) -> list[Doc]:
        """Indexed docs read here whose second-model vectors changed meanwhile (to write back):
        grown, or signed afresh by another backend."""
        return [d for p, d in sorted(self.loaded.items()) if d.second_vecs is not self.second_before[p]]


@dataclass
class Found:
    """What a scan needs from the index to compare and group its new docs."""

    docs: list[Doc]  # indexed docs of candidate pairs, then the new docs (positions of ``cand``)
    is_new: np.ndarray
    cand: dict[tuple[int, int], set[str]]
    light: Light
    lazy: LazyDocs
    stats: dict[str, float] = field(default_factory=dict)
    universe: list[int] = field(default_factory=list)  # positions in the index of the indexed docs named by the pairs


def _fetch(ix, sql: str, keys: list, extra: Sequence[object] = ()) -> list[tuple]:
    out: list[tuple] = []
    for part in chunks(keys):
        out += ix._read(sql.format(marks=",".join("?" * len(part))), [*extra, *part])
    return out


def _lexical(ix, light: Light, new_docs: list[Doc], settings: Settings, is_new: np.ndarray) -> dict[tuple[int, int], set[str]]:
    n, d_all = len(light.seq), len(is_new)
    ex = np.concatenate([light.exact_hash, np.array([d.exact_hash for d in new_docs], dtype=np.uint64)])
    out: dict[tuple[int, int], set[str]] = {}

    def tag(codes: np.ndarray, name: str) -> None:
        for c in codes.tolist():
            out.setdefault((c // d_all, c % d_all), set()).add(name)

    per_kind: dict[int, list[tuple[int, np.ndarray]]] = {EXACT: [], BAND: [], FINGERPRINT: []}
    for k, d in enumerate(new_docs):
        for kind, keys in lexical_keys(d, settings):
            per_kind[kind].append((n + k, keys))
    for kind, name in ((EXACT, "exact"), (BAND, "lsh"), (FINGERPRINT, "fingerprint")):
        if not per_kind[kind]:
            continue
        nk = np.concatenate([keys for _, keys in per_kind[kind]])
        no = np.concatenate([np.full(len(keys), p, dtype=np.int64) for p, keys in per_kind[kind]])
        uniq, new_count = np.unique(nk, return_counts=True)
        qkeys = to_i64(uniq).tolist()
        old_count = dict(_fetch(ix, "SELECT key, count(*) FROM postings WHERE kind = ? AND key IN ({marks}) GROUP BY key", qkeys, (kind,)))
        total = new_count + np.array([old_count.get(k, 0) for k in qkeys], dtype=np.int64)
        small = total <= settings.max_bucket
        rows = _fetch(ix, "SELECT key, seq FROM postings WHERE kind = ? AND key IN ({marks})", to_i64(uniq[small]).tolist(), (kind,))
        ok_new = np.isin(nk, uniq[small])
        okeys = from_i64(np.array([r[0] for r in rows], dtype=np.int64))
        oown = light.position(np.array([r[1] for r in rows], dtype=np.int64))
        keys = np.concatenate([okeys, nk[ok_new]])
        owners = np.concatenate([oown, no[ok_new]])
        codes = pairs_sharing_keys(keys, owners, is_new, settings.max_bucket)
        if kind == EXACT:
            extra = []
            for key in uniq[~small].tolist():  # a text copied everywhere: a star around its first holder
                hub_seq = ix._read("SELECT min(seq) FROM postings WHERE kind = ? AND key = ?", (EXACT, int(to_i64(np.array([key], dtype=np.uint64))[0])))[0][0]
                members = np.sort(no[nk == np.uint64(key)])
                if hub_seq is not None:
                    hub, rest = int(light.position(np.array([hub_seq]))[0]), members
                else:
                    hub, rest = int(members[0]), members[1:]
                extra.append(np.minimum(hub, rest) * d_all + np.maximum(hub, rest))
            codes = np.unique(np.concatenate([codes, *extra]))
        else:
            i, j = codes // d_all, codes % d_all
            codes = codes[~((ex[i] == ex[j]) & (ex[i] != 0))]  # one exact class: an "exact" pair only
            if kind == BAND:
                codes = np.unique(codes)
            else:
                uniq_c, counts = np.unique(codes, return_counts=True)
                codes = uniq_c[counts >= settings.min_shared_fingerprints]
        tag(codes, name)
    return out


def _row_chunks(ix, light: Light, sql: str, step: int = 8192):
    """(positions, rows) of a ``SELECT seq, ... ORDER BY seq``, a chunk at a time."""
    cur = ix._db.execute(sql)
    while True:
        rows = cur.fetchmany(step)
        if not rows:
            return
        yield light.position(np.array([r[0] for r in rows], dtype=np.int64)), rows


def _floats(blobs: list[bytes]) -> np.ndarray:
    """Float32 blobs of one width as the rows of a matrix."""
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


def _vector_chunks(ix, light: Light):
    for pos, rows in _row_chunks(ix, light, "SELECT seq, vec FROM vecs ORDER BY seq"):
        yield pos, _floats([r[1] for r in rows])


def _static_rows(ix, light: Light):
    """(positions, lacks, article vectors) of the ``svecs`` rows, a chunk at a time.

    A long-lived index keeps them (``Index.held_tables``) and reads only the rows added since
    (128 floats a doc: 25 MB at 50,000 docs, which every add of 20 read again, 0.2 s of it)."""
    held = ix.held_tables() if getattr(ix, "keeps_memory", False) else None
    if held is None:
        for pos, rows in _row_chunks(ix, light, "SELECT seq, lacks, art FROM svecs ORDER BY seq"):
            yield pos, np.array([bool(r[1]) for r in rows], dtype=bool), _floats([r[2] for r in rows])
        return
    before = held.get("static")
    seqs, lacks, vecs = before if isinstance(before, tuple) else (np.zeros(0, np.int64), np.zeros(0, bool), None)
    after = int(seqs[-1]) if len(seqs) else -(2**62)
    rows = ix._read("SELECT seq, lacks, art FROM svecs WHERE seq > ? ORDER BY seq", (after,))
    if rows:
        seqs = np.concatenate([seqs, np.array([r[0] for r in rows], dtype=np.int64)])
        lacks = np.concatenate([lacks, np.array([bool(r[1]) for r in rows], dtype=bool)])
        more = _floats([r[2] for r in rows])
        vecs = more if vecs is None else np.concatenate([vecs, more])
    held["static"] = (seqs, lacks, vecs)
    if vecs is not None and len(seqs):
        yield light.position(seqs), lacks, vecs


def hold_tables(ix) -> Light:
    """Read into a long-lived index's memory what every add reads whole (the light rows and
    the static article vectors, ``Index.held_tables``), as the first add would; the light rows."""
    light = read_light(ix)
    for _ in _static_rows(ix, light):
        pass
    return light


def _static(ix, light: Light, new_docs: list[Doc], settings: Settings) -> dict[tuple[int, int], set[str]]:
    """``static_candidates`` over the index's ``svecs`` rows and the new docs: the same search
    as a full load below ``EXACT_BELOW`` vectors, an exhaustive one a chunk at a time past it."""
    if not cheap():
        return {}
    n = len(light.seq)
    new_pos = [n + k for k, d in enumerate(new_docs) if article_vector(d) is not None]
    if not new_pos:
        return {}
    new_vecs = np.stack([article_vector(new_docs[p - n]) for p in new_pos]).astype(np.float32)
    lacks = np.zeros(n + len(new_docs), dtype=bool)
    lacks[n:] = [d.sent_vecs is None for d in new_docs]
    n_old, old_lacking = ix._read("SELECT count(*), coalesce(sum(lacks), 0) FROM svecs")[0]
    if n_old + len(new_pos) < 2 or not (lacks[n:].any() or old_lacking):
        return {}
    written = [written_language(x) or "" for x in light.lang] + [written_language(d.lang) or "" for d in new_docs]
    k = static_k(settings, n_old + len(new_pos))
    if n_old + len(new_pos) < EXACT_BELOW:  # the search a full load makes, on the same vectors
        parts = list(_static_rows(ix, light))
        for p, lk, _ in parts:
            lacks[p] = lk
        pos = np.concatenate([p for p, _, _ in parts] + [np.array(new_pos, dtype=np.int64)])
        vecs = np.concatenate([v for _, _, v in parts] + [new_vecs]) if parts else new_vecs
        qmask = pos >= n
        keys, cos = _neighbours(vecs, vecs[qmask], k, settings.reproducible)
        keys = np.where(keys >= 0, pos[np.maximum(keys, 0)], -1)
        return static_pairs(pos[qmask], keys, cos, lacks, written, settings)

    if getattr(ix, "keeps_memory", False):  # held in memory (Index.held_tables): one exhaustive pass
        def chunked():
            for p, lk, v in _static_rows(ix, light):
                lacks[p] = lk
                yield p, v
            yield np.array(new_pos, dtype=np.int64), new_vecs

        keys, cos = exact_neighbours(chunked(), new_vecs, k)
        return static_pairs(np.array(new_pos, dtype=np.int64), keys, cos, lacks, written, settings)
    # else the graphs beside the index (retold/index/vectors.py, table STATIC), keyed by seq as
    # ``_ann`` keys them; the lacks of the indexed docs found are read for those docs only
    base = int(light.seq[-1]) + 1 if n else 0
    new_keys = base + np.array(new_pos, dtype=np.int64) - n
    keys, cos = vectors.neighbours(ix._db, ix.path, light.seq, new_vecs, new_keys, k, table=vectors.STATIC)
    old = np.unique(keys[(keys >= 0) & (keys < base)])
    for part in chunks(old.tolist(), 900):
        marks = ",".join("?" * len(part))
        rows = ix._read(f"SELECT seq, lacks FROM svecs WHERE seq IN ({marks})", part)
        if rows:
            lacks[light.position(np.array([r[0] for r in rows], dtype=np.int64))] = [bool(r[1]) for r in rows]
    pos = np.where(keys >= base, keys - base + n, light.position(np.minimum(keys, base - 1)))
    keys = np.where(keys >= 0, pos, -1)
    return static_pairs(np.array(new_pos, dtype=np.int64), keys, cos, lacks, written, settings)


def _ann(ix, light: Light, new_docs: list[Doc], settings: Settings) -> dict[tuple[int, int], set[str]]:
    n = len(light.seq)
    new_pos = [n + k for k, d in enumerate(new_docs) if has_vec(d)]
    if not new_pos:
        return {}
    new_vecs = np.stack([new_docs[p - n].vec for p in new_pos]).astype(np.float32)
    n_old = int(ix._read("SELECT count(*) FROM vecs")[0][0])
    if n_old + len(new_pos) < 2:
        return {}
    if n_old + len(new_pos) < EXACT_BELOW:  # the search a full load makes, on the same vectors
        parts = list(_vector_chunks(ix, light))
        pos = np.concatenate([p for p, _ in parts] + [np.array(new_pos, dtype=np.int64)])
        vecs = np.concatenate([v for _, v in parts] + [new_vecs]) if parts else new_vecs
        qmask = pos >= n
        return neighbour_pairs(pos, vecs, qmask, settings)
    # past it: the graphs saved beside the index (retold/index/vectors.py), keyed by seq; the
    # new docs keyed after the last seq, so that ties go the way positions order them
    base = int(light.seq[-1]) + 1 if n else 0
    new_keys = base + np.array(new_pos, dtype=np.int64) - n
    keys, cos = vectors.neighbours(ix._db, ix.path, light.seq, new_vecs, new_keys, settings.ann_neighbours + 1)
    pos = np.where(keys >= base, keys - base + n, light.position(np.minimum(keys, base - 1)))
    keys = np.where(keys >= 0, pos, -1)
    return pairs_of_neighbours(np.array(new_pos), None, keys, cos, settings)


def _ordered_lists(rows: list[tuple], new_items: list[tuple[int, list[tuple[str, float]]]], allowed: set[str]):
    """Posting lists ``key -> [(position, weight)]`` by position, the keys in the order a full
    load meets them first (first holder, then the key's place in that holder)."""
    lists: dict[str, list[tuple[int, float, int]]] = {}
    for key, pos, w, o in rows:
        lists.setdefault(key, []).append((pos, w, o))
    for pos, items in new_items:
        for o, (key, w) in enumerate(items):
            if key in allowed:
                lists.setdefault(key, []).append((pos, w, o))
    out = []
    for key, lst in lists.items():
        lst.sort()
        out.append(((lst[0][0], lst[0][2]), key, [(p, w) for p, w, _ in lst]))
    out.sort(key=lambda x: x[0])
    return [(key, lst) for _, key, lst in out]


def _counts(ix, table: str, keys: list[str]) -> dict[str, int]:
    return dict(_fetch(ix, f"SELECT key, count(*) FROM {table} WHERE key IN ({{marks}}) GROUP BY key", keys))


def _key_counts(items: list[tuple[int, list[tuple[str, float]]]]) -> Counter[str]:
    """How many of the new docs carry each key (their document frequency among themselves)."""
    return Counter(key for _, keys in items for key, _w in keys)


def _anchors(ix, light: Light, lazy: LazyDocs, new_docs: list[Doc], settings: Settings, is_new: np.ndarray):
    n = len(light.seq)
    new_items = [(n + k, doc_anchor_names(d)) for k, d in enumerate(new_docs)]
    new_count = _key_counts(new_items)
    cap = _bucket_cap(len(is_new), settings)
    old = _counts(ix, "names", list(new_count))
    kept = [k for k, c in new_count.items() if 2 <= c + old.get(k, 0) <= cap]
    rows = _fetch(ix, "SELECT key, seq, w, ord FROM names WHERE key IN ({marks})", kept)
    pos = light.position(np.array([r[1] for r in rows], dtype=np.int64)).tolist()
    rows = [(r[0], p, r[2], r[3]) for r, p in zip(rows, pos)]
    lists = _ordered_lists(rows, new_items, set(kept))
    total = np.zeros(len(is_new), dtype=np.float64)
    total[:n] = light.name_total
    for p, items in new_items:
        total[p] = name_total(items)
    return anchor_pairs((lst for _, lst in lists), total, is_new, cap, lazy, lazy.lang)


def _words(ix, light: Light, new_docs: list[Doc], settings: Settings, is_new: np.ndarray):
    n = len(light.seq)
    new_bare = [(n + k, d) for k, d in enumerate(new_docs) if is_bare(d)]
    old_bare = int(np.count_nonzero(~np.isnan(light.words_total)))
    if not new_bare or old_bare + len(new_bare) < 2:
        return {}
    new_items = [(p, [(word_key(key), w) for key, w in doc_word_items(d)]) for p, d in new_bare]
    new_count = _key_counts(new_items)
    cap = _bucket_cap(len(is_new), settings)
    old = _counts(ix, "words", list(new_count))
    df = {k: c + old.get(k, 0) for k, c in new_count.items()}
    kept = [k for k, c in df.items() if 2 <= c <= cap]
    rows = _fetch(ix, "SELECT key, seq, w, ord FROM words WHERE key IN ({marks})", kept)
    pos = light.position(np.array([r[1] for r in rows], dtype=np.int64)).tolist()
    by_doc: dict[int, list[tuple[int, str, float]]] = {}
    for (key, _s, w, o), p in zip(rows, pos):
        by_doc.setdefault(p, []).append((o, key, w))
    totals: dict[int, float] = {p: float(light.words_total[p]) for p in by_doc}
    keep = set(kept)
    for p, items in new_items:
        by_doc[p] = [(o, key, w) for o, (key, w) in enumerate(items) if key in keep]
        totals[p] = word_total(items)
    bare = sorted(by_doc)
    items = [[(key, w) for _, key, w in sorted(by_doc[p])] for p in bare]
    total = np.array([totals[p] for p in bare], dtype=np.float64)
    return word_pairs(bare, items, total, is_new[np.array(bare)], cap, df)


def _texts(ix, light: Light, new_docs: list[Doc]) -> TextTable:
    new = TextTable.of(new_docs)
    lead = None
    if cheap():  # the static model's lead vectors of every text, from the svecs rows
        n = len(light.seq)
        new_lead = [lead_vector(d) if r else None for d, r in zip(new_docs, new.readable)]
        parts = list(_row_chunks(ix, light, "SELECT seq, lead FROM svecs WHERE lead IS NOT NULL ORDER BY seq"))
        dim = next((len(v) for v in new_lead if v is not None), 0) or next((len(r[0][1]) // 4 for _, r in parts), 0)
        lead = np.zeros((n + len(new_docs), dim), dtype=np.float32)
        for pos, rows in parts:  # a lead is stored only for a readable text
            lead[pos] = _floats([r[1] for r in rows])
        for k, v in enumerate(new_lead):
            if v is not None:
                lead[n + k] = v
    return TextTable(
        lang=np.concatenate([np.array(light.lang, dtype=object), new.lang]),
        lengths=np.concatenate([light.content_len, new.lengths]),
        readable=np.concatenate([light.readable, new.readable]),
        lead=lead,
    )


def indexed_candidates(
    ix, new_docs: list[Doc], settings: Settings, stats: dict[str, float] | None = None, progress: Progress | None = None,
    read: bool = True,
) -> Found:
    """The candidates of ``new_docs`` against the index ``ix`` (format 2, keyed with
    ``settings.lsh_bands``), as ``find_candidates`` finds them over every doc.

    ``read``: read the indexed docs of the candidate pairs whole, and number the pairs by
    their place in ``Found.docs``; without it, ``Found.cand`` keeps the pairs by position in
    the index (then the new docs), ``Found.docs`` is empty, and ``Found.universe`` says which
    indexed docs the pairs name, for the caller to read a part at a time."""
    stats = stats if stats is not None else {}
    light = read_light(ix)
    n = len(light.seq)
    is_new = np.zeros(n + len(new_docs), dtype=bool)
    is_new[n:] = True
    lazy = LazyDocs(ix, light, new_docs)
    parts = [_lexical(ix, light, new_docs, settings, is_new)]
    if settings.semantic:
        parts.append(_ann(ix, light, new_docs, settings))
        parts.append(_anchors(ix, light, lazy, new_docs, settings, is_new))
        parts.append(_words(ix, light, new_docs, settings, is_new))
        if settings.second_opinion:
            parts.append(_static(ix, light, new_docs, settings))
    found = merge(*parts)
    if settings.semantic and settings.second_opinion:
        if any(d.sent_vecs is None for d in new_docs):
            found = merge(found, rescue_candidates(lazy, is_new, found, settings, stats, progress, texts=_texts(ix, light, new_docs)))
        else:
            stats["rescue_orphans"] = 0.0
    universe = sorted({p for ij in found for p in ij if p < n})
    stats["articles_read"] = float(len(universe))
    unread = Found(docs=[], is_new=is_new, cand=found, light=light, lazy=lazy, stats=stats, universe=universe)
    return read_whole(unread, new_docs) if read else unread


def read_whole(found: Found, new_docs: list[Doc]) -> Found:
    """``found`` as ``indexed_candidates`` gives it with ``read``: every indexed doc its pairs
    name read whole, and the pairs numbered by place in ``docs`` (those docs, then the new)."""
    n, universe = len(found.light.seq), found.universe
    found.lazy.prefetch(universe)
    where = {p: k for k, p in enumerate(universe)}
    where.update({n + k: len(universe) + k for k in range(len(new_docs))})
    docs = [found.lazy.loaded[p] for p in universe] + list(new_docs)
    cand = {(where[i], where[j]): why for (i, j), why in found.cand.items()}
    sub_new = np.zeros(len(docs), dtype=bool)
    sub_new[len(universe) :] = True
    return Found(docs=docs, is_new=sub_new, cand=cand, light=found.light, lazy=found.lazy, stats=found.stats, universe=universe)


def dated(light: Light) -> DatedDocs:
    """Every indexed doc as grouping reads it (its id and date), without its text or arrays."""
    return DatedDocs(light)


class DatedDocs(MutableMapping):
    """Every indexed doc by id, as grouping reads it (id, date, language), each made when first
    asked for; docs set here (a batch's new ones) are held as given.

    A long-lived index groups again only the components a batch touches
    (``group.held.HeldGroups.regroup``), so a batch reads the dates of a few hundred of its
    docs; making all of them as Doc objects first cost 0.27 s a batch at 50,000 indexed docs,
    a share of an add that grew with the index.
    """

    _EMPTY_I = np.zeros(0, dtype=np.int32)
    _SPANS = np.zeros((0, 2), dtype=np.int32)

    def __init__(self, light: Light) -> None:
        self._light = light
        self._at = {doc_id: k for k, doc_id in enumerate(light.ids)}
        self._docs: dict[str, Doc] = {}

    def __getitem__(self, doc_id: str) -> Doc:
        got = self._docs.get(doc_id)
        if got is not None:
            return got
        k = self._at[doc_id]  # KeyError for an id the index does not hold
        pub, lang = self._light.published[k], self._light.lang[k]
        art = Article(id=doc_id, text="", published=datetime.fromisoformat(pub) if pub is not None else None)
        doc = self._docs[doc_id] = Doc(
            article=art, lang=lang, sent_spans=self._SPANS, sent_boiler=np.zeros(0, bool), tok_hash=np.zeros(0, np.uint64),
            tok_spans=self._SPANS, tok_sent=self._EMPTY_I, tok_quoted=np.zeros(0, bool),
        )
        return doc

    def published(self, doc_id: str) -> datetime | None:
        """The doc's date, without making its Doc (grouping reads every indexed date)."""
        got = self._docs.get(doc_id)
        if got is not None:
            return got.article.published
        pub = self._light.published[self._at[doc_id]]
        return datetime.fromisoformat(pub) if pub is not None else None

    def __setitem__(self, doc_id: str, doc: Doc) -> None:
        self._docs[doc_id] = doc

    def __delitem__(self, doc_id: str) -> None:
        raise TypeError("the indexed docs are read-only here")

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._at or doc_id in self._docs

    def __iter__(self) -> Iterator[str]:
        yield from self._light.ids
        yield from (x for x in self._docs if x not in self._at)

    def __len__(self) -> int:
        return len(self._at) + sum(1 for x in self._docs if x not in self._at)


class IndexedDocs(Mapping):
    """Every doc of a scan against an index, by id (indexed ones in the order added, then the
    new ones), as ``ScanResult.docs``: the docs the scan read are held, any other is read from
    the index file when asked for (one at a time, not kept), so a scan never holds them all."""

    def __init__(self, path, ids: list[str], held: dict[str, Doc], index=None) -> None:
        self._path = path
        self._ids = ids
        self._set = set(ids)
        self._held = held
        self._ix = index  # an open Index to read through (its snapshot; not closed here)
        self._own = index is None

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self):
        return iter(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._set

    def __getitem__(self, key: str) -> Doc:
        d = self._held.get(key)
        if d is not None:
            return d
        if key not in self._set:
            raise KeyError(key)
        return self._index().load_docs([key])[0]

    def values(self):  # type: ignore[override]
        """Every doc in order, the ones not held read a chunk at a time and not kept: the
        articles listing of a large index never holds all its texts."""
        for _, d in self.items():
            yield d

    def items(self):  # type: ignore[override]
        for part in chunks(self._ids, _SEQ_CHUNK):
            want = [i for i in part if i not in self._held]
            read = {}
            if want:
                read = {d.id: d for d in self._index().load_docs(want)}
            for i in part:
                d = self._held.get(i)
                yield i, d if d is not None else read[i]

    def _index(self):
        if self._ix is None:
            from retold.index.store import Index

            self._ix = Index.open(self._path)
        return self._ix

    def close(self) -> None:
        if self._ix is not None and self._own:
            self._ix.close()
            self._ix = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit the module may be gone
            pass


__all__ = ["IndexedDocs", "indexed_candidates", "read_whole", "Found", "Light", "LazyDocs", "dated", "read_light", "hold_tables", "postings"]
