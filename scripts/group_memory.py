"""Time and memory of grouping one batch against a large index, alone:
``python3 scripts/group_memory.py INDEX [--batch N]``.

Why: in a streamed scan the grouping of a batch (``HeldGroups.regroup``) is one stage among many,
and the scan takes an hour to reach an index worth measuring. This replays the grouping of an
index's last ``--batch`` articles (those added last, with the pairs stored since the first pair
naming one of them): it groups the articles before them and their pairs as a long-lived index
holds them (``HeldGroups.build``), then regroups with the batch, as the scan's last batch did.
Then the stories have their say on the batch's pairs (``stories_say``), as the scan's group stage
ends. It prints the seconds and the memory of each step: the RSS when it starts and the highest RSS a
sampler saw during it (every 5 ms), in MB. Run it with ``PYTHONPATH`` set to another checkout to
compare versions (an older one without ``Index.link_table`` reads the pairs as ``Pair`` objects).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from retold.config import Settings
from retold.group import stories_say
from retold.group.held import HeldGroups
from retold.index import Index
from retold.index.incremental import dated, read_light
from retold.model import Pair

T = TypeVar("T")


def _rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def measured(name: str, fn: Callable[[], T]) -> T:
    """Run ``fn``, print its seconds, the RSS before and the highest RSS while it ran."""
    peak = [_rss_mb()]
    start = peak[0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss_mb())

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    done.set()
    t.join()
    peak[0] = max(peak[0], _rss_mb())
    print(f"{name}: {dt:.1f} s, RSS {start:,.0f} MB before, peak {peak[0]:,.0f} MB (+{peak[0] - start:,.0f})", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--batch", type=int, default=5000)
    args = ap.parse_args()
    settings = Settings()
    idx = Index.open(args.index)
    light = read_light(idx)
    new_ids = light.ids[-args.batch:]
    new = set(new_ids)
    docs = dated(light)
    before_docs = {x: d for x, d in docs.items() if x not in new}
    split = min(seq for seq, a, b in idx._read("SELECT seq, a, b FROM pairs") if a in new or b in new)
    from retold.group.build import LINK_FEATURES

    def rows(lo: int, hi: int) -> Iterator[tuple]:  # stored pairs lo <= seq < hi, 20,000 at a time
        while True:
            got = idx._read(
                "SELECT seq, a, b, relation, score, coverage_a, coverage_b, direction, features FROM pairs "
                "WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT 20000", (lo, hi),
            )
            if not got:
                return
            for r in got:
                yield r[1:]
            lo = got[-1][0] + 1

    def new_pairs() -> list[Pair]:
        return [Pair(a=a, b=b, relation=rel, score=s, coverage_a=ca, coverage_b=cb, direction=d,
                     features={k: v for k, v in json.loads(f).items() if k in LINK_FEATURES})
                for a, b, rel, s, ca, cb, d, f in rows(split, 1 << 62)]

    def held_links():  # the pairs before the batch, as the version at hand reads them for grouping
        if hasattr(idx, "link_table"):
            from retold.group.links import LinkTable

            table = LinkTable()
            for a, b, rel, s, ca, cb, d, f in rows(0, split):
                table.append(a, b, rel, d, "compared", None, s, ca, cb, json.loads(f))
            return table
        return [p for p in idx.pair_links() if p.a not in new and p.b not in new]

    fresh = new_pairs()
    print(f"{len(before_docs):,} articles before the batch, {len(new_ids):,} in it, {len(fresh):,} new pairs", flush=True)
    links = measured("read the held links", held_links)
    print(f"{len(links):,} held links", flush=True)
    held = measured("build the held groups", partial(HeldGroups.build, before_docs, links, settings))
    del links
    plan = measured("regroup with the batch", lambda: held.regroup(docs, new_ids, fresh, settings))
    print(f"touched components {len(plan.touched):,}, groups {len(plan.groups):,}, pairs for the stories {len(plan.pairs):,}")
    n_tokens = dict(zip(light.ids, light.n_tokens.tolist()))
    langs = dict(zip(light.ids, light.lang))
    implied, agreed = measured("the stories' say (stories_say)", partial(
        stories_say, plan.groups, fresh, plan.pairs, n_tokens, settings, new, langs))
    print(f"implied pairs {len(implied):,}, agreed {agreed:,}")


if __name__ == "__main__":
    main()
