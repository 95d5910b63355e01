"""What the candidate stage reads of an indexed doc, in tables of their own (index format 2).

A scan against an index used to load every doc (text, sentences, vectors: ~45 KB each)
to find the candidates of a few new ones. These tables hold, per indexed doc, what the
candidate signals key on, so a scan reads only the rows that share a key with a new doc:

- ``postings (kind, key, seq)``: exact hash, MinHash band keys, fingerprints (uint64 keys
  stored as int64), indexed by (kind, key);
- ``names (key, seq, w, ord)``: rare names and numbers of the name anchors (``ord``: the
  name's place in its doc, so that posting lists are read in the order a full load makes);
- ``words (key, seq, w, ord)``: content words of texts without sentence vectors;
- ``vecs (seq, vec)``: article vectors (float32), read in chunks by the neighbour search;
- ``svecs (seq, lacks, art, lead)``: the static second model's article and lead vectors
  (float32; ``lacks``: the doc has no encoder vectors), for its neighbours and the rescue;
- ``light (seq, ...)``: a few numbers per doc (language, date, token count, name and word
  totals, content length) for candidate rules and groups, without the text.

Every row is written in the transaction of the ``add`` that adds its doc, and deleted in
that of the ``remove`` that removes it. An index of format 1 gets the tables on its first
write (``fill``), in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

import numpy as np

from retold.candidates.lexical import band_keys
from retold.candidates.semantic import doc_anchor_names, doc_word_items, is_bare, name_total, word_total
from retold.config import Settings
from retold.model import Doc, content_length
from retold.sign.second import article_vector, cheap, lead_vector, signed

#: kinds of ``postings`` rows
EXACT, BAND, FINGERPRINT = 1, 2, 3

DDL = """
CREATE TABLE IF NOT EXISTS postings (kind INTEGER NOT NULL, key INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS postings_key ON postings (kind, key, seq);
CREATE INDEX IF NOT EXISTS postings_seq ON postings (seq);
CREATE TABLE IF NOT EXISTS names (key TEXT NOT NULL, seq INTEGER NOT NULL, w REAL NOT NULL, ord INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS names_key ON names (key, seq);
CREATE INDEX IF NOT EXISTS names_seq ON names (seq);
CREATE TABLE IF NOT EXISTS words (key TEXT NOT NULL, seq INTEGER NOT NULL, w REAL NOT NULL, ord INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS words_key ON words (key, seq);
CREATE INDEX IF NOT EXISTS words_seq ON words (seq);
CREATE TABLE IF NOT EXISTS vecs (seq INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS svecs (seq INTEGER PRIMARY KEY, lacks INTEGER NOT NULL, art BLOB NOT NULL, lead BLOB);
CREATE TABLE IF NOT EXISTS light (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL,
    published   TEXT,
    lang        TEXT NOT NULL,
    n_tokens    INTEGER NOT NULL,
    exact_hash  INTEGER NOT NULL,
    name_total  REAL NOT NULL,
    words_total REAL,
    content_len REAL NOT NULL,
    readable    INTEGER NOT NULL
);
"""

TABLES = ("postings", "names", "words", "vecs", "svecs", "light")

_U64 = 1 << 64
_I64 = 1 << 63


def to_i64(keys: np.ndarray) -> np.ndarray:
    """uint64 keys as the int64 SQLite stores (the same bits)."""
    return np.asarray(keys, dtype=np.uint64).view(np.int64)


def from_i64(keys: np.ndarray) -> np.ndarray:
    return np.asarray(keys, dtype=np.int64).view(np.uint64)


def word_key(key: tuple[str | None, str]) -> str:
    """A ``(written language, word)`` key as one string (no language: a NUL)."""
    lang, w = key
    return ("\0" if lang is None else lang) + "\x1f" + w


def lexical_keys(d: Doc, settings: Settings) -> list[tuple[int, np.ndarray]]:
    """(kind, uint64 keys) of the doc, as the lexical candidates key it."""
    out: list[tuple[int, np.ndarray]] = []
    if d.exact_hash:
        out.append((EXACT, np.array([d.exact_hash], dtype=np.uint64)))
    if d.minhash is not None and d.n_tokens > 0:
        out.append((BAND, band_keys(d.minhash[None, :], settings.lsh_bands).reshape(-1)))
    if d.fingerprints is not None and d.fingerprints.shape[0]:
        out.append((FINGERPRINT, np.asarray(d.fingerprints, dtype=np.uint64)))
    return out


def has_vec(d: Doc) -> bool:
    return d.vec is not None and bool(np.any(d.vec))


def write_rows(db: sqlite3.Connection, docs: Iterable[tuple[int, Doc]], settings: Settings) -> None:
    """Insert the rows of each ``(seq, doc)`` (its names and words must be signed already)."""
    post: list[tuple[int, int, int]] = []
    names: list[tuple[str, int, float, int]] = []
    words: list[tuple[str, int, float, int]] = []
    vecs: list[tuple[int, bytes]] = []
    light: list[tuple] = []
    docs = list(docs)
    svecs = static_rows(docs)
    for seq, d in docs:
        for kind, keys in lexical_keys(d, settings):
            post.extend((kind, int(k), seq) for k in to_i64(keys).tolist())
        anchor = doc_anchor_names(d)
        names.extend((key, seq, float(w), o) for o, (key, w) in enumerate(anchor))
        wt = None
        if is_bare(d):
            items = doc_word_items(d)
            words.extend((word_key(key), seq, float(w), o) for o, (key, w) in enumerate(items))
            wt = word_total(items)
        if has_vec(d):
            vecs.append((seq, np.ascontiguousarray(d.vec, dtype=np.float32).tobytes()))
        a = d.article
        light.append((
            seq, a.id, a.published.isoformat() if a.published is not None else None, d.lang, int(d.n_tokens),
            int(to_i64(np.array([d.exact_hash], dtype=np.uint64))[0]), name_total(anchor), wt,
            float(content_length(d)), int(len(d.content_sentences()) > 0),
        ))
    db.executemany("INSERT INTO postings (kind, key, seq) VALUES (?, ?, ?)", post)
    db.executemany("INSERT INTO names (key, seq, w, ord) VALUES (?, ?, ?, ?)", names)
    db.executemany("INSERT INTO words (key, seq, w, ord) VALUES (?, ?, ?, ?)", words)
    db.executemany("INSERT INTO vecs (seq, vec) VALUES (?, ?)", vecs)
    db.executemany("INSERT INTO svecs (seq, lacks, art, lead) VALUES (?, ?, ?, ?)", svecs)
    db.executemany(f"INSERT INTO light VALUES ({','.join('?' * 10)})", light)


def static_rows(docs: list[tuple[int, Doc]]) -> list[tuple[int, int, bytes, bytes | None]]:
    """``svecs`` rows of ``(seq, doc)``: where the second model is the static one, each signed
    doc's article vector and lead vector. None where the second model is E5 itself: its vectors
    cover a text's first sentences only, and its signals read the docs they need."""
    if not cheap():
        return []
    out = []
    for seq, d in docs:
        art = article_vector(d) if signed(d) else None
        if art is None:
            continue
        lead = lead_vector(d) if len(d.content_sentences()) else None
        out.append((
            seq, int(d.sent_vecs is None), np.asarray(art, dtype=np.float32).tobytes(),
            None if lead is None else np.asarray(lead, dtype=np.float32).tobytes(),
        ))
    return out


def refresh_static(db: sqlite3.Connection, docs: list[tuple[int, Doc]]) -> None:
    """Rewrite the ``svecs`` rows of indexed docs whose second-model vectors a run changed."""
    db.executemany("INSERT OR REPLACE INTO svecs (seq, lacks, art, lead) VALUES (?, ?, ?, ?)", static_rows(docs))


def create(db: sqlite3.Connection) -> None:
    for stmt in DDL.split(";"):
        if stmt.strip():
            db.execute(stmt)


def delete_rows(db: sqlite3.Connection, seqs: list[int], chunk: int = 500) -> None:
    """Drop every row of the docs ``seqs`` from the tables above."""
    for i in range(0, len(seqs), chunk):
        part = seqs[i : i + chunk]
        marks = ",".join("?" * len(part))
        for table in TABLES:
            db.execute(f"DELETE FROM {table} WHERE seq IN ({marks})", part)


def chunks(items: list, size: int = 500) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
