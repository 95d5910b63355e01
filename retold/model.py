"""The plain data objects that flow between retold's stages.

Every stage takes and returns these; none keeps hidden state. Offsets are always
character offsets into ``Article.text`` *as ingested*, so evidence can be shown
in the original text whatever cleaning happened in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

Relation = Literal[
    "duplicate",
    "near_duplicate",
    "partial",
    "rewrite",
    "translation",
    "same_story",
    "related",
]

#: Relations strongest first; the first five are reuse ("a family") relations.
RELATIONS: tuple[str, ...] = (
    "duplicate",
    "near_duplicate",
    "partial",
    "rewrite",
    "translation",
    "same_story",
    "related",
)
REUSE_RELATIONS: frozenset[str] = frozenset(RELATIONS[:5])

PassageKind = Literal["verbatim", "paraphrase", "translation"]


@dataclass
class Article:
    """One input article, as read. ``text`` is never modified after ingest."""

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None  # site or outlet; defaults to the URL's host
    published: datetime | None = None
    lang: str | None = None  # given by the input; otherwise detected in clean
    where: str | None = None  # "path:line" it came from, for messages

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "lang": self.lang,
            "where": self.where,
        }


@dataclass
class Problem:
    """An input record that was skipped, with the reason a person can act on."""

    path: str
    line: int | None
    reason: str  # short machine-readable key, e.g. "broken_json", "empty_text"
    detail: str  # one human sentence

    def __str__(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{loc}: {self.reason}: {self.detail}"


@dataclass
class Doc:
    """An article made ready for matching: sentences, tokens, signatures, vectors.

    Arrays are numpy so that a Doc round-trips through the index cheaply.
    Boilerplate text (site footers, repeated captions) has no tokens here but stays
    in ``article.text``.
    """

    article: Article
    lang: str
    #: (S, 2) int32 character spans of the sentences in article.text
    sent_spans: np.ndarray
    #: (S,) bool: sentence is boilerplate (set aside for matching)
    sent_boiler: np.ndarray
    #: (T,) uint64 hashes of normalised word tokens (boilerplate excluded)
    tok_hash: np.ndarray
    #: (T, 2) int32 character spans of those tokens in article.text
    tok_spans: np.ndarray
    #: (T,) int32 index of the sentence each token belongs to
    tok_sent: np.ndarray
    #: (T,) bool: token lies inside a quotation
    tok_quoted: np.ndarray
    # --- filled by sign/ -------------------------------------------------
    exact_hash: int = 0  # hash of the normalised token stream
    minhash: np.ndarray | None = None  # (P,) uint32
    fingerprints: np.ndarray | None = None  # (F,) uint64 sampled shingle hashes, unique
    #: (S, D) float16 unit vectors of sentences (zeros for boilerplate ones)
    sent_vecs: np.ndarray | None = None
    vec: np.ndarray | None = None  # (D,) float32 unit article vector
    #: (K,) uint64 hashes of rare names and numbers, for story candidates
    anchors: np.ndarray | None = None
    #: (S2, D2) float32 unit vectors of the first S2 content sentences by the second model
    #: (compare/verify.py), for languages the encoder lacks; filled on demand, kept in the index
    second_vecs: np.ndarray | None = None

    @property
    def id(self) -> str:
        return self.article.id

    @property
    def n_tokens(self) -> int:
        return int(self.tok_hash.shape[0])

    def sentence(self, i: int) -> str:
        a, b = self.sent_spans[i]
        return self.article.text[int(a) : int(b)]

    def content_sentences(self) -> np.ndarray:
        """Indices of sentences that are not boilerplate."""
        return np.flatnonzero(~self.sent_boiler)


def content_length(doc: Doc) -> int:
    """Characters in the doc's content sentences; cached on the doc (a doc meets ~20 partners)."""
    cached = doc.__dict__.get("_content_length")
    if cached is None:
        spans = doc.sent_spans[~doc.sent_boiler]
        cached = doc.__dict__["_content_length"] = int((spans[:, 1] - spans[:, 0]).sum()) if len(spans) else 0
    return cached


@dataclass
class Passage:
    """Aligned stretch of text: [a_start, a_end) in a, [b_start, b_end) in b."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    kind: PassageKind
    similarity: float

    def to_dict(self) -> dict:
        return {
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "kind": self.kind,
            "similarity": round(float(self.similarity), 4),
        }


@dataclass
class Pair:
    """A related pair and its evidence. ``direction`` is "a->b" when a is the source."""

    a: str
    b: str
    relation: str
    score: float
    coverage_a: float
    coverage_b: float
    direction: str | None = None
    passages: list[Passage] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    #: "compared": the two texts were compared; "story" / "storyline": implied by the groups
    #: (``retold.group.implied``), with no passages of their own
    basis: str = "compared"
    #: the relation the pair's own evidence gave, where the stories overrode it
    #: (``retold.group.agree``); None when the pair's relation is its own
    decided: str | None = None

    def to_dict(self, with_features: bool = True) -> dict:
        d = {
            "a": self.a,
            "b": self.b,
            "relation": self.relation,
            "score": round(float(self.score), 4),
            "coverage_a": round(float(self.coverage_a), 4),
            "coverage_b": round(float(self.coverage_b), 4),
            "direction": self.direction,
            "passages": [p.to_dict() for p in self.passages],
            "basis": self.basis,
            "decided": self.decided,
        }
        if with_features:
            d["features"] = {k: round(float(v), 4) for k, v in self.features.items()}
        return d


@dataclass
class Group:
    """A family of reuse (with its origin) or a story (articles about one event)."""

    kind: Literal["family", "story"]
    id: str
    members: list[str]
    origin: str | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "members": self.members, "origin": self.origin}


@dataclass
class ScanResult:
    """Everything a scan produced; the CLI, report and service only render this."""

    docs: dict[str, Doc]
    pairs: list[Pair]
    groups: list[Group]
    problems: list[Problem]
    stats: dict[str, float] = field(default_factory=dict)
    #: ids of every pair the candidate stage proposed, with the signals that proposed it
    #: ("exact", "lsh", "fingerprint", "ann", "anchors"); only with ``Settings.keep_candidates``
    candidates: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def families(self) -> list[Group]:
        return [g for g in self.groups if g.kind == "family"]

    @property
    def stories(self) -> list[Group]:
        return [g for g in self.groups if g.kind == "story"]

    def to_arrow(self, with_features: bool = True):
        """The pairs, groups and articles as ``pyarrow.Table`` s: ``Tables(pairs, groups, articles)``,
        the columns of the JSONL contract (``retold.show.tables``). ``with_features``: keep the
        pairs' ``features`` (a map column)."""
        from retold.show.tables import to_arrow

        return to_arrow(self, with_features)

    def to_pandas(self, with_features: bool = True):
        """The pairs, groups and articles as pandas DataFrames: ``Tables(pairs, groups, articles)``.
        pandas is optional; without it this raises ImportError saying how to install it."""
        from retold.show.tables import to_pandas

        return to_pandas(self, with_features)
