"""Every number that changes what retold finds, in two validated, frozen dataclasses.

- :class:`Settings`: how a run works (signatures, candidate bounds, budgets, threads).
  Set by the user per run; the index records the signature fields and refuses others.
- :class:`Thresholds`: the cut-offs that turn evidence into a relation. Their one home is
  ``retold/data/thresholds.json``, which ``scripts/calibrate.py`` writes from the tune split
  (the fitted ones) and which also holds the priors set by reasoning, not fitting (each
  field's docstring says which). ``Thresholds.fitted()`` reads it; ``Settings.thresholds``
  carries it to every stage, so ``retold.scan(..., settings=Settings(thresholds=t))`` runs
  with other thresholds.

Both check every value on construction and raise :class:`SettingsError` naming the field
and its allowed range, so ``Settings(num_perm=-5)`` fails here, not inside numpy.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting or threshold outside its allowed range."""


def _check(owner: str, name: str, value: Any, lo: float, hi: float, kind: type | tuple[type, ...]) -> None:
    ok_type = isinstance(value, kind) and not isinstance(value, bool) if kind is not bool else isinstance(value, bool)
    if not ok_type:
        raise SettingsError(f"{owner}.{name} must be {_kind_name(kind)}, got {value!r}")
    if kind is not bool and (not math.isfinite(value) or not lo <= value <= hi):
        raise SettingsError(f"{owner}.{name} must be in [{lo:g}, {hi:g}], got {value!r}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if kind is bool:
        return "a bool"
    if kind is int:
        return "an int"
    return "a number"


_NUM = (int, float)

#: what the story models' weights weigh, in order (decide/relation.py): whether two texts are
#: related at all (topic), then whether they report one event (event)
TOPIC_FEATURES = ("doc_cos", "names_overlap", "names_jaccard", "matched_min", "best_mean", "words_overlap", "words_jaccard")
EVENT_FEATURES = ("names_contained", "names_jaccard", "matched_min", "best_mean", "words_jaccard")
_BIG = 1e12


def _share(doc: str) -> Any:
    """A threshold on a share or a cosine, in [0, 1] (a value above 1 turns its rule off)."""
    return field(metadata={"range": (0.0, 1.01), "doc": doc})


def _ranged(lo: float, hi: float, doc: str) -> Any:
    return field(metadata={"range": (lo, hi), "doc": doc})


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """The decision cut-offs (``docs/DECISIONS.md`` gives the evidence for each).

    No field has a default in code: ``Thresholds.fitted()`` reads them all from
    ``retold/data/thresholds.json``, and ``Thresholds.from_dict`` refuses a file that lacks
    one. Change one with ``dataclasses.replace(t, name=value)`` (or ``t.replace(...)``).
    """

    # --- copies (decide/copy.py) -------------------------------------------------------
    duplicate_min_coverage: float = _share("verbatim coverage of both sides for a duplicate (prior)")
    duplicate_min_jaccard: float = _share("5-gram Jaccard a duplicate keeps: about 1% of the words changed (prior)")
    duplicate_min_coverage_no_jaccard: float = _share("coverage of both sides for a duplicate where no Jaccard is known (prior)")
    near_duplicate_min_coverage: float = _share("'most of the text verbatim both ways' (prior)")
    partial_min_coverage: float = _share("share of one side verbatim shared for partial reuse (prior)")
    partial_min_containment: float = _share("the same quarter, in the smaller side's word 5-grams (prior)")
    # --- sentence alignment (compare/) -------------------------------------------------
    align_min_sim: float = _share("cosine at which two sentences are aligned as saying the same thing (encoder)")
    anchor_min_sim: float = _share("share of names two sentences must share to be aligned by names (no encoder)")
    quote_share: float = _share("share of a sentence's tokens in quotation marks that makes it a quote (prior)")
    # --- reuse across sentences (decide/relation.py) -----------------------------------
    rewrite_min_aligned: float = _share("share of content aligned on each side for a rewrite (fitted)")
    translation_min_aligned: float = _share("the same for a translation (fitted)")
    min_order: float = _share("share of order-free matches the monotone alignment keeps (fitted)")
    min_aligned_sim: float = _share("mean cosine of the aligned sentences for reuse (fitted)")
    paraphrase_min_sim: float = _share("mean cosine of a rewrite's aligned sentences: the MRPC cut (fitted)")
    one_line_min_words: float = _share("word Jaccard of a one-line rewrite's line pair (fitted)")
    reworded_min_sim: float = _share("cosine at which a sentence pair means the same, for paraphrased partial reuse (prior, tune split)")
    reworded_min_words: float = _share("content-word overlap a reworded sentence pair keeps (prior, tune split)")
    reworded_min_coverage: float = _share("share of one side in verbatim or reworded sentences for paraphrased partial reuse (prior, tune split)")
    reworded_min_pairs: float = _ranged(1.0, 1000.0, "reworded sentence pairs a paraphrased partial needs (prior, tune split)")
    # --- stories (decide/relation.py, group/) ------------------------------------------
    related_weights: tuple[float, ...] = _ranged(-_BIG, _BIG, "topic model weights over TOPIC_FEATURES (fitted)")
    related_bias: float = _ranged(-_BIG, _BIG, "topic model bias (fitted)")
    event_weights: tuple[float, ...] = _ranged(-_BIG, _BIG, "event model weights over EVENT_FEATURES (fitted)")
    event_bias: float = _ranged(-_BIG, _BIG, "event model bias (fitted)")
    same_story_min: float = _share("P(same event) for same_story (fitted)")
    related_min: float = _share("P(related) for related (fitted)")
    max_story_gap_days: float = _ranged(0.0, 36500.0, "reports further apart in days are not of one event (prior)")
    story_resolution: float = _share("Leiden CPM resolution: least mean P(same event) in a story (fitted)")
    # --- languages the encoder lacks (decide/relation.py) ------------------------------
    anchor_min_aligned: float = _share("share aligned by names on each side for reuse (fitted)")
    anchor_min_names: float = _share("names overlap that lets names vouch for a reuse (fitted)")
    anchor_story_names: float = _share("names overlap for same_story (fitted)")
    anchor_related_names: float = _share("names overlap for related (fitted; above 1: off)")
    names_min_aligned: float = _share("share the names must align before they, not the second model, are trusted (prior)")
    pivot_min_coverage: float = _share(
        "coverage of both sides of two translations of one text that makes its other two texts translations "
        "of each other (group/implied.pivot_pairs; prior, WMT24 tune split; above 1: off)"
    )
    anchor_min_words_changed: float = _share(
        "content words aligned on each side that a one-language rewording whose words changed still keeps, "
        "with the second model vouching for the names' alignment (prior, tune split)"
    )
    # --- the second model (compare/verify.py, pipeline) --------------------------------
    second_min_contrast: float = _share("the second model's contrast that stands in for shared names (fitted)")
    second_min_len_ratio: float = _share("length ratio of a pair worth the second model: a translation keeps its length (prior)")
    second_min_aligned: float = _share("share aligned by names on each side of a borderline pair (prior)")
    second_min_order: float = _share("order of a borderline pair (prior)")
    second_max_names: float = _share("names overlap below which names cannot vouch, so the second model is asked (prior)")
    second_max_verbatim: float = _share("verbatim share below which a pair is no copy, so worth asking (prior)")
    lead_min_sim: float = _share("second-model cosine the leads of a translation reach, checked before whole texts are read (prior)")
    # --- the same three cut-offs for the static encoder as the second model (sign/second.py) ----
    static_min_contrast: float = _share("static-encoder contrast that stands in for shared names (prior, tune split)")
    static_lead_min_sim: float = _share("static-encoder cosine the leads of a translation reach (prior, tune split)")
    static_align_margin: float = _share("static-encoder margin of a sentence pair over its row and column to align (prior, tune split)")

    def __post_init__(self) -> None:
        for f in fields(self):
            lo, hi = f.metadata["range"]
            v = getattr(self, f.name)
            if isinstance(v, list):
                v = tuple(v)
                object.__setattr__(self, f.name, v)
            if isinstance(v, tuple):
                for k, x in enumerate(v):
                    _check("Thresholds", f"{f.name}[{k}]", x, lo, hi, _NUM)
            else:
                _check("Thresholds", f.name, v, lo, hi, _NUM)
        for attr, keys in (("related_weights", TOPIC_FEATURES), ("event_weights", EVENT_FEATURES)):
            if len(getattr(self, attr)) != len(keys):
                raise SettingsError(
                    f"Thresholds.{attr} has {len(getattr(self, attr))} weights for {len(keys)} features {keys}; "
                    "re-run scripts/calibrate.py"
                )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Thresholds:
        """From a thresholds file's object; keys starting with ``_`` are notes and ignored."""
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in d]
        if missing:
            raise SettingsError(f"thresholds: missing {', '.join(missing)}")
        unknown = [k for k in d if not k.startswith("_") and k not in names]
        if unknown:
            raise SettingsError(f"thresholds: unknown {', '.join(unknown)}")
        return cls(**{n: d[n] for n in names})

    @classmethod
    def load(cls, path: str | Path) -> Thresholds:
        """From a JSON file written like ``retold/data/thresholds.json``."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def fitted(cls) -> Thresholds:
        """The shipped thresholds (read once)."""
        return _fitted()

    def replace(self, **changes: Any) -> Thresholds:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@lru_cache(maxsize=1)
def _fitted() -> Thresholds:
    text = resources.files("retold").joinpath("data/thresholds.json").read_text(encoding="utf-8")
    return Thresholds.from_dict(json.loads(text))


def _s(lo: float, hi: float) -> Any:
    return {"range": (lo, hi)}


@dataclass(frozen=True)
class Settings:
    """How a run works. Every field is checked on construction (:class:`SettingsError`)."""

    # --- lexical signatures (sign/) -------------------------------------
    shingle_size: int = field(default=5, metadata=_s(1, 64))  # word k-grams for MinHash and fingerprints
    num_perm: int = field(default=128, metadata=_s(1, 4096))  # MinHash permutations
    #: LSH bands; must divide num_perm. 32 bands x 4 rows: S-curve midpoint near Jaccard 0.42
    lsh_bands: int = field(default=32, metadata=_s(1, 4096))
    fingerprint_mod: int = field(default=8, metadata=_s(1, 1 << 20))  # keep 1 shingle in N as a fingerprint
    seed: int = field(default=1, metadata=_s(0, 2**32 - 1))
    # --- candidates ------------------------------------------------------
    #: LSH/fingerprint buckets larger than this are boilerplate-like: skipped
    max_bucket: int = field(default=200, metadata=_s(2, 10**9))
    min_shared_fingerprints: int = field(default=3, metadata=_s(1, 10**6))
    ann_neighbours: int = field(default=20, metadata=_s(0, 10_000))  # article-vector neighbours per article
    ann_min_cosine: float = field(default=0.35, metadata=_s(-1.0, 1.0))
    #: the static second model's article-vector neighbours (candidates/semantic.static_candidates),
    #: for pairs one side of which the encoder lacks: at least this cosine (WMT24 news, tune: the
    #: translations of a document at 0.53-0.90, 1st to 99th percentile; other documents in other
    #: languages at 0.10-0.54, 5th to 95th)
    static_min_cosine: float = field(default=0.5, metadata=_s(-1.0, 1.0))
    #: texts the second model may read to find partners for texts that nothing else placed
    #: (candidates/rescue.py); about 12 texts/s on 2 cores, so 300 is about 25 s. Kept small by
    #: default: in a crawl most such texts have no translation to find
    rescue_max_texts: int = field(default=300, metadata=_s(0, 10**9))
    #: sentences it may then read to align the pairs it proposed (about 35/s: 2000 is one minute)
    rescue_max_sentences: int = field(default=2000, metadata=_s(0, 10**9))
    # --- compare ---------------------------------------------------------
    min_passage_tokens: int = field(default=8, metadata=_s(1, 10**6))  # shortest verbatim passage reported
    #: borderline pairs in languages the encoder lacks: ask multilingual-E5 (compare/verify.py)
    second_opinion: bool = True
    # --- run -------------------------------------------------------------
    semantic: bool = True  # sentence embeddings, rewrites, translations, stories
    threads: int = field(default=0, metadata=_s(0, 4096))  # 0: all cores
    #: the same articles give the same pairs, run after run: the ANN graph (above 4,000 articles)
    #: is built on one thread. False builds it on all cores: faster on many cores, but the
    #: neighbours, and so a few pairs, may differ between runs
    reproducible: bool = True
    implied_pairs: bool = True  # also report pairs the stories imply (basis "story"/"storyline"), see group/implied.py
    keep_candidates: bool = False  # ScanResult.candidates lists every compared pair (to measure candidate recall)
    batch_size: int = field(default=256, metadata=_s(1, 10**6))
    #: batches of at least this many items (articles, pairs) go to worker processes
    parallel_min_items: int = field(default=2000, metadata=_s(1, 10**9))
    #: longest wait for one chunk of work from a worker process before the batch fails
    worker_timeout_s: float = field(default=1800.0, metadata=_s(1.0, 10**7))
    #: a scan against an index compares its batch with this many indexed docs at a time (the
    #: docs of its candidate pairs, read whole), so a batch's memory follows this figure and the
    #: batch, not the index (retold/index/parts.py); about 50 KB a doc
    index_part_docs: int = field(default=8000, metadata=_s(1, 10**9))
    #: longest wait, in seconds, for another writer of the same index to commit (0: as long as it takes)
    index_wait_s: float = field(default=0.0, metadata=_s(0.0, 10**7))
    #: the decision cut-offs (default: the shipped, fitted ones)
    thresholds: Thresholds = field(default_factory=Thresholds.fitted)

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "thresholds":
                if not isinstance(v, Thresholds):
                    raise SettingsError(f"Settings.thresholds must be a Thresholds, got {type(v).__name__}")
                continue
            if f.type in ("bool", bool):
                _check("Settings", f.name, v, 0, 1, bool)
                continue
            lo, hi = f.metadata["range"]
            _check("Settings", f.name, v, lo, hi, int if f.type in ("int", int) else _NUM)
        if self.num_perm % self.lsh_bands:
            raise SettingsError(
                f"Settings.lsh_bands must divide Settings.num_perm: {self.num_perm} permutations "
                f"do not split into {self.lsh_bands} bands"
            )

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)


__all__ = ["Settings", "Thresholds", "SettingsError", "TOPIC_FEATURES", "EVENT_FEATURES"]
