"""Translations across many scripts (WMT24) and Urdu news reuse (COUNTER): the figures of issue #20.

Both corpora are scored by their own rules, not as a ``LabelledCorpus``: their gold says what
must be found between texts of one unit and leaves the rest unlabelled.

* WMT24 (``wmt24_docs/docs.jsonl``): the documents of the chosen domains (``news``), each
  English source, every human reference and the first ``hyps`` MT outputs (system names in
  order), scanned as one corpus. Gold: every pair of a source and a reference of it, and of two
  references of one source, in two languages, is a translation; an MT output should come out
  as a rewrite or copy of the reference of its language. Per language pair: recall (gold pairs
  called ``translation``), precision (pairs called ``translation`` between texts of one source,
  MT outputs included, among all so called between texts of that pair of languages), and the
  MT outputs found as a rewrite or copy of their reference.
* COUNTER (``counter/docs.jsonl``): each pair of a wire story and a newspaper story; one
  labelled wholly (WD) or partially (PD) derived should come out as reuse (any reuse
  relation) with its wire story, a non-derived (ND) one not.

``retold bench quality`` runs both (``run_multilingual``); ``scripts/multilingual_bench.py``
adds the cost per article against ECB+.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from retold.bench.splits import counter_split, wmt24_split
from retold.model import REUSE_RELATIONS, Article, ScanResult

#: relations an MT output may have with the reference of its language (one text reworded)
MT_OF_REFERENCE = frozenset({"rewrite", "near_duplicate", "duplicate", "partial"})


@dataclass
class UnitCorpus:
    """Articles and, per id, ``(unit, language, role)``: the unit they belong to (a WMT24 source
    document, a COUNTER pair), their language, and their role in it (``src``/``ref``/``hyp``;
    ``source``/``derived``), plus the COUNTER label of each unit."""

    name: str
    articles: list[Article]
    meta: dict[str, tuple[str, str, str]]
    labels: dict[str, str]
    split: str


def wmt24_corpus(
    data_dir: Path, split: str, domains: Iterable[str] = ("news",), hyps: int = 2, max_units: int | None = None
) -> UnitCorpus | None:
    """The WMT24 texts of ``split`` (None without ``wmt24_docs/docs.jsonl``); ``max_units`` caps the
    English source documents (for quick runs)."""
    path = Path(data_dir) / "wmt24_docs" / "docs.jsonl"
    if not path.is_file():
        return None
    keep = set(domains)
    arts: dict[str, Article] = {}
    meta: dict[str, tuple[str, str, str]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["domain"] not in keep or wmt24_split(r["doc_id"]) != split:
                continue
            key = f"{r['src_lang']}:{r['doc_id']}"
            sid = f"src:{key}"
            if sid not in arts and max_units is not None and sum(m[2] == "src" for m in meta.values()) >= max_units:
                continue
            if sid not in arts:
                arts[sid] = Article(id=sid, text=r["src"], lang=r["src_lang"])
                meta[sid] = (key, r["src_lang"], "src")
            for name, text in sorted(r["refs"].items()):
                rid = f"ref:{r['tgt_lang']}:{name}:{key}"
                arts[rid] = Article(id=rid, text=text, lang=r["tgt_lang"])
                meta[rid] = (key, r["tgt_lang"], "ref")
            for name, text in sorted(r["hyps"].items())[:hyps]:
                hid = f"hyp:{r['tgt_lang']}:{name}:{key}"
                arts[hid] = Article(id=hid, text=text, lang=r["tgt_lang"])
                meta[hid] = (key, r["tgt_lang"], "hyp")
    return UnitCorpus("wmt24", list(arts.values()), meta, {}, split)


def score_wmt24(pairs: Iterable[tuple[str, str, str | None]], meta: dict[str, tuple[str, str, str]]) -> dict:
    """Translation recall and precision per language pair, and MT outputs found as a rewrite or
    copy of their reference, from the ``(a, b, relation)`` of a scan (see the module docstring)."""
    pairs = list(pairs)
    rel = {frozenset((a, b)): r for a, b, r in pairs}
    gold: dict[str, list[frozenset]] = defaultdict(list)
    by_key: dict[str, list[str]] = defaultdict(list)
    for i, (key, _, kind) in meta.items():
        if kind != "hyp":
            by_key[key].append(i)
    for ids in by_key.values():
        for a, b in combinations(sorted(ids), 2):
            la, lb = meta[a][1], meta[b][1]
            if la != lb:
                gold["-".join(sorted((la, lb)))].append(frozenset((a, b)))
    called: Counter = Counter()
    right: Counter = Counter()
    for a, b, r in pairs:
        if r != "translation" or a not in meta or b not in meta:
            continue
        lp = "-".join(sorted((meta[a][1], meta[b][1])))
        called[lp] += 1
        if meta[a][0] == meta[b][0]:  # an MT output of the same source is a translation too
            right[lp] += 1
    by_pair: dict[str, dict] = {}
    for lp, gp in sorted(gold.items()):
        found = sum(rel.get(x) == "translation" for x in gp)
        by_pair[lp] = {"gold": len(gp), "recall": found / len(gp), "called": called[lp],
                       "precision": right[lp] / called[lp] if called[lp] else None}
    hyp_ids = [(i, m) for i, m in meta.items() if m[2] == "hyp"]
    hyp_ok = 0
    for i, (key, lang, _) in hyp_ids:
        refs = [r for r in by_key[key] if meta[r][1] == lang]
        hyp_ok += any(rel.get(frozenset((i, r))) in MT_OF_REFERENCE for r in refs)
    gold_all = sum(len(v) for v in gold.values())
    found_all = sum(rel.get(x) == "translation" for v in gold.values() for x in v)
    n_called = sum(called.values())
    return {
        "pairs": by_pair,
        "gold": gold_all,
        "recall": found_all / gold_all if gold_all else None,
        "precision": sum(right.values()) / n_called if n_called else None,
        "hyps": len(hyp_ids),
        "hyps_rewrite_or_copy_of_reference": hyp_ok / len(hyp_ids) if hyp_ids else None,
    }


def counter_corpus(data_dir: Path, split: str, max_units: int | None = None) -> UnitCorpus | None:
    """The COUNTER stories of ``split`` (None without ``counter/docs.jsonl``); Urdu. ``max_units``
    caps the pairs (for quick runs)."""
    path = Path(data_dir) / "counter" / "docs.jsonl"
    if not path.is_file():
        return None
    arts: list[Article] = []
    meta: dict[str, tuple[str, str, str]] = {}
    labels: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if counter_split(r["pair"]) != split:
                continue
            if r["pair"] not in labels and max_units is not None and len(labels) >= max_units:
                continue
            arts.append(Article(id=r["id"], text=r["text"], title=r.get("title"), source=r.get("source"), lang="ur"))
            meta[r["id"]] = (r["pair"], "ur", r["role"])
            labels[r["pair"]] = r["classification"]
    return UnitCorpus("counter", arts, meta, labels, split)


def score_counter(pairs: Iterable[tuple[str, str, str | None]], corpus: UnitCorpus) -> dict:
    """Per COUNTER label, the share of pairs called reuse and the relations given; derived
    stories (WD, PD) found as reuse, non-derived (ND) ones not called reuse."""
    rel = {frozenset((a, b)): r for a, b, r in pairs}
    units: dict[str, dict[str, str]] = defaultdict(dict)
    for i, (unit, _, role) in corpus.meta.items():
        units[unit][role] = i
    by: dict[str, list[str | None]] = defaultdict(list)
    for unit, v in units.items():
        if "source" in v and "derived" in v:
            by[corpus.labels[unit]].append(rel.get(frozenset((v["source"], v["derived"]))))
    out: dict = {
        c: {"n": len(v), "reuse": sum(x in REUSE_RELATIONS for x in v) / len(v), "relations": dict(Counter(map(str, v)))}
        for c, v in sorted(by.items())
    }
    derived = by.get("WD", []) + by.get("PD", [])
    out["derived_found"] = sum(x in REUSE_RELATIONS for x in derived) / len(derived) if derived else None
    nd = by.get("ND", [])
    out["non_derived_not_reuse"] = sum(x not in REUSE_RELATIONS for x in nd) / len(nd) if nd else None
    return out


def relations(result: ScanResult) -> list[tuple[str, str, str | None]]:
    """The ``(a, b, relation)`` of a scan's pairs, as the scorers read them."""
    return [(p.a, p.b, p.relation) for p in result.pairs]


def scan_unit_corpus(corpus: UnitCorpus, encoder=None, settings=None) -> tuple[ScanResult, dict]:  # noqa: ANN001
    """One scan of the corpus through the public pipeline: its result and speed."""
    from retold.config import Settings
    from retold.pipeline import scan

    t = time.perf_counter()
    res = scan(list(corpus.articles), settings=settings or Settings(), encoder=encoder)
    dt = time.perf_counter() - t
    speed = {
        "articles": len(corpus.articles),
        "seconds": round(dt, 2),
        "articles_per_s": round(len(corpus.articles) / dt, 2) if dt > 0 else None,
        "stats": {k: round(v, 3) for k, v in res.stats.items() if k.startswith(("time_", "rescue", "shape"))},
    }
    return res, speed


def run_multilingual(
    data_dir: Path, split: str, encoder=None, settings=None, hyps: int = 2, max_units: int | None = None  # noqa: ANN001
) -> dict:
    """WMT24 and COUNTER of ``split``, each scanned alone; a corpus whose folder is absent is left out."""
    out: dict = {}
    w = wmt24_corpus(data_dir, split, hyps=hyps, max_units=max_units)
    if w is not None and w.articles:
        res, speed = scan_unit_corpus(w, encoder, settings)
        out["wmt24"] = {"split": split, "articles": len(w.articles), **score_wmt24(relations(res), w.meta), "speed": speed}
    c = counter_corpus(data_dir, split, max_units=max_units)
    if c is not None and c.articles:
        res, speed = scan_unit_corpus(c, encoder, settings)
        out["counter"] = {"split": split, "articles": len(c.articles), **score_counter(relations(res), c), "speed": speed}
    return out
