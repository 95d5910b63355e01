"""The index's tables, and the signature-settings record that guards what goes in.

Signatures (MinHash, fingerprints, sentence vectors) only compare with signatures
made the same way, so the settings that shape them are written once, when the index
is created, and every later opener with other values is refused.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from datetime import datetime, timezone

from retold.config import Settings

#: Marks a SQLite file as ours, so another program's database is refused, not altered.
APP_ID = "retold-index"
#: Bumped when the tables change in a way older code cannot read.
FORMAT_VERSION = 2
#: Format 2 added the candidate tables of ``retold.index.postings``; a format-1 index gets
#: them on its first write (``Index.upgrade``).

#: Settings fields that change the signatures stored with each doc.
SIGNATURE_FIELDS: tuple[str, ...] = ("shingle_size", "num_perm", "seed", "fingerprint_mod")

DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS docs (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    text       TEXT NOT NULL,
    title      TEXT,
    url        TEXT,
    source     TEXT,
    published  TEXT,
    art_lang   TEXT,
    loc        TEXT,
    lang       TEXT NOT NULL,
    exact_hash INTEGER NOT NULL,
    arrays     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS pairs (
    seq        INTEGER PRIMARY KEY,
    a          TEXT NOT NULL,
    b          TEXT NOT NULL,
    relation   TEXT NOT NULL,
    score      REAL NOT NULL,
    coverage_a REAL NOT NULL,
    coverage_b REAL NOT NULL,
    direction  TEXT,
    passages   TEXT NOT NULL,
    features   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pairs_a ON pairs (a);
CREATE INDEX IF NOT EXISTS pairs_b ON pairs (b);
CREATE TABLE IF NOT EXISTS runs (
    seq         INTEGER PRIMARY KEY,
    time        TEXT NOT NULL,
    docs_added  INTEGER NOT NULL,
    pairs_added INTEGER NOT NULL,
    version     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS removals (
    seq           INTEGER PRIMARY KEY,
    time          TEXT NOT NULL,
    docs_removed  INTEGER NOT NULL,
    pairs_removed INTEGER NOT NULL,
    version       TEXT NOT NULL
);
"""

#: Created by ``Index.remove`` in indexes made before it existed (older code ignores the table).
REMOVALS_DDL = DDL[DDL.index("CREATE TABLE IF NOT EXISTS removals") :].strip().rstrip(";")


def signature_record(settings: Settings, encoder_name: str | None) -> dict[str, object]:
    """The values that must agree between an index and whoever adds to it."""
    rec: dict[str, object] = {f: getattr(settings, f) for f in SIGNATURE_FIELDS}
    rec["encoder"] = encoder_name
    return rec


def settings_from_record(rec: dict[str, object], base: Settings | None = None) -> Settings:
    """Settings carrying the index's signature values (other fields from ``base`` or defaults)."""
    known = {f.name for f in fields(Settings)}
    base = base or Settings()
    values = {f.name: getattr(base, f.name) for f in fields(Settings)}
    values.update({k: v for k, v in rec.items() if k in known})
    return Settings(**values)


def create_or_read_meta(conn: sqlite3.Connection, record: dict[str, object]) -> dict[str, str]:
    """Create the tables and first meta rows if missing, and return the meta rows.

    Runs inside the caller's write transaction, so two processes creating the same
    index at once agree on one record (INSERT OR IGNORE keeps the first). ``created`` is
    when the file became an index, for ``retold index info`` (indexes made before it was
    recorded lack the row).
    """
    for stmt in DDL.split(";"):
        if stmt.strip():
            conn.execute(stmt)
    conn.executemany(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
        [
            ("app", APP_ID),
            ("format_version", str(FORMAT_VERSION)),
            ("signature", json.dumps(record, sort_keys=True)),
            ("created", datetime.now(timezone.utc).isoformat()),
        ],
    )
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())
