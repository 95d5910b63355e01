"""The plain data objects that flow between retold's stages.

Every stage takes and returns these; none keeps hidden state. Offsets are always
character offsets into ``Article.text`` *as ingested*, so evidence can be shown
in the original text whatever cleaning happened in between.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
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


@dataclass(slots=True)
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


#: feature keys whose value is a yes/no (written as 1.0 / 0.0 in the output contract)
_BOOL_FEATURES = frozenset({"same_lang", "encoded", "rescued"})


@dataclass(slots=True)
class Features(Mapping[str, float]):
    """The evidence of one compared pair: the numbers the decision reads.

    Typed fields, ``None`` where a number was not computed for this pair (that is itself
    information: ``aligned_words`` exists only for one-line alignments, ``second_contrast``
    only once the second model was asked). As a read-only mapping it is the ``features``
    object of the output contract: present fields only, booleans as 1.0 / 0.0, in this field
    order. ``extra`` keeps keys that a caller or an older version added and this one does
    not know, so nothing read from an index is lost. docs/DECISIONS.md says what each means.
    """

    # --- verbatim reuse (compare/verbatim.py) ---
    verbatim_a: float | None = None  #: share of a's content inside verbatim passages
    verbatim_b: float | None = None
    same_lang: bool | None = None  #: one written language (clean/lang.same_language)
    containment: float | None = None  #: word 5-grams of the smaller side found in the other (counted)
    jaccard: float | None = None  #: word 5-gram Jaccard (counted where a duplicate is at stake, else MinHash)
    len_ratio: float | None = None  #: shorter content length / longer
    # --- sentence alignment (compare/align.py, anchors.py) ---
    encoded: bool | None = None  #: both texts have sentence vectors (else: aligned by names)
    anchored_n: float | None = None  #: sentence pairs anchored by shared names (no vectors)
    words_aligned_a: float | None = None  #: share aligned by shared content words (one language, no vectors)
    words_aligned_b: float | None = None
    aligned_a: float | None = None  #: share of a covered by verbatim and aligned sentences
    aligned_b: float | None = None
    aligned_n: float | None = None  #: aligned sentence pairs (shared quotations left out)
    aligned_sim: float | None = None  #: their mean cosine
    aligned_words: float | None = None  #: word Jaccard of the one aligned line pair (one-line alignments)
    quote_matches: float | None = None  #: aligned pairs that were shared quotations
    matched_a: float | None = None  #: share of a's sentences with a close match anywhere in b
    matched_b: float | None = None
    order: float | None = None  #: share of the order-free matches the monotone alignment keeps
    best_mean: float | None = None  #: mean best cosine of each sentence
    # --- paraphrased partial reuse (compare/reworded.py; one language) ---
    reworded_a: float | None = None  #: share of a in verbatim passages or sentences reworded from b
    reworded_b: float | None = None
    reworded_n: float | None = None  #: reworded sentence pairs
    # --- the whole texts ---
    doc_cos: float | None = None  #: cosine of the article vectors
    anchor_overlap: float | None = None  #: rare names and numbers (hashes): overlap coefficient
    anchor_jaccard: float | None = None
    names_overlap: float | None = None  #: rarity-weighted names: overlap coefficient
    names_jaccard: float | None = None
    names_contained: float | None = None  #: names overlap, floored for name-poor texts
    words_overlap: float | None = None  #: rarity-weighted content words
    words_jaccard: float | None = None
    date_gap_days: float | None = None  #: days between the publication dates
    # --- the second model (compare/verify.py, decide/flow.py) ---
    rescued: bool | None = None  #: only the second model can place or align this pair
    second_lead: float | None = None  #: best second-model cosine of the two leads
    second_aligned_a: float | None = None  #: share the second model aligned itself (rescued pairs)
    second_aligned_b: float | None = None
    second_contrast: float | None = None  #: aligned cosine minus the mean of all cross pairs
    #: for a rescued pair, the same contrast over the pairs the names aligned (second_contrast
    #: is over the second model's own): what vouches for the names' alignment
    names_contrast: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, float]) -> Features:
        """From a ``features`` object (a JSONL pair, an index row, a hand-made dict)."""
        if isinstance(d, Features):
            return d
        known, extra = {}, {}
        for k, v in d.items():
            if k in _FEATURE_FIELDS:
                known[k] = bool(v >= 0.5) if k in _BOOL_FEATURES else float(v)
            else:
                extra[str(k)] = float(v)
        return cls(**known, extra=extra)

    def to_dict(self) -> dict[str, float]:
        """The ``features`` object of the output contract."""
        return dict(self.items())

    def _value(self, k: str) -> float | None:
        v = getattr(self, k)
        if v is None:
            return None
        return (1.0 if v else 0.0) if k in _BOOL_FEATURES else float(v)

    def __getitem__(self, k: str) -> float:
        if k in _FEATURE_FIELDS:
            v = self._value(k)
            if v is None:
                raise KeyError(k)
            return v
        return self.extra[k]

    def __iter__(self) -> Iterator[str]:
        for k in _FEATURE_ORDER:
            if getattr(self, k) is not None:
                yield k
        yield from self.extra

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, k: object) -> bool:
        if k in _FEATURE_FIELDS:
            return getattr(self, k) is not None  # type: ignore[arg-type]
        return k in self.extra

    __hash__ = None  # type: ignore[assignment]  # mutable evidence

    # the few numbers the rules read in one form
    @property
    def aligned_min(self) -> float:
        return min(self.aligned_a or 0.0, self.aligned_b or 0.0)

    @property
    def matched_min(self) -> float:
        return min(self.matched_a or 0.0, self.matched_b or 0.0)


_FEATURE_ORDER: tuple[str, ...] = tuple(f.name for f in fields(Features) if f.name != "extra")
_FEATURE_FIELDS = frozenset(_FEATURE_ORDER)



@dataclass(slots=True)
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
    features: Features = field(default_factory=Features)
    #: "compared": the two texts were compared; "story" / "storyline": implied by the groups,
    #: "pivot": a translation through a third text (``retold.group.implied``), with no passages
    #: of their own
    basis: str = "compared"
    #: the relation the pair's own evidence gave, where the stories overrode it
    #: (``retold.group.agree``) or translations through a third text did
    #: (``retold.group.implied.agree_with_pivots``); None when the pair's relation is its own
    decided: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.features, Features):  # a features object read back (JSONL, index) or written by hand
            self.features = Features.from_dict(self.features)

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
