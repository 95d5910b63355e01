"""Scan the same real articles twice and compare everything the two runs report.

Usage: ``python scripts/reproducible.py ../shared/data [N] [--encoder use@cuda] [--engines local,ray]``.
Prints the candidate and pair counts of both runs and whether pairs (ids, relation, score,
direction), families and stories are identical. ``--engines local,ray`` makes the second run one
on a local Ray cluster (``retold.engines.ray_engine.RayEngine``): the same input must give the same output on
both engines; the seconds of each run and this process's peak RSS after each are printed too.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from retold.bench.corpora_speed import load_base_texts
from retold.config import Settings
from retold.model import Article
from retold.pipeline import scan
from retold.sign import load_encoder


def fingerprint(res) -> dict:
    pairs = sorted((p.a, p.b, p.relation, round(float(p.score), 9), p.direction) for p in res.pairs)
    groups = sorted((g.kind, tuple(sorted(g.members))) for g in res.groups)
    return {"candidates": int(res.stats.get("candidates", 0)), "pairs": pairs, "groups": groups}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("n", type=int, nargs="?", default=9235)
    ap.add_argument("--encoder", default="")
    ap.add_argument("--engines", default="local,local", help="the engines of the two runs: local or ray")
    args = ap.parse_args()
    base = load_base_texts(args.data)
    pick = random.Random(7).sample(range(len(base)), min(args.n, len(base)))
    arts = [Article(id=f"r{k}", text=base[i].text) for k, i in enumerate(pick)]
    enc = load_encoder(args.encoder) if args.encoder else None
    import resource
    import time

    runs, seconds, peak_mb = [], [], []
    for name in args.engines.split(","):
        engine = None
        if name == "ray":
            from retold.engines.ray_engine import RayEngine

            engine = RayEngine()
        t = time.perf_counter()
        runs.append(fingerprint(scan(list(arts), settings=Settings(), encoder=enc, engine=engine)))
        seconds.append(round(time.perf_counter() - t, 1))
        peak_mb.append(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    a, b = runs
    print(json.dumps({
        "articles": len(arts),
        "engines": args.engines.split(","),
        "seconds": seconds,
        "peak_rss_mb_after_each": peak_mb,
        "candidates": [a["candidates"], b["candidates"]],
        "pairs": [len(a["pairs"]), len(b["pairs"])],
        "groups": [len(a["groups"]), len(b["groups"])],
        "pairs_identical": a["pairs"] == b["pairs"],
        "groups_identical": a["groups"] == b["groups"],
        "pairs_only_in_one": len(set(a["pairs"]) ^ set(b["pairs"])),
    }))


if __name__ == "__main__":
    main()
