"""Translations across many scripts (WMT24) and paraphrased Urdu reuse (COUNTER): the figures of issue #20,
with the cost per article against ECB+.

    python3 scripts/multilingual_bench.py --data ../shared/data --split tune --json out.json

The corpora and their scoring live in ``retold/bench/multilingual.py`` (``retold bench quality``
reports the same figures); this script adds other domains (``--domains``), more or fewer MT
outputs (``--hyps``), the WMT24 scan's pairs (``--pairs-out``) and the cost per article on WMT24
against ECB+ (``--ecbplus``: the ECB+ documents of the split scanned alone, in the same process).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retold.bench.corpora import ecbplus_corpus
from retold.bench.multilingual import (
    counter_corpus,
    relations,
    scan_unit_corpus,
    score_counter,
    score_wmt24,
    wmt24_corpus,
    UnitCorpus,
)
from retold.config import Settings
from retold.sign import second


def cost_against_ecbplus(a: argparse.Namespace, ecb: UnitCorpus, w: UnitCorpus, settings: Settings) -> dict:
    """Seconds per article of WMT24 (its references alone, and with ``--hyps`` MT outputs) over
    those of ECB+, each corpus scanned twice in this process and the second scan timed.

    Why the second: the first scan of a process loads what is loaded once (the encoders, and a
    word-frequency table per language, which WMT24's ten languages need and English ECB+ does
    not), a cost of the process and not of its articles, and on corpora of a few hundred texts
    it is a third of the first scan. The first scans' figures are kept in the report too.
    """
    refs = wmt24_corpus(a.data, a.split, a.domains.split(","), 0)
    out: dict = {}
    for name, corpus in (("ecbplus", ecb), ("wmt24_references", refs), ("wmt24_with_mt", w)):
        _, cold = scan_unit_corpus(corpus, settings=settings)
        _, warm = scan_unit_corpus(corpus, settings=settings)
        out[f"{name}_speed"] = warm | {"first_scan_seconds": cold["seconds"]}
    per = {k: out[f"{k}_speed"]["seconds"] / out[f"{k}_speed"]["articles"] for k in ("ecbplus", "wmt24_references", "wmt24_with_mt")}
    out["cost_per_article_wmt24_references_over_ecbplus"] = round(per["wmt24_references"] / per["ecbplus"], 2)
    out["cost_per_article_wmt24_with_mt_over_ecbplus"] = round(per["wmt24_with_mt"] / per["ecbplus"], 2)
    print(
        f"cost per article over ECB+'s ({1000 * per['ecbplus']:.1f} ms): WMT24 references "
        f"{out['cost_per_article_wmt24_references_over_ecbplus']}x, with {a.hyps} MT outputs each "
        f"{out['cost_per_article_wmt24_with_mt_over_ecbplus']}x",
        file=sys.stderr,
        flush=True,
    )
    return out


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
    w = wmt24_corpus(a.data, a.split, a.domains.split(","), a.hyps)
    if w is None:
        print(f"{a.data}/wmt24_docs is absent", file=sys.stderr)
        return 1
    res, speed = scan_unit_corpus(w, settings=settings)
    report["wmt24"] = score_wmt24(relations(res), w.meta) | {"speed": speed}
    if a.pairs_out:
        with a.pairs_out.open("w", encoding="utf-8") as f:
            for p in res.pairs:
                f.write(json.dumps({"a": p.a, "b": p.b, "relation": p.relation, "features": dict(p.features)}) + "\n")
    print(f"wmt24: {len(w.articles)} texts, recall {report['wmt24']['recall']}, precision {report['wmt24']['precision']}, "
          f"{speed['articles_per_s']}/s", file=sys.stderr, flush=True)
    c = None if a.no_counter else counter_corpus(a.data, a.split)
    if c is not None:
        res, speed = scan_unit_corpus(c, settings=settings)
        report["counter"] = score_counter(relations(res), c) | {"speed": speed}
        print(f"counter: {len(c.articles)} texts, derived found {report['counter']['derived_found']}, "
              f"non-derived not reuse {report['counter']['non_derived_not_reuse']}", file=sys.stderr, flush=True)
    if a.ecbplus:
        e = ecbplus_corpus(a.data, a.split)
        if e is not None:
            report |= cost_against_ecbplus(a, UnitCorpus("ecbplus", list(e.articles), {}, {}, a.split), w, settings)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if a.json:
        a.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
