"""Labelled corpora built from a data folder laid out like ``/work/shared/data``.

Each builder reads one data set (skipped when its folder is absent), keeps the units of
the requested split (``retold.bench.splits.split_of`` on the natural unit: an ECB+ topic,
a WMT document) and says, for every pair it knows, which relations are acceptable.
Pairs it does not list are gold "unrelated".

Gold decisions (the numbers depend on them):

* seeds: ``expected.json`` as written; split "all" (five texts, always scored).
* ECB+ (odd topics): same event cluster -> ``same_story``; where the two texts really are
  copies (word 5-gram containment of the smaller in the larger >= ``COPY_CONTAINMENT``) any
  monolingual reuse relation is accepted too; same topic, other cluster ->
  ``related`` (the corpus pairs two similar events per topic: hard negatives); different
  topics -> unrelated. Stories = clusters; families unknown (ECB+ does not label reuse).
* ECB+ briefs: the same topics with one event's reports cut to their first sentence, a
  stress test for one-sentence texts (``ecbplus_briefs_corpus``); same labels, not pooled.
* WMT16 en-fi: original vs each human translation -> ``translation``; the two independent
  Finnish translations of one English article -> ``rewrite`` or ``near_duplicate``. A family
  (and a story) per record.
* WMT22 (news domain, capped): source vs reference or MT output -> ``translation``; any two
  target-side texts of one source (references, MT outputs) -> ``rewrite`` or
  ``near_duplicate`` (also ``duplicate`` when the texts are identical). A family (and a
  story) per source document.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path

from retold.bench.splits import split_of
from retold.model import Article

REUSE_MONO = frozenset({"duplicate", "near_duplicate", "partial", "rewrite"})
SAME_TEXT_REWORDED = frozenset({"rewrite", "near_duplicate"})
#: Share of the smaller text's word 5-grams found in the other: above it, an ECB+ pair of one
#: event is (also) a copy. A quarter is more than shared quotations and names ever give.
COPY_CONTAINMENT = 0.25


class DataError(ValueError):
    """A data file does not look like its PROVENANCE.md says; names file and line."""


@dataclass
class LabelledCorpus:
    """Articles plus what a person says about them."""

    name: str
    articles: list[Article]
    gold_pairs: dict[frozenset, set[str]]
    gold_families: list[set[str]] | None
    gold_stories: list[set[str]] | None
    split: str  # "tune" | "eval" | "all"
    #: pairs whose gold relation is unknown: left out of every count
    ignored_pairs: set[frozenset] = field(default_factory=set)
    #: origin of each gold family, where known (seeds)
    gold_origins: dict[frozenset, str] = field(default_factory=dict)
    #: counted in the pooled (news) relation table; False for data outside the news domain
    pooled: bool = True

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.articles]

    def lang_of(self) -> dict[str, str | None]:
        return {a.id: a.lang for a in self.articles}


@dataclass
class SentencePairs:
    """Sentence pairs with a human score (STS-B, 0-5) or label (MRPC, 0/1)."""

    name: str
    a: list[str]
    b: list[str]
    score: list[float]
    split: str


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{n}: not valid JSON ({e.msg})") from e
            if not isinstance(rec, dict):
                raise DataError(f"{path}:{n}: expected a JSON object, got {type(rec).__name__}")
            yield n, rec


def _need(rec: dict, keys: tuple[str, ...], path: Path, n: int) -> None:
    missing = [k for k in keys if k not in rec]
    if missing:
        raise DataError(f"{path}:{n}: missing field(s) {', '.join(missing)}")


def _keep(unit_split: str, split: str) -> bool:
    return split == "all" or unit_split == split


def _norm_text(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n").strip()


def _shingles(text: str, k: int = 5) -> set[str]:
    w = re.findall(r"\w+", text.lower())
    return {" ".join(w[i : i + k]) for i in range(max(0, len(w) - k + 1))}


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller shingle set found in the larger (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _same_text(a: str, b: str) -> bool:
    return re.sub(r"\s+", " ", a).strip() == re.sub(r"\s+", " ", b).strip()


# --- seeds -------------------------------------------------------------------


def _read_seed_articles(folder: Path) -> list[Article]:
    """Through the public ingest when it is there (it skips expected.json with a Problem)."""
    try:
        from retold.ingest import read_articles
    except ImportError:  # ingest not written yet: the .txt files are plain text anyway
        return [
            Article(id=p.stem, text=p.read_text(encoding="utf-8"), where=str(p))
            for p in sorted(folder.glob("*.txt"))
        ]
    articles, _problems = read_articles([folder])
    return articles


def seeds_corpus(data_dir: Path) -> LabelledCorpus | None:
    """The five archetype texts and ``expected.json``."""
    folder = data_dir / "seeds"
    exp_path = folder / "expected.json"
    if not exp_path.is_file():
        return None
    try:
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"{exp_path}:{e.lineno}: not valid JSON ({e.msg})") from e
    articles = _read_seed_articles(folder)
    ids = {a.id for a in articles}
    gold: dict[frozenset, set[str]] = {}
    for p in exp.get("pairs", []):
        for k in (p["a"], p["b"]):
            if k not in ids:
                raise DataError(f"{exp_path}: pair names {k!r}, which is not among the seed texts {sorted(ids)}")
        gold[frozenset((p["a"], p["b"]))] = {p["relation"]}
    fams = [set(f["members"]) for f in exp.get("families", [])]
    origins = {frozenset(f["members"]): f["origin"] for f in exp.get("families", []) if f.get("origin")}
    stories = [set(s) for s in exp.get("stories", [])]
    return LabelledCorpus("seeds", articles, gold, fams, stories, "all", gold_origins=origins)


# --- ECB+ -------------------------------------------------------------------


def ecbplus_corpus(data_dir: Path, split: str = "eval", max_topics: int | None = None) -> LabelledCorpus | None:
    """ECB+ odd topics of ``split``; see the module docstring for the labels."""
    read = _ecb_articles(data_dir, split, max_topics)
    if read is None:
        return None
    articles, cluster_of, topic_of = read
    return _ecb_labelled("ecbplus", articles, cluster_of, topic_of, split, pooled=True)


def ecbplus_briefs_corpus(data_dir: Path, split: str = "eval", max_topics: int | None = None) -> LabelledCorpus | None:
    """ECB+ with the reports of one event per topic cut to their first sentence: a stress test.

    Some ECB+ reports are a single sentence (a wire brief, or a page whose body was not
    kept), and a brief names one or two people whom every report of the storyline names
    too. Which event is cut alternates with the topic (the ECB event in topics 1, 5, 9...,
    the ECB+ event in 3, 7, 11...), so both kinds of brief occur. Labels as in
    :func:`ecbplus_corpus`, copies judged on the cut texts. Not pooled: the texts are ours.
    """
    read = _ecb_articles(data_dir, split, max_topics)
    if read is None:
        return None
    articles, cluster_of, topic_of = read
    cut = [
        replace(a, text=a.title)
        if a.title and cluster_of[a.id].endswith("ecbplus") == (topic_of[a.id] % 4 == 3)
        else a
        for a in articles
    ]
    return _ecb_labelled("ecbplus_briefs", cut, cluster_of, topic_of, split, pooled=False)


def _ecb_articles(
    data_dir: Path, split: str, max_topics: int | None
) -> tuple[list[Article], dict[str, str], dict[str, int]] | None:
    """The articles of the odd topics of ``split``, with each one's cluster (event) and topic."""
    path = data_dir / "ecbplus" / "docs.jsonl"
    if not path.is_file():
        return None
    articles: list[Article] = []
    cluster_of: dict[str, str] = {}
    topic_of: dict[str, int] = {}
    topics: list[int] = []
    for n, rec in _jsonl(path):
        _need(rec, ("doc_id", "topic", "cluster", "title", "text"), path, n)
        topic = int(rec["topic"])
        if topic % 2 == 0 or not _keep(split_of(f"ecbplus:topic:{topic}"), split):
            continue
        if topic not in topics:
            if max_topics is not None and len(topics) >= max_topics:
                continue
            topics.append(topic)
        aid = f"ecb:{rec['doc_id']}"
        title = (rec["title"] or "").strip()
        body = (rec["text"] or "").strip()
        text = f"{title}\n\n{body}" if body else title
        articles.append(Article(id=aid, text=text, title=title or None, source="ecbplus", lang="en", where=f"{path}:{n}"))
        cluster_of[aid] = str(rec["cluster"])
        topic_of[aid] = topic
    return articles, cluster_of, topic_of


def _ecb_labelled(
    name: str, articles: list[Article], cluster_of: dict[str, str], topic_of: dict[str, int], split: str, pooled: bool
) -> LabelledCorpus:
    """ECB+ gold from its clusters (events) and topics, copies judged on the texts as given."""
    gold: dict[frozenset, set[str]] = {}
    sh = {x.id: _shingles(x.text) for x in articles}
    for a, b in combinations([x.id for x in articles], 2):
        if cluster_of[a] == cluster_of[b]:
            copied = containment(sh[a], sh[b]) >= COPY_CONTAINMENT
            gold[frozenset((a, b))] = {"same_story"} | (REUSE_MONO if copied else set())
        elif topic_of[a] == topic_of[b]:
            gold[frozenset((a, b))] = {"related"}
    stories: dict[str, set[str]] = {}
    for aid, c in cluster_of.items():
        stories.setdefault(c, set()).add(aid)
    return LabelledCorpus(name, articles, gold, None, list(stories.values()), split, pooled=pooled)


# --- WMT16 en-fi --------------------------------------------------------------


def _add_translated_family(
    source: Article, targets: list[Article], articles: list[Article], gold: dict[frozenset, set[str]], fams: list[set[str]]
) -> None:
    """A source and its translations (human or machine): one family and its gold pairs.

    Source-target pairs are translations; two targets in one language are the same text
    reworded (``duplicate`` too when identical), two in different languages translations.
    """
    for t in targets:
        gold[frozenset((source.id, t.id))] = {"translation"}
    for x, y in combinations(targets, 2):
        if x.lang == y.lang:
            gold[frozenset((x.id, y.id))] = set(SAME_TEXT_REWORDED) | ({"duplicate"} if _same_text(x.text, y.text) else set())
        else:
            gold[frozenset((x.id, y.id))] = {"translation"}
    articles += [source, *targets]
    fams.append({source.id, *(t.id for t in targets)})


def wmt16_corpus(data_dir: Path, split: str = "eval", max_docs: int | None = None) -> LabelledCorpus | None:
    """Each record: its original and its human translations; see the module docstring."""
    path = data_dir / "wmt16_enfi_docs" / "doc_pairs.jsonl"
    if not path.is_file():
        return None
    articles: list[Article] = []
    gold: dict[frozenset, set[str]] = {}
    fams: list[set[str]] = []
    for n, rec in _jsonl(path):
        _need(rec, ("doc_id", "orig_lang", "orig_text", "translations"), path, n)
        if not _keep(split_of(f"wmt16:{rec['doc_id']}"), split):
            continue
        if max_docs is not None and len(fams) >= max_docs:
            break
        base = f"wmt16:{rec['doc_id']}"
        orig = Article(id=f"{base}:orig", text=_norm_text(rec["orig_text"]), lang=rec["orig_lang"], source="wmt16:orig", where=f"{path}:{n}")
        trans: list[Article] = []
        for key, text in sorted(rec["translations"].items()):
            lang, _, who = key.partition("_")
            if not lang:
                raise DataError(f"{path}:{n}: translation key {key!r} does not start with a language code")
            trans.append(Article(id=f"{base}:{key}", text=_norm_text(text), lang=lang, source=f"wmt16:{who or key}", where=f"{path}:{n}"))
        _add_translated_family(orig, trans, articles, gold, fams)
    return LabelledCorpus("wmt16_enfi", articles, gold, fams, [set(f) for f in fams], split)


# --- WMT22 general ------------------------------------------------------------


def wmt22_corpus(
    data_dir: Path,
    split: str = "eval",
    max_docs: int | None = 250,
    max_systems: int = 3,
    domain: str | tuple[str, ...] = "news",
    corpus_name: str = "wmt22_news",
    max_docs_per_domain: int | None = None,
) -> LabelledCorpus | None:
    """Source, references and the first ``max_systems`` MT outputs (by system name) per document.

    Capped because every document brings up to 1 + 2 + ``max_systems`` articles and the
    whole benchmark has to stay under a quarter of an hour on two cores. ``domain`` may
    name several WMT22 domains (news, ecommerce, social, conversation).
    """
    domains = (domain,) if isinstance(domain, str) else tuple(domain)
    per_domain: dict[str, int] = {}
    path = data_dir / "wmt22_general_docs" / "docs.jsonl"
    if not path.is_file():
        return None
    articles: list[Article] = []
    gold: dict[frozenset, set[str]] = {}
    fams: list[set[str]] = []
    for n, rec in _jsonl(path):
        _need(rec, ("pair", "doc_id", "domain", "src_lang", "src", "refs", "hyps"), path, n)
        if rec["domain"] not in domains:
            continue
        if not _keep(split_of(f"wmt22:{rec['pair']}:{rec['doc_id']}"), split):
            continue
        if max_docs is not None and len(fams) >= max_docs:
            break
        if max_docs_per_domain is not None and per_domain.get(rec["domain"], 0) >= max_docs_per_domain:
            continue
        per_domain[rec["domain"]] = per_domain.get(rec["domain"], 0) + 1
        base = f"wmt22:{rec['pair']}:{rec['doc_id']}"
        src = Article(id=f"{base}:src", text=_norm_text(rec["src"]), lang=rec["src_lang"], source="wmt22:src", where=f"{path}:{n}")
        targets: list[Article] = []
        for kind, d in (("ref", rec["refs"]), ("mt", rec["hyps"])):
            names = sorted(d)
            if kind == "mt":
                names = names[:max_systems]
            for name in names:
                v = d[name]
                if not isinstance(v, dict) or "text" not in v or "lang" not in v:
                    raise DataError(f"{path}:{n}: {kind} {name!r} lacks text/lang")
                if not v["text"].strip():
                    continue
                targets.append(Article(id=f"{base}:{kind}:{name}", text=_norm_text(v["text"]), lang=v["lang"], source=f"wmt22:{kind}:{name}", where=f"{path}:{n}"))
        _add_translated_family(src, targets, articles, gold, fams)
    return LabelledCorpus(corpus_name, articles, gold, fams, [set(f) for f in fams], split, pooled=domains == ("news",))


# --- sentence pairs ------------------------------------------------------------


def stsb_pairs(data_dir: Path, split: str = "eval", max_pairs: int | None = None) -> SentencePairs | None:
    """STS-B: the dev file is ``eval``, the train file ``tune`` (the test file is kept aside)."""
    name = {"eval": "sts-dev.csv", "tune": "sts-train.csv"}.get(split)
    if name is None:
        raise ValueError(f"STS-B has no split {split!r}: use eval or tune")
    path = data_dir / "stsb" / name
    if not path.is_file():
        return None
    a: list[str] = []
    b: list[str] = []
    s: list[float] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            cols = line.rstrip("\n").split("\t")[:7]
            if len(cols) < 7:
                raise DataError(f"{path}:{n}: expected 7 tab-separated columns, got {len(cols)}")
            try:
                s.append(float(cols[4]))
            except ValueError as e:
                raise DataError(f"{path}:{n}: score {cols[4]!r} is not a number") from e
            a.append(cols[5])
            b.append(cols[6])
            if max_pairs is not None and len(s) >= max_pairs:
                break
    return SentencePairs("stsb", a, b, s, split)


def mrpc_pairs(data_dir: Path, split: str = "eval", max_pairs: int | None = None) -> SentencePairs | None:
    """MRPC train file split by ``split_of`` on the two sentence ids (only that file is here)."""
    path = data_dir / "mrpc" / "msr_paraphrase_train.txt"
    if not path.is_file():
        return None
    a: list[str] = []
    b: list[str] = []
    s: list[float] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if n == 1:
                continue  # header
            if len(row) != 5:
                raise DataError(f"{path}:{n}: expected 5 tab-separated columns, got {len(row)}")
            if row[0] not in ("0", "1"):
                raise DataError(f"{path}:{n}: quality {row[0]!r} is not 0 or 1")
            if not _keep(split_of(f"mrpc:{row[1]}-{row[2]}"), split):
                continue
            s.append(float(row[0]))
            a.append(row[3])
            b.append(row[4])
            if max_pairs is not None and len(s) >= max_pairs:
                break
    return SentencePairs("mrpc", a, b, s, split)


def build_corpora(
    data_dir: Path,
    split: str = "eval",
    max_units: int | None = None,
    wmt22_max_docs: int = 250,
    wmt22_max_systems: int = 3,
) -> list[LabelledCorpus]:
    """Every article corpus present under ``data_dir`` for ``split`` (seeds always, as "all").

    ``max_units`` caps topics/documents per data set (for quick runs and tests).
    """
    if split not in ("eval", "tune", "all"):
        raise ValueError(f"unknown split {split!r}: use eval, tune or all")
    cap22 = wmt22_max_docs if max_units is None else min(wmt22_max_docs, max_units)
    out = [
        seeds_corpus(data_dir),
        ecbplus_corpus(data_dir, split, max_topics=max_units),
        # the same with one event's reports cut to a sentence (briefs): reported apart
        ecbplus_briefs_corpus(data_dir, split, max_topics=max_units),
        wmt16_corpus(data_dir, split, max_docs=max_units),
        wmt22_corpus(data_dir, split, max_docs=cap22, max_systems=wmt22_max_systems),
        # short texts of other domains (reviews, posts, chat): name-poor, the hard case for
        # languages the encoder lacks; reported apart, not pooled with the news corpora
        wmt22_corpus(
            data_dir, split, max_docs=None if max_units is None else max_units, max_systems=wmt22_max_systems,
            domain=("ecommerce", "social", "conversation"), corpus_name="wmt22_short", max_docs_per_domain=40,
        ),
    ]
    return [c for c in out if c is not None and c.articles]
