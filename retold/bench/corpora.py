"""Labelled corpora built from a data folder laid out like ``/work/shared/data``.

Each builder reads one data set (skipped when its folder is absent), all of it: every
unit the folder holds is read, and ``retold/bench/splits.py`` alone says whether it belongs
to the requested split (an ECB+ topic, a WMT document, an MRPC pair, an STS-B file part;
the rule and its reasons are documented there). Each builder then says, for every pair it
knows, which relations are acceptable. Pairs it does not list are gold "unrelated".

Layouts read (one folder per data set under the data folder):

* ``seeds/``: the five texts and ``expected.json``.
* ``ecbplus/``: ``docs.jsonl`` (then any other ``*.jsonl`` there), one document a line
  with ``doc_id``, ``topic``, ``cluster``, ``title``, ``text``; topics of any number.
* ``wmt16_enfi_docs/doc_pairs.jsonl`` and ``wmt22_general_docs/docs.jsonl`` (fields in
  their PROVENANCE.md).
* ``stsb/`` (or ``STS-B/``, ``stsbenchmark/``): the benchmark's own ``sts-train.csv``,
  ``sts-dev.csv``, ``sts-test.csv`` (tab-separated, no header, score in the fifth column),
  GLUE's ``train.tsv`` / ``dev.tsv``, or any csv/tsv whose header names two sentence
  columns (``sentence1``, ``sentence2``) and a score (``score``, ``label``...). The part
  (train, dev, test) is taken from the file name, else from a ``split`` column.
* ``mrpc/`` (or ``MRPC/``): ``msr_paraphrase_train.txt`` / ``msr_paraphrase_test.txt``
  (the MS release), GLUE's ``train.tsv`` / ``dev.tsv``, or any csv/tsv whose header names
  a label (``Quality``, ``label``) and two sentences (``#1 String``, ``sentence1``...).
  A pair found in several files (GLUE's dev is part of the MS train file) is read once.

Files without labels (GLUE's test files) are skipped; so are files a reader does not
recognise by name or columns (readme, licence).

Gold decisions (the numbers depend on them):

* seeds: ``expected.json`` as written; split "all" (five texts, always scored).
* ECB+ (every topic): same event cluster -> ``same_story``; where the two texts really are
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

from retold.bench.splits import (
    ecbplus_split,
    mrpc_split,
    stsb_split,
    wmt16_split,
    wmt22_split,
)
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
    """The ECB+ topics of ``split``; see the module docstring for the labels."""
    read = _ecb_articles(data_dir, split, max_topics)
    if read is None:
        return None
    articles, cluster_of, topic_of = read
    return _ecb_labelled("ecbplus", articles, cluster_of, topic_of, split, pooled=True)


def ecbplus_briefs_corpus(data_dir: Path, split: str = "eval", max_topics: int | None = None) -> LabelledCorpus | None:
    """ECB+ with the reports of one event per topic cut to their first sentence: a stress test.

    Some ECB+ reports are a single sentence (a wire brief, or a page whose body was not
    kept), and a brief names one or two people whom every report of the storyline names
    too. Which event is cut alternates with the topic (the ECB+ event where ``topic // 2``
    is odd: topics 2, 3, 6, 7, 10, 11...; the ECB event in 1, 4, 5, 8, 9...), so both kinds
    of brief occur. Labels as in
    :func:`ecbplus_corpus`, copies judged on the cut texts. Not pooled: the texts are ours.
    """
    read = _ecb_articles(data_dir, split, max_topics)
    if read is None:
        return None
    articles, cluster_of, topic_of = read
    cut = [
        replace(a, text=a.title)
        if a.title and cluster_of[a.id].endswith("ecbplus") == (topic_of[a.id] // 2 % 2 == 1)
        else a
        for a in articles
    ]
    return _ecb_labelled("ecbplus_briefs", cut, cluster_of, topic_of, split, pooled=False)


def _ecb_articles(
    data_dir: Path, split: str, max_topics: int | None
) -> tuple[list[Article], dict[str, str], dict[str, int]] | None:
    """The articles of the topics of ``split``, with each one's cluster (event) and topic.

    Every topic present is read, whatever its number; ``splits.ecbplus_split`` decides.
    """
    folder = data_dir / "ecbplus"
    if not folder.is_dir():
        return None
    paths = sorted(folder.glob("*.jsonl"), key=lambda p: (p.name != "docs.jsonl", p.name))
    if not paths:
        return None
    articles: list[Article] = []
    cluster_of: dict[str, str] = {}
    topic_of: dict[str, int] = {}
    topics: list[int] = []
    seen: dict[str, str] = {}
    for path, n, rec in ((p, n, r) for p in paths for n, r in _jsonl(p)):
        _need(rec, ("doc_id", "topic", "cluster", "title", "text"), path, n)
        if str(rec["doc_id"]) in seen:
            raise DataError(f"{path}:{n}: doc_id {rec['doc_id']!r} already read at {seen[str(rec['doc_id'])]}")
        seen[str(rec["doc_id"])] = f"{path}:{n}"
        try:
            topic = int(rec["topic"])
        except (TypeError, ValueError):
            raise DataError(f"{path}:{n}: topic {rec['topic']!r} is not a number") from None
        if not _keep(ecbplus_split(topic), split):
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
        if not _keep(wmt16_split(rec["doc_id"]), split):
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
        if not _keep(wmt22_split(rec["pair"], rec["doc_id"]), split):
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


#: folder names a sentence-pair data set may have under the data folder, first found wins
STSB_FOLDERS = ("stsb", "STS-B", "stsbenchmark", "sts-b")
MRPC_FOLDERS = ("mrpc", "MRPC")
#: header names (lower case, runs of space/underscore/dash/# collapsed to one space)
_S1 = ("sentence1", "sentence 1", "sentence a", "s1", "text a", "text1", "1 string", "string1", "sentence1 string")
_S2 = ("sentence2", "sentence 2", "sentence b", "s2", "text b", "text2", "2 string", "string2", "sentence2 string")
_STS_SCORE = ("score", "similarity", "similarity score", "relatedness score", "label", "gold")
_MRPC_LABEL = ("quality", "label", "is paraphrase", "paraphrase")
_ID1 = ("1 id", "id1", "sentence1 id", "id 1")
_ID2 = ("2 id", "id2", "sentence2 id", "id 2")
_PART_WORDS = {"train": "train", "training": "train", "dev": "dev", "development": "dev", "validation": "dev",
               "valid": "dev", "val": "dev", "test": "test"}
_NOT_DATA = re.compile(r"(readme|license|licence|provenance|notice|copying)", re.IGNORECASE)


def _folder(data_dir: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (data_dir / name).is_dir():
            return data_dir / name
    return None


def _table_files(folder: Path, standard: tuple[str, ...]) -> list[Path]:
    """The csv/tsv/txt files of ``folder`` that may hold pairs: standard names first, in order."""
    files = [
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in (".csv", ".tsv", ".txt") and not _NOT_DATA.match(p.name)
    ]
    rank = {name: i for i, name in enumerate(standard)}
    return sorted(files, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def _part_of(name: str) -> str | None:
    """The benchmark part (train, dev, test) a file or ``split`` value names, if any."""
    for w in re.split(r"[^a-z]+", name.lower()):
        if w in _PART_WORDS:
            return _PART_WORDS[w]
    return None


def _col(header: list[str], names: tuple[str, ...]) -> int | None:
    norm = [re.sub(r"[\s_#\-]+", " ", h).strip().lower() for h in header]
    for name in names:
        if name in norm:
            return norm.index(name)
    return None


def _header_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header of a csv/tsv file (tab-separated when its first line has a tab, else
    comma-separated with quotes) and its numbered non-empty rows after it."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        tab = "\t" in f.readline()
        f.seek(0)
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if tab else csv.reader(f)
        header = next(reader, [])
        return header, [(n, row) for n, row in enumerate(reader, 2) if row]


def _cell(row: list[str], i: int, width: int, path: Path, n: int) -> str:
    if len(row) != width:
        raise DataError(f"{path}:{n}: expected {width} columns as in the header, got {len(row)}")
    return row[i]


def stsb_pairs(data_dir: Path, split: str = "eval", max_pairs: int | None = None) -> SentencePairs | None:
    """STS-B pairs of ``split``: every file of the folder read, sides by ``splits.stsb_split``
    (train -> tune; dev, test -> eval). A part found in two files (the benchmark's own and
    GLUE's copy) is read from the first only; unlabelled files (GLUE's test) are skipped."""
    if split not in ("eval", "tune", "all"):
        raise ValueError(f"STS-B has no split {split!r}: use eval, tune or all")
    folder = _folder(data_dir, STSB_FOLDERS)
    if folder is None:
        return None
    standard = ("sts-train.csv", "sts-dev.csv", "sts-test.csv", "train.tsv", "dev.tsv", "test.tsv")
    files = _table_files(folder, standard)
    if not files:
        return None
    out = SentencePairs("stsb", [], [], [], split)
    parts_read: set[str] = set()
    for path in files:
        part = _part_of(path.stem)
        if part is not None and part in parts_read:
            continue
        if max_pairs is not None and len(out.score) >= max_pairs:
            break
        if _read_stsb_file(path, part, split, out, max_pairs, strict=path.name in standard[:3]) and part is not None:
            parts_read.add(part)
    return out


def _is_sts_row(cols: list[str]) -> bool:
    if len(cols) < 7:
        return False
    try:
        float(cols[4])
    except ValueError:
        return False
    return True


def _read_stsb_file(
    path: Path, part: str | None, split: str, out: SentencePairs, max_pairs: int | None, strict: bool
) -> bool:
    """Add the pairs of ``split`` in one file to ``out``; False where the file is not STS-B data."""

    def add(n: int, score: str, a: str, b: str, row_part: str | None) -> None:
        try:
            s = float(score)
        except ValueError as e:
            raise DataError(f"{path}:{n}: score {score!r} is not a number") from e
        if s < 0:  # -1: an unlabelled (test) row of an export
            return
        if _keep(stsb_split(row_part, a, b), split):
            out.score.append(s)
            out.a.append(a)
            out.b.append(b)

    def full() -> bool:
        return max_pairs is not None and len(out.score) >= max_pairs

    with path.open(encoding="utf-8-sig") as f:
        first = f.readline().rstrip("\r\n").split("\t")
    if strict or _is_sts_row(first):
        # the benchmark's own layout: tab-separated, no header, score then the two sentences
        # in columns 5-7 (a few rows carry extra source columns after them)
        with path.open(encoding="utf-8-sig") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                cols = line.rstrip("\r\n").split("\t")[:7]
                if len(cols) < 7:
                    raise DataError(f"{path}:{n}: expected 7 tab-separated columns, got {len(cols)}")
                add(n, cols[4], cols[5], cols[6], part)
                if full():
                    break
        return True
    header, rows = _header_rows(path)
    i1, i2, isc, isp = _col(header, _S1), _col(header, _S2), _col(header, _STS_SCORE), _col(header, ("split",))
    if i1 is None or i2 is None or isc is None:
        return False  # not STS-B data, or unlabelled (GLUE's test.tsv has no score)
    for n, row in rows:
        w = len(header)
        row_part = part if part is not None or isp is None else _part_of(_cell(row, isp, w, path, n))
        add(n, _cell(row, isc, w, path, n), _cell(row, i1, w, path, n), _cell(row, i2, w, path, n), row_part)
        if full():
            break
    return True


def mrpc_pairs(data_dir: Path, split: str = "eval", max_pairs: int | None = None) -> SentencePairs | None:
    """MRPC pairs of ``split``: every labelled pair of every file of the folder (the MS train
    and test files, GLUE's tsv files, a csv/tsv found by its columns), each pair once, sides
    by ``splits.mrpc_split`` on the two sentence ids (on the two sentences where a file has
    no ids)."""
    folder = _folder(data_dir, MRPC_FOLDERS)
    if folder is None:
        return None
    standard = ("msr_paraphrase_train.txt", "msr_paraphrase_test.txt", "train.tsv", "dev.tsv")
    files = _table_files(folder, standard)
    if not files:
        return None
    out = SentencePairs("mrpc", [], [], [], split)
    seen: set[tuple[str, str]] = set()
    for path in files:
        if max_pairs is not None and len(out.score) >= max_pairs:
            break
        header, rows = _header_rows(path)
        iq, i1, i2 = _col(header, _MRPC_LABEL), _col(header, _S1), _col(header, _S2)
        d1, d2 = _col(header, _ID1), _col(header, _ID2)
        if iq is None or i1 is None or i2 is None:
            if path.name in standard[:2]:
                raise DataError(f"{path}:1: expected the header Quality, #1 ID, #2 ID, #1 String, #2 String")
            continue  # not MRPC data, or unlabelled (GLUE's test.tsv)
        w = len(header)
        for n, row in rows:
            q, a, b = _cell(row, iq, w, path, n), _cell(row, i1, w, path, n), _cell(row, i2, w, path, n)
            if q.strip() in ("-1", "-1.0", ""):
                continue  # an unlabelled (test) row of an export
            if q.strip() not in ("0", "1"):
                raise DataError(f"{path}:{n}: quality {q!r} is not 0 or 1")
            key = (row[d1], row[d2]) if d1 is not None and d2 is not None else (a, b)
            if key in seen:
                continue
            seen.add(key)
            if not _keep(mrpc_split(*key), split):
                continue
            out.score.append(float(q))
            out.a.append(a)
            out.b.append(b)
            if max_pairs is not None and len(out.score) >= max_pairs:
                break
    return out


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
