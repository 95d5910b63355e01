"""What comparing twins once saves: the speed corpus (real texts plus derived copies) scanned with
twins shared and with every candidate pair compared, in one scan and in batches through an index.

    python3 scripts/twins_bench.py --data ../shared/data --size 3000 --mode shared
    python3 scripts/twins_bench.py --data ../shared/data --size 3000 --mode all
    python3 scripts/twins_bench.py --data ../shared/data --size 6000 --batch 1500 --mode shared

``--mode all`` makes every doc a class of its own (``retold.decide.flow.identical_classes``) and
turns off the index's twin replay and vector borrowing (``retold.index.twins``): every candidate
pair is compared and every article encoded, as before twins were shared. Prints one JSON line per batch (``--batch``) or for the scan, then a
summary with the peak RSS and a hash of the pairs (the same hash: the same pairs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

import retold
from retold.bench.corpora_speed import build_corpus, load_base_texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=0, help="articles a batch through an index (0: one scan)")
    ap.add_argument("--mode", choices=["shared", "all"], default="shared")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if a.mode == "all":
        from retold.decide import flow
        from retold.index import twins

        flow.identical_classes = lambda docs: np.arange(len(docs), dtype=np.int64)  # type: ignore[assignment]
        twins.replay_indexed_twins = lambda index, docs, n_old, cand, settings: ([], cand)  # type: ignore[assignment]
        twins.borrow_vectors = lambda index, docs: 0  # type: ignore[assignment]
    arts = list(build_corpus(load_base_texts(a.data), a.size, seed=a.seed).articles)
    random.Random(3).shuffle(arts)  # copies arrive after their source or before it, as in a crawl
    t0 = time.perf_counter()
    pairs: list[tuple] = []
    with tempfile.TemporaryDirectory() as tmp:
        batches = [arts[k : k + a.batch] for k in range(0, len(arts), a.batch)] if a.batch else [arts]
        for n, batch in enumerate(batches):
            t = time.perf_counter()
            res = retold.scan(batch, index=Path(tmp) / "twins.idx" if a.batch else None)
            s = res.stats
            print(json.dumps({
                "batch": n, "articles": len(batch), "s": round(time.perf_counter() - t, 1),
                "embed_s": round(s.get("time_embed_s", 0.0), 1), "compare_s": round(s["time_compare_s"], 1),
                "candidates": int(s["candidates"]), "vectors_borrowed": int(s.get("vectors_borrowed", 0)),
                "replayed_in_scan": int(s.get("pairs_replayed", 0)),
                "replayed_from_index": int(s.get("pairs_from_indexed_twins", 0)), "pairs": len(res.pairs),
            }), flush=True)
            pairs += [(p.a, p.b, p.relation, p.direction, round(p.score, 4)) for p in res.pairs]
    digest = hashlib.sha1(json.dumps(sorted(pairs)).encode()).hexdigest()[:12]
    print(json.dumps({
        "mode": a.mode, "size": a.size, "batch": a.batch, "total_s": round(time.perf_counter() - t0, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "pairs": len(pairs), "pairs_sha1": digest,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
