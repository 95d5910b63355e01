"""Translations across many scripts (WMT24) and paraphrased Urdu reuse (COUNTER): the figures of issue #20.

    python3 scripts/multilingual_bench.py --data ../shared/data --split tune --json out.json

* WMT24 (``wmt24_docs``, key ``wmt24:<doc_id>`` as for the static encoder's projection, so an
  English source and its nine translations fall on one side): the documents of ``--domains``
  (default ``news``), each English source, every human reference and the MT outputs
  (``--hyps``), scanned as one corpus. Gold: every pair of a source and a reference of it, and of
  two references of one source, in two languages, is a translation; an MT output should come out
  as a rewrite or copy of the reference of its language. Reported per language pair: recall (gold
  pairs called ``translation``), precision (pairs called ``translation`` between texts of one
  source, MT outputs included, among all so called between texts of that pair of languages),
  and the MT outputs found as a rewrite or copy of their reference.
* COUNTER (``counter``, key ``counter:<pair>``): each pair of a wire story and a newspaper
  story; the newspaper story labelled wholly (WD) or partially (PD) derived should come out as
  reuse (any of the reuse relations) with its wire story, a non-derived (ND) one not.
* Speed: articles/s of each scan, and the cost per article on WMT24 against ECB+ (``--ecbplus``:
  the ECB+ documents of the split scanned alone, in the same process).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import retold
from retold.bench.splits import split_of
from retold.config import Settings
from retold.model import REUSE_RELATIONS, Article
from retold.sign import second


def wmt24_articles(data: Path, split: str, domains: set[str], hyps: int) -> tuple[list[Article], dict[str, tuple[str, str, str]]]:
    """Articles, and per id (source key, language, kind: src / ref / hyp)."""
    arts: dict[str, Article] = {}
    meta: dict[str, tuple[str, str, str]] = {}
    for line in (data / "wmt24_docs" / "docs.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        if r["domain"] not in domains or split_of(f"wmt24:{r['doc_id']}") != split:
            continue
        key = f"{r['src_lang']}:{r['doc_id']}"
        sid = f"src:{key}"
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
    return list(arts.values()), meta


def score_wmt24(result, meta: dict[str, tuple[str, str, str]]) -> dict:
    rel = {frozenset((p.a, p.b)): p.relation for p in result.pairs}
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
    out: dict[str, dict] = {}
    called: Counter = Counter()
    right: Counter = Counter()
    for p in result.pairs:
        if p.relation != "translation" or p.a not in meta or p.b not in meta:
            continue
        lp = "-".join(sorted((meta[p.a][1], meta[p.b][1])))
        called[lp] += 1
        if meta[p.a][0] == meta[p.b][0]:  # an MT output of the same source is a translation too
            right[lp] += 1
    for lp, pairs in sorted(gold.items()):
        found = sum(rel.get(x) == "translation" for x in pairs)
        out[lp] = {"gold": len(pairs), "recall": found / len(pairs), "called": called[lp],
                   "precision": right[lp] / called[lp] if called[lp] else None}
    hyps = [(i, m) for i, m in meta.items() if m[2] == "hyp"]
    hyp_ok = 0
    for i, (key, lang, _) in hyps:
        refs = [r for r in by_key[key] if meta[r][1] == lang]
        hyp_ok += any(rel.get(frozenset((i, r))) in ("rewrite", "near_duplicate", "duplicate", "partial") for r in refs)
    gold_all = sum(len(v) for v in gold.values())
    found_all = sum(rel.get(x) == "translation" for v in gold.values() for x in v)
    return {"pairs": out, "recall": found_all / gold_all if gold_all else None,
            "precision": sum(right.values()) / sum(called.values()) if called else None,
            "hyps": len(hyps), "hyps_rewrite_or_copy_of_reference": hyp_ok / len(hyps) if hyps else None}


def counter_articles(data: Path, split: str) -> tuple[list[Article], dict[str, tuple[str, str, str]]]:
    arts, meta = [], {}
    for line in (data / "counter" / "docs.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        if split_of(f"counter:{r['pair']}") != split:
            continue
        arts.append(Article(id=r["id"], text=r["text"], title=r.get("title"), source=r.get("source"), lang="ur"))
        meta[r["id"]] = (r["pair"], r["role"], r["classification"])
    return arts, meta


def score_counter(result, meta: dict[str, tuple[str, str, str]]) -> dict:
    rel = {frozenset((p.a, p.b)): p.relation for p in result.pairs}
    pairs: dict[str, dict[str, str]] = defaultdict(dict)
    for i, (pair, role, cls) in meta.items():
        pairs[pair][role] = i
        pairs[pair]["cls"] = cls
    by: dict[str, list[str | None]] = defaultdict(list)
    for v in pairs.values():
        if "source" in v and "derived" in v:
            by[v["cls"]].append(rel.get(frozenset((v["source"], v["derived"]))))
    out = {c: {"n": len(v), "reuse": sum(x in REUSE_RELATIONS for x in v) / len(v), "relations": dict(Counter(map(str, v)))} for c, v in sorted(by.items())}
    derived = by.get("WD", []) + by.get("PD", [])
    out["derived_found"] = sum(x in REUSE_RELATIONS for x in derived) / len(derived) if derived else None
    nd = by.get("ND", [])
    out["non_derived_not_reuse"] = sum(x not in REUSE_RELATIONS for x in nd) / len(nd) if nd else None
    return out


def ecbplus_articles(data: Path, split: str) -> list[Article]:
    from retold.bench.corpora import ecbplus_corpus

    c = ecbplus_corpus(data, split)
    return list(c.articles) if c is not None else []


def timed_scan(arts: list[Article], settings: Settings):
    t = time.perf_counter()
    res = retold.scan(arts, settings=settings)
    dt = time.perf_counter() - t
    return res, {"articles": len(arts), "seconds": round(dt, 2), "articles_per_s": round(len(arts) / dt, 2),
                 "stats": {k: round(v, 3) for k, v in res.stats.items() if k.startswith("time_") or k.startswith("rescue") or k.startswith("shape")}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--split", default="tune", choices=["tune", "eval"])
    ap.add_argument("--domains", default="news")
    ap.add_argument("--hyps", type=int, default=2, help="MT outputs per reference kept")
    ap.add_argument("--ecbplus", action="store_true", help="also scan the split's ECB+ texts for the cost per article")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-counter", action="store_true")
    ap.add_argument("--pairs-out", type=Path, help="write the WMT24 scan's pairs here (JSONL)")
    a = ap.parse_args()
    settings = Settings()
    report: dict = {"split": a.split, "domains": a.domains, "second_model": second.kind()}
    arts, meta = wmt24_articles(a.data, a.split, set(a.domains.split(",")), a.hyps)
    res, speed = timed_scan(arts, settings)
    report["wmt24"] = score_wmt24(res, meta) | {"speed": speed}
    if a.pairs_out:
        with a.pairs_out.open("w", encoding="utf-8") as f:
            for p in res.pairs:
                f.write(json.dumps({"a": p.a, "b": p.b, "relation": p.relation, "features": dict(p.features)}) + "\n")
    print(f"wmt24: {len(arts)} texts, recall {report['wmt24']['recall']}, precision {report['wmt24']['precision']}, {speed['articles_per_s']}/s", file=sys.stderr, flush=True)
    if not a.no_counter:
        arts, cmeta = counter_articles(a.data, a.split)
        res, speed = timed_scan(arts, settings)
        report["counter"] = score_counter(res, cmeta) | {"speed": speed}
        print(f"counter: {len(arts)} texts, derived found {report['counter']['derived_found']}, "
              f"non-derived not reuse {report['counter']['non_derived_not_reuse']}", file=sys.stderr, flush=True)
    if a.ecbplus:
        arts = ecbplus_articles(a.data, a.split)
        _, speed = timed_scan(arts, settings)
        report["ecbplus_speed"] = speed
        w = report["wmt24"]["speed"]
        report["cost_per_article_wmt24_over_ecbplus"] = round((w["seconds"] / w["articles"]) / (speed["seconds"] / speed["articles"]), 2)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if a.json:
        a.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
