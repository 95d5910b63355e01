"""The on-disk index: every Doc and Pair seen so far, in one SQLite file.

An index is a single SQLite file (WAL mode, so SQLite keeps ``<file>-wal`` and
``<file>-shm`` beside it while it is open). Embedded, no server: what a laptop run
needs, and what SQLite makes crash-safe for free. Each ``add`` is one transaction:
a process killed at any point leaves the index as it was or with the whole batch; so is
each ``remove`` (a takedown), which also overwrites what it deletes.
Readers never block the writer nor see half a batch; a second writer waits up to
``busy_timeout`` seconds, then gets ``IndexBusyError``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from retold.config import Settings
from retold.index.arrays import ARRAY_FIELDS, TABLE_BYTES, ArrayBlobError, blob_fields, pack_arrays, unpack_arrays
from retold.index.errors import IndexBusyError, IndexFileError, IndexSettingsError
from retold.index import postings, vectors
from retold.index.hooks import NO_HOOKS, WriteHooks
from retold.index.info import IndexInfo
from retold.index.schema import (
    APP_ID,
    FORMAT_VERSION,
    REMOVALS_DDL,
    SIGNATURE_FIELDS,
    create_or_read_meta,
    signature_record,
    settings_from_record,
)
from retold.model import Article, Doc, Pair, Passage
from retold.sign.second import sign_second

if TYPE_CHECKING:
    from retold.group.held import HeldGroups
    from retold.group.links import LinkTable

_SQLITE_MAGIC = b"SQLite format 3\x00"
_U64 = 1 << 64
_I64 = 1 << 63
_CHUNK = 500  # ids per "IN (...)" query, below SQLite's variable limit
#: bytes of the file SQLite may map into a process that keeps the index open and adds to it
#: again and again (the service): its adds reread the same pages, found without a copy
HELD_MAP_BYTES = 2 * 1024**3
#: the same for any other open (a scan, an add, a streamed scan): the mapped pages count in
#: the process's resident memory and, uncapped, grow with the file (``Index.open``)
BOUNDED_MAP_BYTES = 256 * 1024**2
_REQUIRED = ARRAY_FIELDS[:6]  # arrays every Doc has; the rest may be None

_DOC_COLS = "id, text, title, url, source, published, art_lang, loc, lang, exact_hash, arrays"
_PAIR_COLS = "a, b, relation, score, coverage_a, coverage_b, direction, passages, features"


@dataclass(frozen=True)
class Run:
    """One ``add`` call: when, how much, by which retold (to tell how an index grew)."""

    time: datetime
    docs_added: int
    pairs_added: int
    version: str


@dataclass(frozen=True)
class Removal:
    """One ``remove`` call (a takedown): when, how much went, by which retold."""

    time: datetime
    docs_removed: int
    pairs_removed: int
    version: str


@dataclass(frozen=True)
class RemovedReport:
    """What ``Index.remove`` did, so a takedown can be confirmed and its knock-on seen.

    ``removed``: the ids that were indexed and are gone, in the order asked; ``unknown``: ids
    asked for that the index does not hold (nothing to do, not an error: a takedown list may
    name articles never indexed or removed before). ``partners``: indexed articles that had a
    pair with a removed one; their families and stories change. ``scrubbed``: the removed
    texts are left nowhere in the file or its WAL (deleted content is overwritten and the WAL
    was checkpointed and emptied); False when a reader kept the WAL from being emptied, which
    SQLite then does when the last connection closes.
    """

    removed: list[str]
    unknown: list[str]
    pairs_removed: int
    partners: list[str]
    scrubbed: bool

    def to_dict(self) -> dict:
        """JSON-ready, for ``retold index remove --json``."""
        return {
            "removed": list(self.removed),
            "unknown": list(self.unknown),
            "pairs_removed": self.pairs_removed,
            "partners": list(self.partners),
            "scrubbed": self.scrubbed,
        }


def _retold_version() -> str:
    try:
        from importlib.metadata import version

        return version("retold")
    except Exception:  # noqa: BLE001 - not installed: still record the run
        return "unknown"


def _to_i64(h: int, doc_id: str) -> int:
    h = int(h)
    if not 0 <= h < _U64:
        raise ValueError(f"doc {doc_id!r}: exact_hash {h} is not an unsigned 64-bit integer")
    return h - _U64 if h >= _I64 else h


def _from_i64(v: int) -> int:
    return v + _U64 if v < 0 else v


def _fetch_seqs(db: sqlite3.Connection, ids: list[str]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for part in postings.chunks(ids, 500):
        out += db.execute(f"SELECT id, seq FROM docs WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
    return out


def _begin_write(conn: sqlite3.Connection, busy: str) -> None:
    """Take SQLite's write lock (``BEGIN IMMEDIATE``, waiting up to the busy timeout); a lock
    still held by another process then is ``IndexBusyError`` with ``busy`` and SQLite's words."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        if _is_locked(e):
            raise IndexBusyError(f"{busy} ({e})") from None
        raise


class _Locked(Exception):
    """Another connection holds the file at this moment: worth trying again."""


def _is_locked(e: sqlite3.OperationalError) -> bool:
    msg = str(e).lower()
    return "locked" in msg or "busy" in msg


def _settings_error(p: Path, diffs: list[str]) -> IndexSettingsError:
    return IndexSettingsError(
        f"{p}: built with other signature settings ({'; '.join(diffs)}); signatures would not be "
        "comparable. Use the index's settings or another index file."
    )


@dataclass
class _Memo:
    """What a long-lived Index holds in memory: every doc and pair as of ``version``.

    ``version`` is SQLite's ``PRAGMA data_version`` of our connection, which moves only
    when another connection commits; our own ``add`` extends the lists instead.
    """

    version: int
    docs: list[Doc] | None = None  # read by the first full load_docs (load_pairs alone does not need them)
    pairs: list[Pair] | None = None
    groups: HeldGroups | None = None  # the groups by component, kept by the scans against this index
    names: dict[str, dict[str, float]] = field(default_factory=dict)  # rare names by doc id (sign.names)
    #: tables an add reads whole (the light rows, the static article vectors), kept by
    #: ``retold.index.incremental`` and read on from their last seq: an own add appends rows only
    tables: dict[str, object] = field(default_factory=dict)


class Index:
    """Docs and pairs kept between runs, so new articles are compared against all seen before."""

    def __init__(self, path: Path, conn: sqlite3.Connection, settings: Settings, encoder_name: str | None,
                 pending_encoder: str | None, keep_in_memory: bool = False) -> None:
        """Use ``Index.open``; this only binds an already checked connection."""
        self._path = path
        self._conn: sqlite3.Connection | None = conn
        self._settings = settings
        self._encoder_name = encoder_name
        self._pending_encoder = pending_encoder
        self._keep = keep_in_memory
        self._memo: _Memo | None = None
        self._writing = 0  # depth of writing() blocks this object is in: the lock is held once

    # --- opening -----------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path,
        settings: Settings | None = None,
        *,
        encoder_name: str | None = None,
        busy_timeout: float = 30.0,
        keep_in_memory: bool = False,
        map_bytes: int | None = None,
    ) -> Index:
        """Open the index file at ``path``, creating it (and its folder) if missing.

        With ``settings`` (and ``encoder_name``) given, they must match the signature
        settings the index was built with, else ``IndexSettingsError``: mixing
        signatures made differently would silently miss matches. With ``settings``
        None an existing index is opened with its own signature settings
        (``index.settings``), e.g. for reading or to sign new docs the same way, and a
        new one is created with ``Settings()``. The check happens here, not in ``add``,
        so a run fails before it spends time cleaning and signing.

        ``keep_in_memory``: for a long-lived process (the HTTP service) that scans against
        one index again and again. The first full ``load_docs``/``load_pairs`` reads the
        file; later ones hand out what is held, extended by each ``add``, instead of reading
        it all again (a second for every ~15,000 articles). A commit by another process is
        noticed (SQLite's data_version) and the next load reads the file afresh. Such an
        index may be used from any thread, one at a time (the caller holds a lock).

        ``map_bytes``: how much of the file SQLite may map into this process. Mapped, a blob
        is read from the page cache without a copy, but every page touched counts in the
        process's resident memory, and an add touches more of a larger file: mapped up to 2 GB,
        the pages of an add of 500 to 50,000 articles were 1.1 GB of its 2.2 GB peak. So by
        default a long-lived index (``keep_in_memory``: the service, whose adds reread the same
        pages) maps ``HELD_MAP_BYTES`` and any other open ``BOUNDED_MAP_BYTES``.
        """
        p = Path(path).expanduser()
        if p.is_dir():
            raise IndexFileError(f"{p}: is a folder; an index is a single file (e.g. {p / 'retold.index'})")
        existed = p.exists() and p.stat().st_size > 0
        if existed:
            with p.open("rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
            if head != _SQLITE_MAGIC:
                raise IndexFileError(f"{p}: not a retold index (not an SQLite file); refusing to touch it")
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), timeout=busy_timeout, isolation_level=None, check_same_thread=not keep_in_memory)
        try:
            meta = cls._prepare_waiting(p, conn, settings or Settings(), encoder_name, busy_timeout)
            try:
                record = json.loads(meta["signature"])
            except json.JSONDecodeError:
                raise IndexFileError(f"{p}: damaged retold index (signature settings record is not JSON)") from None
            pending = cls._check_settings(p, record, settings, encoder_name)
            if map_bytes is None:
                map_bytes = HELD_MAP_BYTES if keep_in_memory else BOUNDED_MAP_BYTES
            conn.execute(f"PRAGMA mmap_size = {max(0, int(map_bytes))}")
        except BaseException:
            conn.close()
            raise
        stored_enc = record.get("encoder")
        enc = stored_enc if stored_enc is not None else encoder_name
        own = settings if settings is not None else settings_from_record(record)
        return cls(p, conn, own, enc, pending, keep_in_memory)

    @classmethod
    def _prepare_waiting(
        cls, p: Path, conn: sqlite3.Connection, settings: Settings, encoder_name: str | None, busy_timeout: float
    ) -> dict[str, str]:
        """``_prepare``, tried again while another process holds the file for up to ``busy_timeout`` s.

        Why: while one process creates the file or switches it to WAL, SQLite answers a second
        one's schema read or ``journal_mode`` pragma with "database is locked" at once, without
        its busy handler; two runs started together on a new index lost one of them that way.
        """
        deadline = time.monotonic() + busy_timeout
        pause = 0.02
        while True:
            try:
                return cls._prepare(p, conn, settings, encoder_name)
            except _Locked as e:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"{p}: another process held the index for over {busy_timeout:.0f} s ({e})") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    @staticmethod
    def _prepare(p: Path, conn: sqlite3.Connection, settings: Settings, encoder_name: str | None) -> dict[str, str]:
        """Check the file is ours (or empty), switch on WAL, create tables; return the meta rows."""
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "meta" not in tables:
                raise IndexFileError(
                    f"{p}: not a retold index (an SQLite database with tables {sorted(tables)[:5]}); "
                    "refusing to touch it"
                )
            if tables:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                if meta.get("app") != APP_ID:
                    raise IndexFileError(f"{p}: not a retold index (meta table without app={APP_ID!r})")
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: still atomic and safe when a process dies; a power cut may lose the last commit
            conn.execute("PRAGMA synchronous = NORMAL")
            # deleted and rewritten rows are overwritten with zeros: a removed article's text must
            # not survive in free pages (a takedown), nor an old copy of a row a refresh rewrote
            conn.execute("PRAGMA secure_delete = ON")
            if not tables:
                _begin_write(conn, f"{p}: another process holds the index's write lock")
                try:
                    meta = create_or_read_meta(conn, signature_record(settings, encoder_name))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and _is_locked(e):
                raise _Locked(str(e)) from None
            raise IndexFileError(f"{p}: cannot be read as a retold index ({e})") from None
        try:
            version = int(meta.get("format_version", ""))
        except ValueError:
            raise IndexFileError(f"{p}: damaged retold index (format_version={meta.get('format_version')!r})") from None
        if version > FORMAT_VERSION:
            raise IndexFileError(
                f"{p}: written by a newer retold (index format {version}); this one reads up to {FORMAT_VERSION}"
            )
        if "signature" not in meta:
            raise IndexFileError(f"{p}: damaged retold index (no signature settings record)")
        return meta

    @staticmethod
    def _check_settings(
        p: Path, record: dict[str, object], settings: Settings | None, encoder_name: str | None
    ) -> str | None:
        """Refuse settings that would make incomparable signatures; return an encoder name to record."""
        diffs: list[str] = []
        if settings is not None:
            for f in SIGNATURE_FIELDS:
                if f in record and record[f] != getattr(settings, f):
                    diffs.append(f"{f}={record[f]!r} in the index but {getattr(settings, f)!r} here")
        stored_enc = record.get("encoder")
        if encoder_name is not None and stored_enc is not None and stored_enc != encoder_name:
            diffs.append(f"encoder={stored_enc!r} in the index but {encoder_name!r} here")
        if diffs:
            raise _settings_error(p, diffs)
        return encoder_name if stored_enc is None else None

    def require_encoder(self, name: str | None) -> None:
        """Refuse another encoder than the one the index was built with (two models' vectors
        do not compare); an index without one records ``name`` with the next ``add``."""
        if name is None:
            return
        if self._encoder_name is None:
            self._encoder_name = self._pending_encoder = name
        elif self._encoder_name != name:
            raise _settings_error(self._path, [f"encoder={self._encoder_name!r} in the index but {name!r} here"])

    # --- properties ----------------------------------------------------------
    @property
    def path(self) -> Path:
        return self._path

    @property
    def settings(self) -> Settings:
        """Settings whose signature fields are the index's own."""
        return self._settings

    @property
    def encoder_name(self) -> str | None:
        return self._encoder_name

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise IndexFileError(f"{self._path}: index is closed")
        return self._conn

    # --- reading -------------------------------------------------------------
    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as e:
            raise IndexFileError(f"{self._path}: cannot read the index ({e})") from None

    def ids(self) -> set[str]:
        """Ids of every indexed doc, to skip articles already seen."""
        return {r[0] for r in self._read("SELECT id FROM docs")}

    def __len__(self) -> int:
        return int(self._read("SELECT count(*) FROM docs")[0][0])

    def known(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the index holds (reads those rows only, unlike ``ids()``)."""
        try:
            return self._existing(ids)
        except sqlite3.DatabaseError as e:
            raise IndexFileError(f"{self._path}: cannot read the index ({e})") from None

    def pair_links(self) -> list[Pair]:
        """Every stored pair without its passages, in the order added: what grouping reads
        (relation, score, coverage, direction, and of the features those of
        ``retold.group.columns.LINK_FEATURES``), at a fraction of ``load_pairs``'s cost and memory;
        :meth:`link_table` holds the same as columns."""
        return self.pair_links_with_seq()[1]

    def link_table(self, chunk: int = 20000) -> LinkTable:
        """Every stored pair as grouping's columns (``retold.group.links.LinkTable``), in the order
        added, read ``chunk`` rows at a time: no ``Pair`` is made, and what is held besides the
        table is one chunk of rows (at 1.6 million pairs, :meth:`pair_links` held 3.5 GB)."""
        from retold.group.links import LinkTable

        table = LinkTable(capacity=max(1024, int(self._read("SELECT count(*) FROM pairs")[0][0])))
        last = -1
        while True:
            rows = self._read(
                "SELECT seq, a, b, relation, score, coverage_a, coverage_b, direction, features FROM pairs "
                "WHERE seq > ? ORDER BY seq LIMIT ?", (last, chunk),
            )
            if not rows:
                return table
            for _, a, b, rel, score, ca, cb, direction, features in rows:
                table.append(a, b, rel, direction, "compared", None, score, ca, cb, json.loads(features))
            last = rows[-1][0]

    def pair_links_with_seq(self) -> tuple[list[int], list[Pair]]:
        """:meth:`pair_links` and the row number (``seq``) of each, for :meth:`iter_pairs`."""
        rows = self._read(
            "SELECT seq, a, b, relation, score, coverage_a, coverage_b, direction, features FROM pairs ORDER BY seq"
        )
        from retold.group.columns import LINK_FEATURES

        def light(features: str) -> dict[str, float]:  # what grouping reads of the evidence, no more
            return {k: v for k, v in json.loads(features).items() if k in LINK_FEATURES}

        return [r[0] for r in rows], [
            Pair(a=a, b=b, relation=rel, score=score, coverage_a=ca, coverage_b=cb, direction=direction,
                 passages=[], features=light(features))
            for _, a, b, rel, score, ca, cb, direction, features in rows
        ]

    def iter_pairs(self, chunk: int = 5000) -> Iterator[tuple[int, Pair]]:
        """Every stored pair with its passages, as (seq, pair) in the order added, read ``chunk``
        rows at a time: what is held is one chunk, however many pairs the index has."""
        last = -1
        while True:
            rows = self._read(f"SELECT seq, {_PAIR_COLS} FROM pairs WHERE seq > ? ORDER BY seq LIMIT ?", (last, chunk))
            if not rows:
                return
            for seq, *row in rows:
                yield seq, self._pair_from_row(tuple(row))
            last = rows[-1][0]

    def __contains__(self, doc_id: object) -> bool:
        return bool(self._read("SELECT 1 FROM docs WHERE id = ?", (doc_id,)))

    def load_docs(self, ids: Iterable[str] | None = None, *, writable: bool = False) -> list[Doc]:
        """Docs in the order they were added; only ``ids`` if given (``KeyError`` if one is missing).

        Arrays are read-only views into the stored blobs unless ``writable``: indexed docs
        are history, and skipping the copy makes loading about twice as fast.
        """
        if ids is None and not writable and self._keep:
            memo = self._held()
            if memo.docs is None:
                memo.docs = self._read_docs(None, False)
            return list(memo.docs)
        return self._read_docs(ids, writable)

    def _read_docs(self, ids: Iterable[str] | None, writable: bool) -> list[Doc]:
        sql = f"SELECT seq, {_DOC_COLS} FROM docs"
        if ids is None:
            rows = self._read(sql + " ORDER BY seq")
        else:
            wanted = list(dict.fromkeys(ids))
            rows = []
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                rows += self._read(sql + f" WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            if len(rows) != len(wanted):
                missing = sorted(set(wanted) - {r[1] for r in rows})
                raise KeyError(f"{self._path}: {len(missing)} id(s) not in the index, e.g. {missing[:5]}")
            rows.sort(key=lambda r: r[0])
        return [self._doc_from_row(r[1:], writable) for r in rows]

    def _doc_from_row(self, row: tuple, writable: bool) -> Doc:
        doc_id, text, title, url, source, published, art_lang, loc, lang, exact_hash, blob = row
        try:
            arrs = unpack_arrays(blob, writable=writable)
        except ArrayBlobError as e:
            raise IndexFileError(f"{self._path}: doc {doc_id!r}: {e}") from None
        missing = [f for f in _REQUIRED if f not in arrs]
        if missing:
            raise IndexFileError(f"{self._path}: doc {doc_id!r}: arrays {missing} missing")
        art = Article(
            id=doc_id,
            text=text,
            title=title,
            url=url,
            source=source,
            published=datetime.fromisoformat(published) if published is not None else None,
            lang=art_lang,
            where=loc,
        )
        return Doc(article=art, lang=lang, exact_hash=_from_i64(exact_hash), **arrs)

    def load_pairs(self) -> list[Pair]:
        """Every stored pair, in the order added, with passages and features.

        Each call returns new Pair objects (callers relabel pairs in place), also when
        the index keeps them in memory.
        """
        if not self._keep:
            return self._read_pairs()
        memo = self._held()
        if memo.pairs is None:
            memo.pairs = self._read_pairs()
        return [replace(p) for p in memo.pairs]

    def pairs_of(self, ids: Iterable[str]) -> list[Pair]:
        """The stored pairs (with passages and features) that name one of ``ids``, each once."""
        wanted = list(dict.fromkeys(ids))
        rows: dict[int, tuple] = {}
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for side in ("a", "b"):
                for seq, *row in self._read(f"SELECT seq, {_PAIR_COLS} FROM pairs WHERE {side} IN ({marks})", chunk):
                    rows[seq] = tuple(row)
        return [self._pair_from_row(rows[k]) for k in sorted(rows)]

    def _read_pairs(self) -> list[Pair]:
        return [self._pair_from_row(r) for r in self._read(f"SELECT {_PAIR_COLS} FROM pairs ORDER BY seq")]

    @staticmethod
    def _pair_from_row(row: tuple) -> Pair:
        a, b, rel, score, ca, cb, direction, passages, features = row
        return Pair(
            a=a, b=b, relation=rel, score=score, coverage_a=ca, coverage_b=cb, direction=direction,
            passages=[Passage(*p) for p in json.loads(passages)],
            features=json.loads(features),
        )

    def _version(self) -> int:
        return int(self._read("PRAGMA data_version")[0][0])

    def _fresh_memo(self) -> _Memo | None:
        """The memo, if no other connection has committed since it was read."""
        if self._memo is not None and self._memo.version != self._version():
            self._memo = None
        return self._memo

    def _held(self) -> _Memo:
        """The memo, read from the file first if there is none or another connection has committed."""
        memo = self._fresh_memo()
        if memo is None:
            version = self._version()  # before reading: a commit meanwhile makes the memo stale, not wrong
            memo = self._memo = _Memo(version)
        return memo

    @property
    def keeps_memory(self) -> bool:
        """Whether this Index holds what it read between scans (``keep_in_memory``)."""
        return self._keep

    def held_groups(self) -> HeldGroups | None:
        """The groups a scan left held (``hold_groups``), if this Index keeps memory and no other
        connection has committed since; else None (group from the stored pairs)."""
        memo = self._fresh_memo() if self._keep else None
        return memo.groups if memo is not None else None

    def hold_groups(self, groups: HeldGroups) -> None:
        """Keep ``groups`` (as of this connection's last commit) for the next scan; a no-op unless
        ``keep_in_memory``. Call it inside ``writing``, after ``add``: no other writer can have
        committed since the groups were made."""
        if self._keep:
            self._held().groups = groups

    def held_names(self) -> dict[str, dict[str, float]] | None:
        """Each indexed doc's rare names (``retold.sign.names.doc_names``) as worked out by an
        earlier scan, by id, for a scan to read and extend; None unless ``keep_in_memory``.

        Why: the indexed docs of a batch's candidate pairs are read from the file afresh each
        batch, and their names, which the file does not keep, were worked out again every time
        (a fifth of the service's candidate stage). A doc's names follow from its text alone;
        the memory goes when another connection commits, and a removed id's names with it."""
        return self._held().names if self._keep else None

    def held_tables(self) -> dict[str, object] | None:
        """Tables a scan reads whole at every add, as it last read them, for it to read on from
        their last row (``retold.index.incremental.read_light``); None unless ``keep_in_memory``.
        Emptied when another connection commits, and by a removal or a rewrite of indexed rows
        here: what is kept is only ever extended by this connection's own adds."""
        return self._held().tables if self._keep else None

    def runs(self) -> list[Run]:
        """Every ``add`` so far, oldest first."""
        return [
            Run(datetime.fromisoformat(t), n, m, v)
            for t, n, m, v in self._read("SELECT time, docs_added, pairs_added, version FROM runs ORDER BY seq")
        ]

    def _has_table(self, name: str) -> bool:
        return bool(self._read("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def removals(self) -> list[Removal]:
        """Every ``remove`` so far, oldest first (an index made before removals existed has none)."""
        if not self._has_table("removals"):
            return []
        return [
            Removal(datetime.fromisoformat(t), n, m, v)
            for t, n, m, v in self._read("SELECT time, docs_removed, pairs_removed, version FROM removals ORDER BY seq")
        ]

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold one read transaction, so that several loads see one state of the index.

        Why: ``load_docs`` and ``load_pairs`` are two reads; a scan committing between them
        would hand out pairs naming docs that were not loaded. Inside this block both see the
        index as of its first read (WAL readers never block writers, nor wait for them).
        Nested blocks, or a block inside a transaction, use the transaction already open.
        """
        db = self._db
        if db.in_transaction:
            yield
            return
        try:
            db.execute("BEGIN")
        except sqlite3.DatabaseError as e:
            raise IndexFileError(f"{self._path}: cannot read the index ({e})") from None
        try:
            yield
        finally:
            if db.in_transaction:
                db.execute("COMMIT")

    def info(self, last_runs: int = 5) -> IndexInfo:
        """Counts, settings, size and history of the index (``retold index info``); ``last_runs``:
        how many of the latest adds and removals to list. Read in one transaction: one state."""
        with self.reading():
            meta = dict(self._read("SELECT key, value FROM meta"))
            record = json.loads(meta["signature"])
            by_rel = {r: int(n) for r, n in self._read("SELECT relation, count(*) FROM pairs GROUP BY relation ORDER BY relation")}
            runs: list[Run | Removal] = [*self.runs(), *self.removals()]
            n_adds = sum(isinstance(r, Run) for r in runs)
            second = self._count_with("second_vecs")
            articles = len(self)
            named = self._read("SELECT name FROM ann_segments") if self._has_table("ann_segments") else []
        graphs = [g for g in (vectors.segment_dir(self._path) / name for (name,) in named) if g.exists()]
        runs.sort(key=lambda r: r.time)
        created = datetime.fromisoformat(meta["created"]) if "created" in meta else None
        wal = self._path.with_name(self._path.name + "-wal")
        return IndexInfo(
            path=self._path,
            format_version=int(meta["format_version"]),
            encoder=record.get("encoder"),
            signature={f: record[f] for f in SIGNATURE_FIELDS if f in record},
            articles=articles,
            pairs=sum(by_rel.values()),
            pairs_by_relation=by_rel,
            second_vectors=second,
            file_bytes=self._path.stat().st_size,
            wal_bytes=wal.stat().st_size if wal.exists() else 0,
            graph_files=len(graphs),
            graph_bytes=sum(g.stat().st_size for g in graphs),
            created=created,
            last_written=runs[-1].time if runs else None,
            adds=n_adds,
            removals=len(runs) - n_adds,
            last_runs=runs[-last_runs:] if last_runs > 0 else [],
        )

    def _count_with(self, array_field: str) -> int:
        """Docs whose blob holds ``array_field``, reading only each blob's table (incremental blob I/O)."""
        n = 0
        try:
            for seq, doc_id in self._db.execute("SELECT seq, id FROM docs").fetchall():
                with self._db.blobopen("docs", "arrays", seq, readonly=True) as blob:
                    head = blob.read(TABLE_BYTES)
                try:
                    n += array_field in blob_fields(head)
                except ArrayBlobError as e:
                    raise IndexFileError(f"{self._path}: doc {doc_id!r}: {e}") from None
        except sqlite3.DatabaseError as e:
            raise IndexFileError(f"{self._path}: cannot read the index ({e})") from None
        return n

    # --- writing -------------------------------------------------------------
    @staticmethod
    def _blob(d: Doc) -> bytearray:
        try:
            return pack_arrays({f: getattr(d, f) for f in ARRAY_FIELDS})
        except ArrayBlobError as e:
            raise ValueError(f"doc {d.article.id!r}: {e}") from None

    @staticmethod
    def _doc_row(d: Doc) -> tuple:
        a = d.article
        if a.published is not None and not isinstance(a.published, datetime):
            raise ValueError(f"doc {a.id!r}: published must be a datetime or None, not {type(a.published).__name__}")
        blob = Index._blob(d)
        return (
            a.id, a.text, a.title, a.url, a.source,
            a.published.isoformat() if a.published is not None else None,
            a.lang, a.where, d.lang, _to_i64(d.exact_hash, a.id), blob,
        )

    @staticmethod
    def _pair_row(p: Pair) -> tuple:
        passages = [
            [int(x.a_start), int(x.a_end), int(x.b_start), int(x.b_end), x.kind, float(x.similarity)]
            for x in p.passages
        ]
        features = {str(k): float(v) for k, v in p.features.items()}
        return (
            p.a, p.b, p.relation, float(p.score), float(p.coverage_a), float(p.coverage_b), p.direction,
            json.dumps(passages, separators=(",", ":")), json.dumps(features, separators=(",", ":")),
        )

    def _existing(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        ids = list(ids)
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            found |= {r[0] for r in self._db.execute(
                f"SELECT id FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk)}
        return found

    def add(
        self,
        docs: list[Doc],
        pairs: list[Pair],
        *,
        refreshed: Sequence[Doc] = (),
        hooks: WriteHooks = NO_HOOKS,
        _midway: Callable[[], None] | None = None,
    ) -> None:
        """Add new docs and the pairs found for them, all or nothing, and log the run.

        ``refreshed``: docs already indexed whose arrays this run extended (the second
        model's sentence vectors, computed on demand), rewritten in the same transaction
        so that no later run encodes them again.
        ``hooks``: ``before_commit`` before anything is written, ``committed`` after the commit
        (not after a refusal or a rollback).
        Refuses (``ValueError``, index unchanged) a doc id already indexed or given
        twice, and a pair naming a doc that is neither indexed nor in ``docs``.
        ``_midway`` is a test hook called inside the transaction, half the docs written.
        """
        hooks.before_commit()
        doc_rows = [self._doc_row(d) for d in docs]  # serialise before locking: keeps the lock short
        for d in docs:  # the names and words the candidate tables hold, read before the lock too
            postings.doc_anchor_names(d)
            if postings.is_bare(d):
                postings.doc_word_items(d)
        pair_rows = [self._pair_row(p) for p in pairs]
        refresh_rows = [(self._blob(d), d.article.id) for d in refreshed]
        new_ids = [r[0] for r in doc_rows]
        if len(set(new_ids)) != len(new_ids):
            seen: set[str] = set()
            dups = sorted({i for i in new_ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
            raise ValueError(f"{self._path}: doc id(s) given twice in one add: {dups[:5]}")
        db = self._db
        _begin_write(db, f"{self._path}: another process is writing to this index; gave up waiting")
        try:
            # read inside the write lock: a commit by another process since our last read
            # means the memo misses rows, so it is dropped rather than extended
            memo = self._fresh_memo()
            clash = self._existing(new_ids)
            if clash:
                raise ValueError(f"{self._path}: {len(clash)} doc id(s) already in the index, e.g. {sorted(clash)[:5]}")
            named = {r[0] for r in pair_rows} | {r[1] for r in pair_rows}
            unknown = named - set(new_ids)
            unknown -= self._existing(unknown)
            if unknown:
                raise ValueError(f"{self._path}: pair(s) name doc(s) neither indexed nor added: {sorted(unknown)[:5]}")
            self._upgrade_in_transaction()
            postings.create(db)  # tables added since the index's format was set (IF NOT EXISTS: a no-op)
            half = len(doc_rows) // 2
            ins = f"INSERT INTO docs ({_DOC_COLS}) VALUES ({','.join('?' * 11)})"
            seqs = [db.execute(ins, r).lastrowid for r in doc_rows[:half]]
            if _midway is not None:
                _midway()
            seqs += [db.execute(ins, r).lastrowid for r in doc_rows[half:]]
            postings.write_rows(db, zip(seqs, docs), self._postings_settings())
            vectors.sweep(db, self._path)  # the files of a killed run or of a merge since replaced
            vectors.maintain(db, self._path)  # the article-vector graphs, named in this transaction
            db.executemany(f"INSERT INTO pairs ({_PAIR_COLS}) VALUES ({','.join('?' * 9)})", pair_rows)
            db.executemany("UPDATE docs SET arrays = ? WHERE id = ?", refresh_rows)
            if refreshed:
                seq_of = dict(_fetch_seqs(db, [d.article.id for d in refreshed]))
                rewritten = [(seq_of[d.article.id], d) for d in refreshed if d.article.id in seq_of]
                postings.refresh_static(db, rewritten)
                vectors.forget_rewritten(db, [q for q, _ in rewritten])  # graphs holding their old static vectors
            db.execute(
                "INSERT INTO runs (time, docs_added, pairs_added, version) VALUES (?, ?, ?, ?)",
                (datetime.now(timezone.utc).isoformat(), len(doc_rows), len(pair_rows), _retold_version()),
            )
            if self._pending_encoder is not None:
                rec = json.loads(db.execute("SELECT value FROM meta WHERE key = 'signature'").fetchone()[0])
                rec["encoder"] = self._pending_encoder
                db.execute("UPDATE meta SET value = ? WHERE key = 'signature'", (json.dumps(rec, sort_keys=True),))
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError) and _is_locked(e):
                raise IndexBusyError(f"{self._path}: index busy, nothing was added ({e})") from None
            if isinstance(e, sqlite3.DatabaseError):
                raise IndexFileError(f"{self._path}: write failed, nothing was added ({e})") from None
            raise
        self._pending_encoder = None
        if memo is not None:
            self._extend_memo(memo, doc_rows, pair_rows, refreshed)
            memo.groups = None  # held groups are of the index before this add; the scan holds the new ones
            if refreshed:  # rows of indexed docs rewritten: the held tables are read afresh
                memo.tables.clear()
        hooks.committed(docs, pairs)

    def _extend_memo(self, memo: _Memo, doc_rows: list[tuple], pair_rows: list[tuple], refreshed: Sequence[Doc]) -> None:
        """Bring the memo to what a fresh read would give: the rows just written, read back."""
        if memo.docs is not None:
            memo.docs.extend(self._doc_from_row(r, False) for r in doc_rows)
        if memo.pairs is not None:
            memo.pairs.extend(self._pair_from_row(r) for r in pair_rows)
        if refreshed and memo.docs is not None:
            held = {d.id: d for d in memo.docs}
            for d in refreshed:
                mine = held.get(d.id)
                if mine is not None and mine is not d:  # refreshed on another copy: take its arrays
                    for f in ARRAY_FIELDS:
                        setattr(mine, f, getattr(d, f))

    # --- the candidate tables (format 2) ---------------------------------------
    def _format(self) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0])

    def _postings_settings(self) -> Settings:
        """Settings the candidate tables were keyed with (their LSH bands), recorded at creation."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'postings'").fetchone()
        bands = json.loads(row[0])["lsh_bands"] if row is not None else self._settings.lsh_bands
        return replace(self._settings, lsh_bands=bands)

    def postings_bands(self) -> int | None:
        """The LSH bands the candidate tables hold (None: an index of format 1, not upgraded yet)."""
        row = self._read("SELECT value FROM meta WHERE key = 'postings'")
        return json.loads(row[0][0])["lsh_bands"] if row else None

    def _upgrade_in_transaction(self) -> bool:
        """Inside a write transaction: give a format-1 index the candidate tables, filled from
        every doc it holds (read a chunk at a time). True when it did."""
        db = self._db
        if self._format() >= 2 and db.execute("SELECT 1 FROM meta WHERE key = 'postings'").fetchone():
            return False
        postings.create(db)
        settings = self._settings
        seqs = [r[0] for r in db.execute("SELECT seq FROM docs ORDER BY seq")]
        for chunk in postings.chunks(seqs, 200):
            docs = self._docs_by_seq(chunk)
            sign_second(docs)  # docs indexed before the static second model: their svecs rows (cheap)
            postings.write_rows(db, zip(chunk, docs), settings)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('postings', ?)", (json.dumps({"lsh_bands": settings.lsh_bands}),))
        db.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION),))
        return True

    def upgrade(self) -> bool:
        """Bring an index of format 1 to format 2 now (one transaction; else the first write
        does it). True when the file changed. Older retold cannot read it afterwards."""
        db = self._db
        _begin_write(db, f"{self._path}: another process is writing to this index; gave up waiting")
        try:
            done = self._upgrade_in_transaction()
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return done

    def build_vectors(self) -> None:
        """Bring the article-vector graphs beside the index up to date now, in one write
        transaction, rather than in the next add (an index made before they existed: its
        first add would build them for every doc it holds)."""
        db = self._db
        _begin_write(db, f"{self._path}: another process is writing to this index; gave up waiting")
        try:
            postings.create(db)
            vectors.sweep(db, self._path)
            vectors.maintain(db, self._path)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _docs_by_seq(self, seqs: Sequence[int], writable: bool = False) -> list[Doc]:
        """The docs of ``seqs``, in that order (each must exist)."""
        rows: dict[int, tuple] = {}
        for chunk in postings.chunks(list(seqs)):
            for r in self._read(f"SELECT seq, {_DOC_COLS} FROM docs WHERE seq IN ({','.join('?' * len(chunk))})", chunk):
                rows[r[0]] = r[1:]
        return [self._doc_from_row(rows[s], writable) for s in seqs]

    # --- removing ------------------------------------------------------------
    def remove(
        self,
        ids: Iterable[str],
        *,
        timeout: float | None = None,
        on_wait: Callable[[], None] | None = None,
        vacuum: bool = False,
        _midway: Callable[[], None] | None = None,
    ) -> RemovedReport:
        """Take articles out of the index (a takedown): their docs and every pair that names them.

        Why: an article withdrawn by its publisher, or indexed by mistake, must stop showing
        up in every later scan's pairs and groups. Groups are not stored but rebuilt from the
        pairs by each scan and export, so with the pairs gone the article leaves its family
        and story too. All of it is one transaction: a process killed midway leaves the index
        as it was. It runs under the writer lock (``writing``; ``timeout``/``on_wait`` as
        there), so it never falls between a scan's read of the index and that scan's add,
        which would bring a removed id's pairs back. Ids the index does not hold are reported
        in ``unknown``, not refused. Another process holding the index in memory
        (``keep_in_memory``) sees the commit (SQLite's data_version) and reads afresh; this
        object's own memory drops the removed articles at once.

        The deleted rows are overwritten (``secure_delete``) and the WAL is checkpointed and
        emptied, so the removed texts are not left in the file. ``vacuum``: also rewrite the
        whole file (slow on a big index), for indexes written before rows were overwritten on
        delete, whose free pages may still hold old copies. ``_midway`` is a test hook called
        inside the transaction, half the docs deleted.
        """
        wanted = list(dict.fromkeys(str(i) for i in ids))
        with self.writing(timeout=timeout, on_wait=on_wait):
            removed, pairs_gone, partners = self._delete(wanted, _midway)
            scrubbed = True
            if removed:
                if vacuum:
                    self._exec_outside("VACUUM", "the articles are removed but the file was not rewritten")
                scrubbed = self._checkpoint()
        gone = set(removed)
        return RemovedReport(
            removed=removed,
            unknown=[i for i in wanted if i not in gone],
            pairs_removed=pairs_gone,
            partners=sorted(partners - gone),
            scrubbed=scrubbed,
        )

    def _delete(self, wanted: list[str], midway: Callable[[], None] | None) -> tuple[list[str], int, set[str]]:
        """The transaction of ``remove``: (ids removed, pairs removed, partners of removed ids)."""
        db = self._db
        _begin_write(db, f"{self._path}: another process is writing to this index; gave up waiting")
        try:
            memo = self._fresh_memo()  # inside the lock: stale if another process committed meanwhile
            present = self._existing(wanted)
            removed = [i for i in wanted if i in present]
            if not removed:
                db.execute("ROLLBACK")
                return [], 0, set()
            pair_seqs: list[int] = []
            partners: set[str] = set()
            for i in range(0, len(removed), _CHUNK):
                chunk = removed[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for seq, a, b in db.execute(f"SELECT seq, a, b FROM pairs WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk):
                    pair_seqs.append(seq)
                    partners.update((a, b))
            pair_seqs = sorted(set(pair_seqs))
            for i in range(0, len(pair_seqs), _CHUNK):
                chunk = pair_seqs[i : i + _CHUNK]
                db.execute(f"DELETE FROM pairs WHERE seq IN ({','.join('?' * len(chunk))})", chunk)
            gone_seqs: list[int] = []
            for chunk in postings.chunks(removed):
                gone_seqs += [r[0] for r in db.execute(f"SELECT seq FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
            if self.postings_bands() is not None:
                postings.delete_rows(db, sorted(gone_seqs))
            half = len(removed) // 2
            for k, part in enumerate((removed[:half], removed[half:])):
                if k == 1 and midway is not None:
                    midway()
                for i in range(0, len(part), _CHUNK):
                    chunk = part[i : i + _CHUNK]
                    db.execute(f"DELETE FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            vectors.forget_reusable(db)  # the graphs past the last seq left, which a new doc may take
            db.execute(REMOVALS_DDL)  # an index made before removals existed gets the table now
            db.execute(
                "INSERT INTO removals (time, docs_removed, pairs_removed, version) VALUES (?, ?, ?, ?)",
                (datetime.now(timezone.utc).isoformat(), len(removed), len(pair_seqs), _retold_version()),
            )
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError) and _is_locked(e):
                raise IndexBusyError(f"{self._path}: index busy, nothing was removed ({e})") from None
            if isinstance(e, sqlite3.DatabaseError):
                raise IndexFileError(f"{self._path}: write failed, nothing was removed ({e})") from None
            raise
        if memo is not None:  # our own commit leaves data_version alone: bring the memo to the file
            memo.groups = None  # a removal may split components: grouped afresh by the next scan
            memo.tables.clear()
            gone = set(removed)
            for i in gone:
                memo.names.pop(i, None)
            if memo.docs is not None:
                memo.docs = [d for d in memo.docs if d.id not in gone]
            if memo.pairs is not None:
                memo.pairs = [p for p in memo.pairs if p.a not in gone and p.b not in gone]
        return removed, len(pair_seqs), partners

    def _exec_outside(self, sql: str, done_already: str) -> None:
        """A statement that cannot run in a transaction, run after a commit; errors say what stands."""
        try:
            self._db.execute(sql)
        except sqlite3.DatabaseError as e:
            raise IndexFileError(f"{self._path}: {sql} failed ({e}); {done_already}") from None

    def _checkpoint(self) -> bool:
        """Copy the WAL into the file and empty it; False when a reader kept it from finishing."""
        try:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError as e:
            if _is_locked(e):
                return False
            raise IndexFileError(f"{self._path}: checkpoint failed ({e})") from None
        return busy == 0

    # --- one writer at a time ------------------------------------------------
    @contextmanager
    def writing(
        self, timeout: float | None = None, on_wait: Callable[[], None] | None = None, *, hooks: WriteHooks = NO_HOOKS,
    ) -> Iterator[None]:
        """Hold the index's writer lock (an exclusive lock on ``<index>.lock``) for a whole
        read-compare-add cycle.

        Why: SQLite serialises commits, not runs. Two scans that each read the index, compare
        their articles against what they read, and then add would never compare their two
        batches with each other (0 of 382 pairs found between two concurrent scans). Under this
        lock the second run waits until the first has committed, then reads the index afresh
        (its ids, docs and pairs), so it compares against the first run's articles and sees
        their ids as already indexed. The operating system drops the lock when a process dies,
        so a killed run never leaves it held. ``on_wait`` is called once if the lock is taken;
        past ``timeout`` seconds (None: wait as long as it takes) ``IndexBusyError``. While it
        waits, ``hooks.waiting`` is called at each try (five a second): what it raises ends the
        wait (a service shutting down), the lock not taken.
        Within a ``writing`` block of the same Index (a caller that holds the lock and then
        calls ``remove``) the lock is already held and not taken again.
        """
        if self._writing:
            self._writing += 1
            try:
                yield
            finally:
                self._writing -= 1
            return
        lock_path = self._path.with_name(self._path.name + ".lock")
        try:
            import fcntl
        except ImportError:  # no advisory locks here: SQLite's own lock still makes each add atomic
            yield
            return
        with open(lock_path, "a+b") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                deadline = None if timeout is None else time.monotonic() + timeout
                while True:
                    hooks.waiting()
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if deadline is not None and time.monotonic() >= deadline:
                            raise IndexBusyError(
                                f"{self._path.name}: another writer has held the index for over {timeout:.0f} s"
                            ) from None
                        time.sleep(0.2)
            self._writing = 1
            try:
                yield
            finally:
                self._writing = 0
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # --- lifetime --------------------------------------------------------------
    def close(self) -> None:
        """Release the file (SQLite folds the WAL back into it when the last user closes)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return f"Index({str(self._path)!r}, {state})"
